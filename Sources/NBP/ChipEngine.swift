import EnergyModel
import Foundation
import NeuroChip

/// Runs the nBP circuit (nbp-circuit.md §3-6) on the NeuroChip simulator: every training
/// sample is 12 steps of spikes through the gated chain with the learning engine applying
/// every update; inference runs the 4-step circuit with fixed weights.
public final class NBPChipEngine: NBPEngine {
    public let sizes: NBPSizes
    public let circuit: NBPCircuit
    let inferenceCircuit: NBPCircuit
    /// Seed of the chip's generator (stochastic rounding of the learning-rate schedule).
    let chipSeed: UInt64
    /// Threads each simulator steps with (results are the same for any count).
    let threads: Int
    private(set) var chip: ChipSimulator
    /// Update probability exponent the current simulator's rule uses.
    private(set) var updateExponent = 0
    /// Samples trained on the current simulator instance.
    private(set) var samplesOnChip = 0
    /// Spikes outside the phases their population may fire in (§7), over the whole run.
    public private(set) var gateViolations = 0
    /// Per-population violation counts (for reports).
    public private(set) var violationsByPopulation: [String: Int] = [:]
    /// Per-phase (1...12) violation counts.
    public private(set) var violationsByPhase: [Int: Int] = [:]
    /// Steps simulated in training and inference (for speed figures).
    public private(set) var trainingSteps = 0
    public private(set) var inferenceSteps = 0
    /// Every step's spikes are handed to this observer when set (raster plots, golden test).
    public var spikeObserver: ((_ step: Int, _ spikes: [String: [Int]]) -> Void)?
    /// Counters of simulator instances already replaced (rebuilds, new inference chips).
    var retiredTraining = NBPChipCounters()
    var retiredInference = NBPChipCounters()

    // Indices resolved once.
    var populationIndices: [Int]
    var allowedPhases: [[Bool]]
    var inputGenerator: Int
    var targetGenerator: Int
    var rewardGenerator: Int
    var skipGenerator: Int
    /// `in_replay_veto`, when the circuit has the input replay gate.
    var replayVetoGenerator: Int?
    var hiddenVetoGenerator: Int?
    var oIndex: Int
    private var vetoed: [Int] = []

    /// Record energy counts (energy_counts.json, docs/energy.md) of training and inference.
    public var recordsEnergy = false
    var trainingRecorder: EnergyCountsRecorder?
    var inferenceRecorder: EnergyCountsRecorder?

    var inferenceChip: ChipSimulator?
    var inferenceSamples = 0
    var inferenceWeightsStale = true

    static let plasticNames = ["W1", "W1c1", "W1c2", "W2", "W2c1", "W2c2", "W2Tp", "M"]
    var connectionOfMatrix: [String: String] = [:]

    public convenience init(
        weights: NBPWeights, seed: UInt64 = 0, margin: Int = 0, replayGate: Bool = false, threads: Int = 1
    ) throws(NBPError) {
        try weights.validate(variant: .chip)
        try self.init(
            matrices: NBPChipMatrices(weights: weights), sizes: weights.sizes, seed: seed, margin: margin,
            replayGate: replayGate, threads: threads)
    }

    /// From all eight matrices (a resumed run whose copies drifted under the schedule).
    /// `margin`: the training margin's two connections (docs/nbp.md; 0 = the paper);
    /// `replayGate`: the input replay gate's generator and veto (needed for replay subsets).
    public init(
        matrices: NBPChipMatrices, sizes: NBPSizes, seed: UInt64 = 0, margin: Int = 0, replayGate: Bool = false,
        threads: Int = 1
    ) throws(NBPError) {
        self.sizes = sizes
        self.threads = threads
        circuit = try NBPCircuit.training(sizes: sizes, margin: margin, replayGate: replayGate)
        inferenceCircuit = try NBPCircuit.inference(sizes: sizes)
        chipSeed = seed
        for connection in circuit.connections where connection.kind == .p {
            connectionOfMatrix[connection.matrix ?? ""] = connection.name
        }
        chip = try NBPChipEngine.makeChip(
            circuit: circuit, matrices: matrices.dictionary, exponent: 0, seed: seed, threads: threads)
        populationIndices = []
        allowedPhases = []
        inputGenerator = 0
        targetGenerator = 0
        rewardGenerator = 0
        skipGenerator = 0
        oIndex = 0
        try resolveIndices()
    }

    static func makeChip(
        circuit: NBPCircuit, matrices: [String: [Int]], exponent: Int, seed: UInt64, threads: Int
    ) throws(NBPError) -> ChipSimulator {
        let description = try circuit.networkDescription(
            matrices: matrices, plastic: true, updateExponent: exponent, seed: seed)
        do {
            return try ChipSimulator(description, execution: ChipExecution(threads: threads))
        } catch {
            throw .chipMismatch("the chip rejected the nBP network: \(error)")
        }
    }

    private func resolveIndices() throws(NBPError) {
        do {
            populationIndices = try circuit.populations.map { try chip.populationIndex($0.name) }
            inputGenerator = try chip.generatorIndex("input")
            targetGenerator = try chip.generatorIndex("in_tgt")
            rewardGenerator = try chip.generatorIndex("reward")
            skipGenerator = try chip.generatorIndex("in_skip")
            replayVetoGenerator =
                circuit.replayVetoOffsets.isEmpty ? nil : try chip.generatorIndex("in_replay_veto")
            hiddenVetoGenerator =
                circuit.hiddenVetoOffsets.isEmpty ? nil : try chip.generatorIndex("in_hidden_veto")
            oIndex = try chip.populationIndex("o")
        } catch {
            throw .chipMismatch("circuit and chip disagree on names: \(error)")
        }
        allowedPhases = circuit.populations.map { population in
            (0...circuit.stepsPerSample).map { population.phases.contains($0) }
        }
    }

    /// All eight plastic matrices as the chip holds them (post x pre).
    public func chipMatrices() throws(NBPError) -> NBPChipMatrices {
        func read(_ name: String) throws(NBPError) -> [Int16] {
            do {
                return try chip.weights(of: connectionOfMatrix[name] ?? name).map { Int16($0) }
            } catch {
                throw .chipMismatch("cannot read \(name): \(error)")
            }
        }
        return NBPChipMatrices(
            w1: try read("W1"), w1c1: try read("W1c1"), w1c2: try read("W1c2"), w2: try read("W2"),
            w2c1: try read("W2c1"), w2c2: try read("W2c2"), w2Tp: try read("W2Tp"), m: try read("M"))
    }

    public var weights: NBPWeights {
        // The chip's names are fixed by the circuit, so the reads cannot fail.
        let matrices = try! chipMatrices()
        return try! NBPWeights(sizes: sizes, w1: matrices.w1, w2: matrices.w2, m: matrices.m)
    }

    /// A new epoch with another update probability rebuilds the chip with the new rule;
    /// weights carry over (all eight matrices, so diverged copies stay as they are).
    public func beginEpoch(_ epoch: Int, schedule: NBPLearningSchedule) {
        let exponent = schedule.ruleExponent(epoch: epoch)
        // With p < 1 every epoch restarts the generator from (seed, epoch), so a run resumed
        // at an epoch boundary draws what an uninterrupted run draws.
        if exponent == 0 && updateExponent == 0 { return }
        do {
            try rebuild(exponent: exponent, seed: NBPChipEngine.epochSeed(chipSeed, epoch: epoch))
        } catch {
            preconditionFailure("rebuilding the nBP chip failed: \(error)")
        }
    }

    static func epochSeed(_ seed: UInt64, epoch: Int) -> UInt64 {
        seed ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
    }

    func rebuild(exponent: Int, seed: UInt64) throws(NBPError) {
        let matrices = try chipMatrices().dictionary
        NBPChipEngine.add(chip.totals, to: &retiredTraining)
        chip = try NBPChipEngine.makeChip(
            circuit: circuit, matrices: matrices, exponent: exponent, seed: seed, threads: threads)
        updateExponent = exponent
        samplesOnChip = 0
        try resolveIndices()
    }

    static func add(_ totals: ChipCounterTotals, to sum: inout NBPChipCounters) {
        sum.steps += totals.steps
        sum.wraps += totals.wraps
        for core in 0..<min(sum.perCore.count, totals.perCore.count) { sum.perCore[core] += totals.perCore[core] }
    }

    /// Operation counters of all training steps so far (energy-model.md §2).
    public var trainingCounters: NBPChipCounters {
        var sum = retiredTraining
        NBPChipEngine.add(chip.totals, to: &sum)
        return sum
    }

    /// Operation counters of all inference steps so far.
    public var inferenceCounters: NBPChipCounters {
        var sum = retiredInference
        if let inferenceChip { NBPChipEngine.add(inferenceChip.totals, to: &sum) }
        return sum
    }

    /// Writes `energy_counts.json` (training; the placement of the 12-phase circuit) and
    /// `energy_counts_inference.json` (the 4-step inference circuit, its own placement) into
    /// `directory` (docs/energy.md "The counts file").
    public func writeEnergyCounts(to directory: String) throws {
        let url = URL(fileURLWithPath: directory)
        if let trainingRecorder {
            try trainingRecorder.counts(
                description: "nBP training on the chip circuit (12 steps per sample)",
                network: "nbp \(sizes)", reference: "nbp"
            ).write(to: url.appendingPathComponent(EnergyCounts.fileName))
        }
        if let inferenceRecorder {
            try inferenceRecorder.counts(
                description: "nBP inference on the 4-step circuit", network: "nbp \(sizes) inference",
                reference: "nbp"
            ).write(to: url.appendingPathComponent("energy_counts_inference.json"))
        }
    }

    /// Number of 24-bit wraps of u in training (each is a warning).
    public var wraps: Int { trainingCounters.wraps }

    /// Runs one step, checks every spike against its population's phases.
    @inline(__always)
    private func stepAndCheck() {
        let step = chip.currentStep
        chip.step()
        let phase = circuit.phase(ofStep: step)
        // Counts only: spike arrays are built just for an observer (no allocation per step).
        for (position, population) in populationIndices.enumerated() {
            let count = chip.spikeCount(ofPopulation: population)
            // Before phase 1 of the first sample only the gate chain may run.
            if count > 0 && !allowedPhases[position][phase] {
                gateViolations += count
                violationsByPopulation[circuit.populations[position].name, default: 0] += count
                violationsByPhase[phase, default: 0] += count
            }
        }
        if let spikeObserver {
            var observed: [String: [Int]] = [:]
            for (position, population) in populationIndices.enumerated() {
                let fired = chip.spikes(ofPopulation: population)
                if !fired.isEmpty { observed[circuit.populations[position].name] = fired }
            }
            spikeObserver(step, observed)
        }
        trainingSteps += 1
        if recordsEnergy && step >= circuit.phaseOneStep(sample: 0) - 1 {
            if trainingRecorder == nil {
                trainingRecorder = EnergyCountsRecorder(
                    simulator: chip, stepsPerSample: [.training: circuit.stepsPerSample])
            }
            // Position in the sample: the step before phase 1 (input and g01) is position 0.
            let position = (step - (circuit.phaseOneStep(sample: 0) - 1)) % circuit.stepsPerSample
            trainingRecorder?.recordLastStep(of: chip, mode: .training, stepInSample: position)
        }
    }

    /// One training sample: 12 steps (§6). Generator spikes are injected one step before they
    /// fire: input at phase 1 - 1, target at phase 2, reward at phases 5 and 7.
    public func train(active: UnsafeBufferPointer<Int32>, label: Int) -> NBPSampleOutcome {
        train(active: active, label: label, gates: NBPSampleGates())
    }

    /// With `gates.learns` false the `in_skip` generator fires in phase 3 and vetoes d+ and
    /// d- in phase 4 (docs/nbp.md, per-sample learning gate); with replay subsets the
    /// `in_replay_veto` generator fires in phases 6 and 10 for the active inputs left out,
    /// so they stay silent in phases 7 and 11 (input replay gate).
    public func train(active: UnsafeBufferPointer<Int32>, label: Int, gates: NBPSampleGates) -> NBPSampleOutcome {
        precondition(
            replayVetoGenerator != nil || !gates.vetoesReplay,
            "replay vetoes need the circuit's replay gates (NBPChipEngine(replayGate: true))")
        inferenceWeightsStale = true
        let phaseOne = circuit.phaseOneStep(sample: samplesOnChip)
        // Bring the chip to one step before phase 1 (the very first sample also runs the
        // start-up steps in which in_g and g00 fire).
        while chip.currentStep < phaseOne - 1 { stepAndCheck() }
        let input = active.map { Int($0) }
        var outcome = NBPSampleOutcome(exact: false, firstActive: 0, argmaxInput: 0, outputBits: 0)
        for offset in -1..<(circuit.stepsPerSample - 1) {
            do {
                if offset == circuit.inputOffset { try chip.inject(generatorIndex: inputGenerator, channels: input) }
                if offset == circuit.targetOffset {
                    try chip.inject(generatorIndex: targetGenerator, channels: [label])
                }
                if circuit.rewardOffsets.contains(offset) {
                    try chip.inject(generatorIndex: rewardGenerator, channels: [0])
                }
                if !gates.learns && offset == circuit.skipOffset {
                    try chip.inject(generatorIndex: skipGenerator, channels: [0])
                }
                if let veto = replayVetoGenerator, let phase = circuit.replayVetoOffsets.firstIndex(of: offset),
                    let replayed = phase == 0 ? gates.potentiationReplay : gates.depressionReplay
                {
                    NBPChipEngine.complement(of: replayed, in: active, into: &vetoed)
                    if !vetoed.isEmpty { try chip.inject(generatorIndex: veto, channels: vetoed) }
                }
                if let veto = hiddenVetoGenerator, let phase = circuit.hiddenVetoOffsets.firstIndex(of: offset),
                    let replayed = phase == 0 ? gates.potentiationHidden : gates.depressionHidden
                {
                    vetoed.removeAll(keepingCapacity: true)
                    for j in replayed.indices where replayed[j] == 0 { vetoed.append(j) }
                    if !vetoed.isEmpty { try chip.inject(generatorIndex: veto, channels: vetoed) }
                }
            } catch {
                preconditionFailure("nBP chip input out of range: \(error)")
            }
            stepAndCheck()
            if offset == 2 { outcome = readOutput(label: label) }
        }
        samplesOnChip += 1
        return outcome
    }

    /// The active inputs not in `replayed` (both ascending), in order.
    static func complement(
        of replayed: UnsafeBufferPointer<Int32>, in active: UnsafeBufferPointer<Int32>, into out: inout [Int]
    ) {
        out.removeAll(keepingCapacity: true)
        var position = 0
        for input in active {
            if position < replayed.count && replayed[position] == input {
                position += 1
            } else {
                out.append(Int(input))
            }
        }
        precondition(position == replayed.count, "replayed inputs must be an ascending subset of the active ones")
    }

    /// Output spikes of phase 3 and the summed input z recovered from the o compartments'
    /// current: u = 64 * (z + 8704) while g03 lifts them (§4).
    private func readOutput(label: Int, from simulator: ChipSimulator? = nil) -> NBPSampleOutcome {
        let source = simulator ?? chip
        let index = simulator == nil ? oIndex : (try? source.populationIndex("o")) ?? 0
        let fired = source.spikes(ofPopulation: index)
        var bits: UInt64 = 0
        for k in fired where k < 64 { bits |= 1 << UInt64(k) }
        let current = (try? source.state(of: "o").u) ?? []
        var best = 0
        for k in 0..<current.count where current[k] > current[best] { best = k }
        let exact = fired == [label]
        return NBPSampleOutcome(exact: exact, firstActive: fired.first ?? 0, argmaxInput: best, outputBits: bits)
    }

    /// Inference: the 4-step circuit with the current W1, W2 as fixed weights (§6).
    public func infer(active: UnsafeBufferPointer<Int32>, label: Int) -> NBPSampleOutcome {
        do {
            if inferenceWeightsStale || inferenceChip == nil {
                let current = try chipMatrices()
                let description: NetworkDescription = try inferenceCircuit.networkDescription(
                    matrices: ["W1": current.w1.map(Int.init), "W2": current.w2.map(Int.init)], plastic: false)
                if let old = inferenceChip { NBPChipEngine.add(old.totals, to: &retiredInference) }
                inferenceChip = try ChipSimulator(description, execution: ChipExecution(threads: threads))
                inferenceSamples = 0
                inferenceWeightsStale = false
            }
        } catch {
            preconditionFailure("building the nBP inference chip failed: \(error)")
        }
        let simulator = inferenceChip!
        let phaseOne = inferenceCircuit.phaseOneStep(sample: inferenceSamples)
        while simulator.currentStep < phaseOne - 1 { inferStep(simulator) }
        do {
            try simulator.inject(generator: "input", channels: active.map { Int($0) })
        } catch {
            preconditionFailure("nBP chip input out of range: \(error)")
        }
        var outcome = NBPSampleOutcome(exact: false, firstActive: 0, argmaxInput: 0, outputBits: 0)
        for offset in -1..<(inferenceCircuit.stepsPerSample - 1) {
            inferStep(simulator)
            if offset == 2 { outcome = readOutput(label: label, from: simulator) }
        }
        inferenceSamples += 1
        return outcome
    }

    private func inferStep(_ simulator: ChipSimulator) {
        let step = simulator.currentStep
        simulator.step()
        inferenceSteps += 1
        let start = inferenceCircuit.phaseOneStep(sample: 0) - 1
        if recordsEnergy && step >= start {
            if inferenceRecorder == nil {
                inferenceRecorder = EnergyCountsRecorder(
                    simulator: simulator, stepsPerSample: [.inference: inferenceCircuit.stepsPerSample])
            }
            inferenceRecorder?.recordLastStep(
                of: simulator, mode: .inference, stepInSample: (step - start) % inferenceCircuit.stepsPerSample)
        }
    }
}

/// Operation counters summed over every simulator instance an engine used.
public struct NBPChipCounters: Sendable, Equatable {
    public var steps = 0
    public var wraps = 0
    public var perCore = [CoreStepCounts](repeating: CoreStepCounts(), count: ChipGeometry.cores)

    public init() {}

    /// Chip-wide sum.
    public var chip: CoreStepCounts { perCore.reduce(into: CoreStepCounts()) { $0 += $1 } }
}
