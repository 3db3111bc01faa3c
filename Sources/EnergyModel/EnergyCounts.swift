import Foundation
import NeuroChip

/// Whether a step belongs to a training or an inference sample (energy-model.md §1.1).
public enum RunMode: String, Codable, Sendable, CaseIterable {
    case training
    case inference
}

/// Per-core totals over every sample of one step position inside a sample ("phase").
public struct PhaseCounts: Codable, Sendable, Equatable {
    /// Position of the step inside its sample, 0..<stepsPerSample.
    public var stepInSample: Int
    /// Samples that contributed a step at this position.
    public var samples: Int
    /// One record per used core, totals over those samples.
    public var cores: [CoreCounts]

    public init(stepInSample: Int, samples: Int, cores: [CoreCounts]) {
        self.stepInSample = stepInSample
        self.samples = samples
        self.cores = cores
    }
}

/// Chip-wide counts of one sample (all cores, all its steps).
public struct SampleCounts: Codable, Sendable, Equatable {
    /// Order of the sample within its mode, from 0.
    public var index: Int
    public var steps: Int
    public var counts: CoreStepCounts

    public init(index: Int, steps: Int, counts: CoreStepCounts) {
        self.index = index
        self.steps = steps
        self.counts = counts
    }
}

/// All counts of one mode of a run.
///
/// Energy is linear in the counts, so `coreTotals` gives it exactly. Latency takes a max
/// over cores per step, which totals cannot give: with `phases` the model evaluates the
/// mean step at each position of the sample (exact when every sample loads its
/// critical core alike, as nBP's fixed-schedule learning sweep does); without `phases`
/// it assumes every step carries the mean load (a lower bound). docs/energy.md.
public struct ModeCounts: Codable, Sendable, Equatable {
    /// Complete samples.
    public var samples: Int
    /// Samples with fewer than `stepsPerSample` steps (flagged, §1.1).
    public var partialSamples: Int
    public var stepsPerSample: Int
    /// All steps of this mode, complete and partial samples.
    public var steps: Int
    /// One record per used core, totals over all steps of this mode.
    public var coreTotals: [CoreCounts]
    /// Optional: `stepsPerSample` entries, per step position.
    public var phases: [PhaseCounts]?
    /// Optional: chip-wide totals of every sample, in order (per-sample energy spread).
    public var sampleTotals: [SampleCounts]?

    public init(
        samples: Int, partialSamples: Int = 0, stepsPerSample: Int, steps: Int,
        coreTotals: [CoreCounts], phases: [PhaseCounts]? = nil,
        sampleTotals: [SampleCounts]? = nil
    ) {
        self.sampleTotals = sampleTotals
        self.samples = samples
        self.partialSamples = partialSamples
        self.stepsPerSample = stepsPerSample
        self.steps = steps
        self.coreTotals = coreTotals
        self.phases = phases
    }

    /// Sum of all cores' totals.
    public var chipTotals: CoreStepCounts {
        var total = CoreStepCounts()
        for c in coreTotals { total += c.counts }
        return total
    }
}

/// Problems in a counts file.
public enum EnergyCountsError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    case unreadable(path: String, reason: String)
    case invalid(origin: String, problems: [String])

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "no \(EnergyCounts.fileName) at \(path): run training or evaluation with "
                + "the chip engine (it writes this file into the run directory), or pass the "
                + "directory that holds it"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason) — the file must follow the counts format "
                + "in docs/energy.md"
        case .invalid(let origin, let problems):
            return "\(origin) has \(problems.count) problem" + (problems.count == 1 ? "" : "s")
                + ":\n" + problems.map { "  - " + $0 }.joined(separator: "\n")
                + "\nRegenerate the file with EnergyCountsRecorder (docs/energy.md)."
        }
    }
}

/// The `energy_counts.json` document a chip-engine run directory holds (docs/energy.md).
public struct EnergyCounts: Codable, Sendable, Equatable {
    public static let fileName = "energy_counts.json"
    public static let formatName = "synfire-energy-counts"

    public var schemaVersion: Int
    public var format: String
    /// Free text: what produced the counts.
    public var description: String
    /// Network label, e.g. "nbp 400-400-10".
    public var network: String?
    /// Published figures to compare against: "nbp" (energy-model.md §7.1) or nil.
    public var reference: String?
    public var placement: CoreAllocation
    public var training: ModeCounts?
    public var inference: ModeCounts?

    public init(
        description: String, network: String? = nil, reference: String? = nil,
        placement: CoreAllocation, training: ModeCounts? = nil, inference: ModeCounts? = nil
    ) {
        self.schemaVersion = 1
        self.format = Self.formatName
        self.description = description
        self.network = network
        self.reference = reference
        self.placement = placement
        self.training = training
        self.inference = inference
    }

    public func counts(for mode: RunMode) -> ModeCounts? {
        mode == .training ? training : inference
    }

    /// Reads `RUN_DIR/energy_counts.json` (or the file itself) and validates it.
    public static func load(runDirectory path: String) throws(EnergyCountsError) -> EnergyCounts {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let file =
            isDirectory.boolValue ? (path as NSString).appendingPathComponent(fileName) : path
        guard exists, FileManager.default.fileExists(atPath: file) else {
            throw .missingFile(path: file)
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw .unreadable(path: file, reason: error.localizedDescription)
        }
        let counts: EnergyCounts
        do { counts = try JSONDecoder().decode(EnergyCounts.self, from: data) } catch {
            throw .unreadable(path: file, reason: CostTable.describe(error))
        }
        let problems = counts.validationProblems()
        guard problems.isEmpty else { throw .invalid(origin: file, problems: problems) }
        return counts
    }

    /// Writes the file atomically (temp file, then rename).
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    /// §2 invariants on totals, plus the file's own consistency rules. All problems.
    public func validationProblems() -> [String] {
        var problems: [String] = []
        if schemaVersion != 1 { problems.append("schemaVersion is \(schemaVersion), expected 1") }
        if format != Self.formatName {
            problems.append("format is '\(format)', expected '\(Self.formatName)'")
        }
        var compartments: [Int: Int] = [:]
        for load in placement.cores {
            if compartments[load.core] != nil {
                problems.append("placement lists core \(load.core) twice")
            }
            compartments[load.core] = load.compartments
        }
        if training == nil && inference == nil {
            problems.append("neither training nor inference counts are present")
        }
        for mode in RunMode.allCases {
            guard let m = counts(for: mode) else { continue }
            let p = mode.rawValue
            if m.stepsPerSample < 1 { problems.append("\(p).stepsPerSample must be >= 1") }
            if m.samples < 0 || m.partialSamples < 0 || m.steps < 0 {
                problems.append("\(p): samples, partialSamples and steps must be >= 0")
            }
            if m.samples * m.stepsPerSample > m.steps {
                problems.append(
                    "\(p): \(m.samples) samples x \(m.stepsPerSample) steps exceed steps \(m.steps)"
                )
            }
            var seen = Set<Int>()
            for c in m.coreTotals {
                if !seen.insert(c.core).inserted {
                    problems.append("\(p).coreTotals lists core \(c.core) twice")
                }
                guard let n = compartments[c.core] else {
                    problems.append("\(p).coreTotals has core \(c.core), which the placement lacks")
                    continue
                }
                problems += c.counts.invariantViolations(
                    core: c.core, configuredCompartments: n, steps: m.steps
                ).map { "\(p): " + $0 }
            }
            let total = m.chipTotals
            if total.messagesOut != total.messagesIn {
                problems.append(
                    "\(p): messagesOut \(total.messagesOut) != messagesIn \(total.messagesIn) "
                        + "(every message is delivered in the step it is sent)")
            }
            if let samples = m.sampleTotals {
                if samples.count != m.samples + m.partialSamples {
                    problems.append(
                        "\(p).sampleTotals has \(samples.count) samples, expected samples + "
                            + "partialSamples = \(m.samples + m.partialSamples)")
                }
                var sum = CoreStepCounts()
                for sample in samples { sum += sample.counts }
                if sum != total {
                    problems.append("\(p).sampleTotals do not add up to the core totals")
                }
                if samples.reduce(0, { $0 + $1.steps }) != m.steps {
                    problems.append(
                        "\(p).sampleTotals cover a different number of steps than \(m.steps)")
                }
            }
            if let phases = m.phases {
                if phases.count != m.stepsPerSample {
                    problems.append(
                        "\(p).phases has \(phases.count) entries, expected stepsPerSample "
                            + "\(m.stepsPerSample)")
                }
                var sum: [Int: CoreStepCounts] = [:]
                var stepsInPhases = 0
                for (i, phase) in phases.enumerated() {
                    if phase.stepInSample != i {
                        problems.append("\(p).phases[\(i)].stepInSample is \(phase.stepInSample)")
                    }
                    stepsInPhases += phase.samples
                    for c in phase.cores {
                        sum[c.core, default: CoreStepCounts()] += c.counts
                    }
                }
                if stepsInPhases != m.steps {
                    problems.append(
                        "\(p).phases cover \(stepsInPhases) steps, expected steps \(m.steps)")
                }
                for c in m.coreTotals {
                    if (sum[c.core] ?? CoreStepCounts()) != c.counts {
                        problems.append(
                            "\(p): phases of core \(c.core) do not add up to its coreTotals")
                    }
                }
            }
        }
        return problems
    }
}

/// Builds an `EnergyCounts` document step by step while a simulator runs. The simulator
/// hands over one record per used core per step (energy-model.md §2); the recorder
/// keeps per-core totals and per-phase totals, so its memory does not grow with the run.
public struct EnergyCountsRecorder: Sendable {
    public let placement: CoreAllocation
    private var slotOfCore: [Int: Int] = [:]
    private var compartments: [Int]
    private var modes: [RunMode: ModeAccumulator] = [:]

    struct ModeAccumulator: Sendable {
        var stepsPerSample: Int
        /// phases[k][slot]: totals of the used core `placement.cores[slot]`.
        var phases: [[CoreStepCounts]]
        var phaseSamples: [Int]
        var nextStep = 0
        var samplesStarted = 0
        var samplesCompleted = 0
        var currentSampleSteps = 0
        /// Chip-wide totals per sample, when kept.
        var samples: [SampleCounts]? = nil
    }

    /// `stepsPerSample` per mode cuts untagged steps into samples (§1.1). With
    /// `keepSampleTotals` the file also lists every sample's chip-wide counts (16 numbers
    /// a sample), which gives the per-sample energy spread of spec §8.2.
    public init(
        placement: CoreAllocation, stepsPerSample: [RunMode: Int], keepSampleTotals: Bool = false
    ) {
        self.placement = placement
        compartments = placement.cores.map(\.compartments)
        for (i, load) in placement.cores.enumerated() { slotOfCore[load.core] = i }
        for (mode, steps) in stepsPerSample {
            let empty = Array(repeating: CoreStepCounts(), count: placement.cores.count)
            modes[mode] = ModeAccumulator(
                stepsPerSample: steps, phases: Array(repeating: empty, count: max(steps, 1)),
                phaseSamples: Array(repeating: 0, count: max(steps, 1)),
                samples: keepSampleTotals ? [] : nil)
        }
    }

    /// Records one step. `cores` holds one record per used core (any order).
    /// `stepInSample` tags the step's position in its sample; nil continues the mode's
    /// running position (steps cut into equal samples, §1.1).
    public mutating func record(
        _ cores: [CoreCounts], mode: RunMode, stepInSample: Int? = nil
    ) {
        let k = position(mode, stepInSample)
        #if DEBUG
            checkInvariants(cores)
        #endif
        var stepTotal = CoreStepCounts()
        for c in cores {
            guard let slot = slotOfCore[c.core] else {
                preconditionFailure("counts for core \(c.core), which the placement does not use")
            }
            modes[mode]!.phases[k][slot] += c.counts
            stepTotal += c.counts
        }
        advance(mode, k, stepTotal)
    }

    /// The NeuroChip bridge: `chipStep` is `ChipSimulator.lastStepCounts`, indexed by
    /// core (all 128); the used cores of the placement are taken from it.
    public mutating func record(
        chipStep: [CoreStepCounts], mode: RunMode, stepInSample: Int? = nil
    ) {
        let k = position(mode, stepInSample)
        #if DEBUG
            checkInvariants(
                placement.cores.map { CoreCounts(core: $0.core, counts: chipStep[$0.core]) })
        #endif
        var stepTotal = CoreStepCounts()
        for (slot, load) in placement.cores.enumerated() {
            modes[mode]!.phases[k][slot] += chipStep[load.core]
            stepTotal += chipStep[load.core]
        }
        advance(mode, k, stepTotal)
    }

    private func position(_ mode: RunMode, _ stepInSample: Int?) -> Int {
        guard let acc = modes[mode] else {
            preconditionFailure("EnergyCountsRecorder: no stepsPerSample given for \(mode)")
        }
        let k = stepInSample ?? acc.nextStep
        precondition(k >= 0 && k < acc.stepsPerSample, "stepInSample \(k) out of range")
        return k
    }

    private mutating func advance(_ mode: RunMode, _ k: Int, _ stepTotal: CoreStepCounts) {
        // A sample starts at position 0 (or with the very first step recorded) and is
        // complete once it has stepsPerSample steps (§1.1).
        if k == 0 || modes[mode]!.samplesStarted == 0 {
            modes[mode]!.samplesStarted += 1
            modes[mode]!.currentSampleSteps = 0
        }
        modes[mode]!.currentSampleSteps += 1
        if modes[mode]!.currentSampleSteps == modes[mode]!.stepsPerSample {
            modes[mode]!.samplesCompleted += 1
        }
        if modes[mode]!.samples != nil {
            if k == 0 || modes[mode]!.samples!.isEmpty {
                let index = modes[mode]!.samples!.count
                modes[mode]!.samples!.append(SampleCounts(index: index, steps: 0, counts: .init()))
            }
            let last = modes[mode]!.samples!.count - 1
            modes[mode]!.samples![last].steps += 1
            modes[mode]!.samples![last].counts += stepTotal
        }
        modes[mode]!.phaseSamples[k] += 1
        modes[mode]!.nextStep = (k + 1) % modes[mode]!.stepsPerSample
    }

    /// §2 invariants of one step (debug builds).
    private func checkInvariants(_ cores: [CoreCounts]) {
        var out = 0
        var inbound = 0
        for c in cores {
            if let slot = slotOfCore[c.core] {
                let problems = c.counts.invariantViolations(
                    core: c.core, configuredCompartments: compartments[slot], steps: 1)
                assert(problems.isEmpty, problems.joined(separator: "; "))
            }
            out += c.counts.messagesOut
            inbound += c.counts.messagesIn
        }
        assert(out == inbound, "messagesOut \(out) != messagesIn \(inbound) in one step")
    }

    /// The counts document so far.
    public func counts(
        description: String, network: String? = nil, reference: String? = nil
    ) -> EnergyCounts {
        var result = EnergyCounts(
            description: description, network: network, reference: reference,
            placement: placement)
        for mode in RunMode.allCases {
            guard let acc = modes[mode], acc.phaseSamples.contains(where: { $0 > 0 }) else {
                continue
            }
            var totals = Array(repeating: CoreStepCounts(), count: placement.cores.count)
            var phases: [PhaseCounts] = []
            for (k, phase) in acc.phases.enumerated() {
                for (slot, c) in phase.enumerated() { totals[slot] += c }
                phases.append(
                    PhaseCounts(
                        stepInSample: k, samples: acc.phaseSamples[k],
                        cores: zip(placement.cores, phase).map {
                            CoreCounts(core: $0.core, counts: $1)
                        }))
            }
            let counts = ModeCounts(
                samples: acc.samplesCompleted,
                partialSamples: acc.samplesStarted - acc.samplesCompleted,
                stepsPerSample: acc.stepsPerSample, steps: acc.phaseSamples.reduce(0, +),
                coreTotals: zip(placement.cores, totals).map {
                    CoreCounts(core: $0.core, counts: $1)
                },
                phases: phases, sampleTotals: acc.samples)
            if mode == .training { result.training = counts } else { result.inference = counts }
        }
        return result
    }
}
