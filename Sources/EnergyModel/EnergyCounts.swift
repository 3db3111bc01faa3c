import Foundation
import NeuroChip

/// Whether a step belongs to a training or an inference sample (docs/energy.md "The model").
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
    /// Samples with fewer than `stepsPerSample` steps (flagged, docs/energy.md "The model").
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
    /// Optional: this mode's own placement when it runs a different circuit (nBP
    /// inference uses a 4-step circuit); otherwise the file's `placement` applies.
    public var placement: CoreAllocation?

    public init(
        samples: Int, partialSamples: Int = 0, stepsPerSample: Int, steps: Int,
        coreTotals: [CoreCounts], phases: [PhaseCounts]? = nil,
        sampleTotals: [SampleCounts]? = nil, placement: CoreAllocation? = nil
    ) {
        self.sampleTotals = sampleTotals
        self.placement = placement
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
                + "the chip engine, or with the fast engine and --energy-counts (both write this "
                + "file into the run directory), or pass the directory that holds it"
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
    /// Published figures to compare against: "nbp" (docs/energy.md "Comparison with the nBP paper") or nil.
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

    /// The placement a mode's counts refer to: its own, else the file's.
    public func placement(for mode: RunMode) -> CoreAllocation {
        counts(for: mode)?.placement ?? placement
    }

    /// Sibling file some runs write for a separate inference circuit; `load` merges it.
    public static let inferenceFileName = "energy_counts_inference.json"

    /// One document from separate training and inference documents (different circuits,
    /// different placements): the training placement stays file-level, the inference
    /// mode carries its own.
    public static func combining(training: EnergyCounts?, inference: EnergyCounts?)
        -> EnergyCounts?
    {
        guard let base = training ?? inference else { return nil }
        var result = base
        if let training {
            result.training = training.training.map { mode in
                var m = mode
                m.placement = training.placement(for: .training)
                if m.placement == base.placement { m.placement = nil }
                return m
            }
        }
        if let inference, let mode = inference.inference {
            var m = mode
            m.placement = inference.placement(for: .inference)
            if m.placement == result.placement { m.placement = nil }
            result.inference = m
            if result.reference == nil { result.reference = inference.reference }
        }
        return result
    }

    /// Reads `RUN_DIR/energy_counts.json` (or the file itself) and validates it. When the
    /// directory also holds `energy_counts_inference.json` and the main file has no
    /// inference counts, that file's inference counts (with their placement) are merged.
    public static func load(runDirectory path: String) throws(EnergyCountsError) -> EnergyCounts {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        guard exists else { throw .missingFile(path: path) }
        guard isDirectory.boolValue else { return try loadFile(path) }
        let main = (path as NSString).appendingPathComponent(fileName)
        let sibling = (path as NSString).appendingPathComponent(inferenceFileName)
        let hasMain = FileManager.default.fileExists(atPath: main)
        let hasSibling = FileManager.default.fileExists(atPath: sibling)
        guard hasMain || hasSibling else { throw .missingFile(path: main) }
        let training = hasMain ? try loadFile(main) : nil
        guard hasSibling, training?.inference == nil else { return training! }
        let combined = combining(training: training, inference: try loadFile(sibling))!
        let problems = combined.validationProblems()
        guard problems.isEmpty else { throw .invalid(origin: path, problems: problems) }
        return combined
    }

    /// Reads and validates one counts file.
    public static func loadFile(_ file: String) throws(EnergyCountsError) -> EnergyCounts {
        guard FileManager.default.fileExists(atPath: file) else {
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

    /// docs/energy.md "Counted quantities" invariants on totals, plus the file's own consistency rules. All problems.
    public func validationProblems() -> [String] {
        var problems: [String] = []
        if schemaVersion != 1 { problems.append("schemaVersion is \(schemaVersion), expected 1") }
        if format != Self.formatName {
            problems.append("format is '\(format)', expected '\(Self.formatName)'")
        }
        func compartmentsByCore(_ allocation: CoreAllocation, _ label: String) -> [Int: Int] {
            var result: [Int: Int] = [:]
            for load in allocation.cores {
                if result[load.core] != nil {
                    problems.append("\(label) lists core \(load.core) twice")
                }
                result[load.core] = load.compartments
            }
            return result
        }
        let fileCompartments = compartmentsByCore(placement, "placement")
        if training == nil && inference == nil {
            problems.append("neither training nor inference counts are present")
        }
        for mode in RunMode.allCases {
            guard let m = counts(for: mode) else { continue }
            let p = mode.rawValue
            let compartments =
                m.placement.map { compartmentsByCore($0, "\(p).placement") } ?? fileCompartments
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
/// hands over one record per used core per step (docs/energy.md "Counted quantities"); the recorder
/// keeps per-core totals per step position (and, optionally, chip-wide totals per
/// sample), so its memory does not grow with the run's length.
public struct EnergyCountsRecorder: Sendable {
    public let placement: CoreAllocation
    private var slotOfCore: [Int: Int] = [:]
    private var compartments: [Int]
    // One optional accumulator per mode, mutated in place through `update` (a dictionary
    // of structs copied the phase arrays on every step: 50x slower, measured).
    private var training: ModeAccumulator?
    private var inference: ModeAccumulator?

    struct ModeAccumulator: Sendable {
        var stepsPerSample: Int
        var usedCores: Int
        /// phases[k * usedCores + slot]: totals of core `placement.cores[slot]` at position k.
        var phases: [CoreStepCounts]
        var phaseSamples: [Int]
        var nextStep = 0
        var samplesStarted = 0
        var samplesCompleted = 0
        var currentSampleSteps = 0
        /// Chip-wide totals per sample, when kept.
        var samples: [SampleCounts]?

        init(stepsPerSample: Int, usedCores: Int, keepSamples: Bool) {
            self.stepsPerSample = max(stepsPerSample, 1)
            self.usedCores = usedCores
            phases = Array(repeating: CoreStepCounts(), count: self.stepsPerSample * usedCores)
            phaseSamples = Array(repeating: 0, count: self.stepsPerSample)
            samples = keepSamples ? [] : nil
        }

        func position(_ stepInSample: Int?) -> Int {
            let k = stepInSample ?? nextStep
            precondition(k >= 0 && k < stepsPerSample, "stepInSample \(k) out of range")
            return k
        }

        /// Sample bookkeeping after the step at position k (docs/energy.md "The model"): a sample starts at
        /// position 0 (or with the very first step recorded) and is complete once it has
        /// stepsPerSample steps.
        mutating func advance(_ k: Int, _ stepTotal: CoreStepCounts) {
            if k == 0 || samplesStarted == 0 {
                samplesStarted += 1
                currentSampleSteps = 0
                if samples != nil {
                    samples!.append(SampleCounts(index: samples!.count, steps: 0, counts: .init()))
                }
            }
            currentSampleSteps += 1
            if currentSampleSteps == stepsPerSample { samplesCompleted += 1 }
            if samples != nil {
                samples![samples!.count - 1].steps += 1
                samples![samples!.count - 1].counts += stepTotal
            }
            phaseSamples[k] += 1
            nextStep = (k + 1) % stepsPerSample
        }
    }

    /// `stepsPerSample` per mode cuts untagged steps into samples (docs/energy.md "The model"). With
    /// `keepSampleTotals` the file also lists every sample's chip-wide counts (16 numbers
    /// a sample), which gives the per-sample energy spread of docs/energy.md "Report".
    public init(
        placement: CoreAllocation, stepsPerSample: [RunMode: Int], keepSampleTotals: Bool = false
    ) {
        self.placement = placement
        compartments = placement.cores.map(\.compartments)
        for (i, load) in placement.cores.enumerated() { slotOfCore[load.core] = i }
        let n = placement.cores.count
        if let steps = stepsPerSample[.training] {
            training = ModeAccumulator(
                stepsPerSample: steps, usedCores: n, keepSamples: keepSampleTotals)
        }
        if let steps = stepsPerSample[.inference] {
            inference = ModeAccumulator(
                stepsPerSample: steps, usedCores: n, keepSamples: keepSampleTotals)
        }
    }

    private mutating func update<T>(_ mode: RunMode, _ body: (inout ModeAccumulator) -> T) -> T {
        switch mode {
        case .training:
            precondition(training != nil, "EnergyCountsRecorder: no stepsPerSample for training")
            return body(&training!)
        case .inference:
            precondition(inference != nil, "EnergyCountsRecorder: no stepsPerSample for inference")
            return body(&inference!)
        }
    }

    /// Records one step. `cores` holds one record per used core (any order).
    /// `stepInSample` tags the step's position in its sample; nil continues the mode's
    /// running position (steps cut into equal samples, docs/energy.md "The model").
    public mutating func record(
        _ cores: [CoreCounts], mode: RunMode, stepInSample: Int? = nil
    ) {
        #if DEBUG
            checkInvariants(cores)
        #endif
        let slots = cores.map { c -> Int in
            guard let slot = slotOfCore[c.core] else {
                preconditionFailure("counts for core \(c.core), which the placement does not use")
            }
            return slot
        }
        update(mode) { acc in
            let k = acc.position(stepInSample)
            let base = k * acc.usedCores
            var stepTotal = CoreStepCounts()
            for (c, slot) in zip(cores, slots) {
                acc.phases[base + slot] += c.counts
                if acc.samples != nil { stepTotal += c.counts }
            }
            acc.advance(k, stepTotal)
        }
    }

    /// The NeuroChip bridge: `chipStep` is `ChipSimulator.lastStepCounts`, indexed by
    /// core (all 128); the used cores of the placement are taken from it.
    public mutating func record(
        chipStep: [CoreStepCounts], mode: RunMode, stepInSample: Int? = nil
    ) {
        #if DEBUG
            checkInvariants(
                placement.cores.map { CoreCounts(core: $0.core, counts: chipStep[$0.core]) })
        #endif
        let loads = placement.cores
        update(mode) { acc in
            let k = acc.position(stepInSample)
            let base = k * acc.usedCores
            var stepTotal = CoreStepCounts()
            let keepSamples = acc.samples != nil
            acc.phases.withUnsafeMutableBufferPointer { phases in
                chipStep.withUnsafeBufferPointer { step in
                    for slot in 0..<loads.count {
                        let c = step[loads[slot].core]
                        phases[base + slot] += c
                        if keepSamples { stepTotal += c }
                    }
                }
            }
            acc.advance(k, stepTotal)
        }
    }

    /// docs/energy.md "Counted quantities" invariants of one step (debug builds).
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
            guard let acc = mode == .training ? training : inference, acc.samplesStarted > 0
            else { continue }
            let n = acc.usedCores
            var totals = Array(repeating: CoreStepCounts(), count: n)
            var phases: [PhaseCounts] = []
            for k in 0..<acc.stepsPerSample {
                var cores: [CoreCounts] = []
                for slot in 0..<n {
                    let c = acc.phases[k * n + slot]
                    totals[slot] += c
                    cores.append(CoreCounts(core: placement.cores[slot].core, counts: c))
                }
                phases.append(
                    PhaseCounts(stepInSample: k, samples: acc.phaseSamples[k], cores: cores))
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
