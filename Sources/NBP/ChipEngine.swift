import EnergyModel
import Foundation
import NeuroChip

/// Runs the nBP circuit on the NeuroChip simulator: every training sample is 9H + 3 steps
/// of spikes through the gated chain (12 for one hidden layer) with the learning engine
/// applying every update; inference runs the (H + 3)-step circuit with fixed weights. The reference for the other
/// engines: what it computes is what the chip computes. Gate violations, energy counts and
/// spike rasters watch its steps as probes (`NBPChipProbe`).
public final class NBPChipEngine: NBPEngine {
    /// Input, first hidden layer and output.
    public let sizes: NBPSizes
    /// Every layer (docs/nbp.md, "Deeper networks").
    public let layerSizes: NBPLayerSizes
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
    /// Steps simulated in training and inference (for speed figures).
    public private(set) var trainingSteps = 0
    public private(set) var inferenceSteps = 0
    /// Every training step's spikes are handed to this observer when set (raster plots,
    /// golden test); the arrays are built only for it.
    public var spikeObserver: ((_ step: Int, _ spikes: [String: [Int]]) -> Void)?
    /// Counters of simulator instances already replaced (rebuilds, new inference chips).
    var retiredTraining = NBPChipCounters()
    var retiredInference = NBPChipCounters()
    /// The probes every simulated step is shown to.
    public private(set) var probes: [NBPChipProbe] = []
    /// Spikes outside their population's phases; always attached.
    public let gateMonitor: NBPGateMonitor

    // Indices resolved once.
    var populationIndices: [Int]
    var inputGenerator: Int
    var targetGenerator: Int
    var rewardGenerator: Int
    var skipGenerator: Int
    /// `in_replay_veto` / `in_hidden_veto`, when the circuit has the replay gates.
    var replayVetoGenerator: Int?
    var hiddenVetoGenerator: Int?
    var oIndex: Int
    private var vetoed: [Int] = []

    var inferenceChip: ChipSimulator?
    var inferenceSamples = 0
    var inferenceWeightsStale = true

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
    /// `replayGate`: the replay gates' generators and vetoes (needed for replay subsets).
    public convenience init(
        matrices: NBPChipMatrices, sizes: NBPSizes, seed: UInt64 = 0, margin: Int = 0, replayGate: Bool = false,
        threads: Int = 1
    ) throws(NBPError) {
        try sizes.validate()
        try self.init(
            layers: NBPLayerSizes(sizes), matrices: matrices.dictionary, seed: seed, margin: margin,
            replayGate: replayGate, threads: threads)
    }

    /// A network with any number of hidden layers, every copy starting equal to its layer's
    /// matrix (docs/nbp.md, "Deeper networks").
    public convenience init(deepWeights: NBPDeepWeights, seed: UInt64 = 0, margin: Int = 0, threads: Int = 1)
        throws(NBPError)
    {
        try self.init(
            layers: deepWeights.sizes, matrices: NBPCircuit.chipMatrices(deepWeights), seed: seed, margin: margin,
            replayGate: false, threads: threads)
    }

    /// From every plastic matrix by name (post x pre).
    init(
        layers: NBPLayerSizes, matrices: [String: [Int]], seed: UInt64, margin: Int, replayGate: Bool, threads: Int
    ) throws(NBPError) {
        layerSizes = layers
        sizes = NBPSizes(input: layers.input, hidden: layers.units[1], output: layers.output)
        self.threads = threads
        circuit = try NBPCircuit.training(layers: layers, margin: margin, replayGate: replayGate)
        inferenceCircuit = try NBPCircuit.inference(layers: layers)
        chipSeed = seed
        for connection in circuit.connections where connection.kind == .p {
            connectionOfMatrix[connection.matrix ?? ""] = connection.name
        }
        chip = try NBPChipEngine.makeChip(
            circuit: circuit, matrices: matrices, exponent: 0, seed: seed, threads: threads)
        populationIndices = []
        inputGenerator = 0
        targetGenerator = 0
        rewardGenerator = 0
        skipGenerator = 0
        oIndex = 0
        gateMonitor = NBPGateMonitor(circuit: circuit)
        probes = [gateMonitor]
        try resolveIndices()
    }

    static func makeChip(
        circuit: NBPCircuit, matrices: [String: [Int]], exponent: Int, seed: UInt64, threads: Int
    ) throws(NBPError) -> ChipSimulator {
        let description = try circuit.networkDescription(
            matrices: matrices, plastic: true, updateExponent: exponent, seed: seed)
        do {
            return try ChipSimulator(description, execution: ChipExecution(threads: threads))
        } catch let error as NetworkValidationError where error.problems.allSatisfy({ $0.hasPrefix("mapping:") }) {
            throw .chipCapacity(sizes: circuit.sizes, problems: error.problems)
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
        gateMonitor.populationIndices = populationIndices
    }

    /// Shows every following step to `probe`.
    public func attach(_ probe: NBPChipProbe) {
        if !probes.contains(where: { $0 === probe }) { probes.append(probe) }
    }

    /// Spikes outside the phases their population may fire in, over the whole run.
    public var gateViolations: Int { gateMonitor.violations }
    /// Per-population violation counts (for reports).
    public var violationsByPopulation: [String: Int] { gateMonitor.byPopulation }
    /// Per-phase (1...stepsPerSample) violation counts.
    public var violationsByPhase: [Int: Int] { gateMonitor.byPhase }

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

    public func separateCopies() throws(NBPError) -> NBPChipMatrices? { try chipMatrices() }

    /// Every plastic matrix of the circuit by name, as the chip holds it (post x pre): W_l
    /// and its copies W_lc1, W_lc2, W_lTp, and the M matrices (docs/nbp.md, "Deeper networks").
    public func plasticMatrices() throws(NBPError) -> [String: [Int]] {
        var matrices: [String: [Int]] = [:]
        for (matrix, connection) in connectionOfMatrix {
            do {
                matrices[matrix] = try chip.weights(of: connection)
            } catch {
                throw .chipMismatch("cannot read \(matrix): \(error)")
            }
        }
        return matrices
    }

    /// The trained weights of any depth (W_l and the M matrices as the chip holds them).
    public func deepWeights() throws(NBPError) -> NBPDeepWeights {
        let matrices = try plasticMatrices()
        let sizes = layerSizes
        func matrix(_ name: String) -> [Int16] { (matrices[name] ?? []).map { Int16($0) } }
        return try NBPDeepWeights(
            sizes: sizes, w: (1...sizes.weightLayers).map { matrix("W\($0)") },
            m: (2...sizes.weightLayers).map { matrix(NBPDeepWeights.mName($0, of: sizes)) })
    }

    /// The one-hidden-layer weights (the `NBPEngine` interface; deeper networks: `deepWeights()`).
    public var weights: NBPWeights {
        // The chip's names are fixed by the circuit, so the reads cannot fail.
        let matrices = try! chipMatrices()
        return try! NBPWeights(sizes: sizes, w1: matrices.w1, w2: matrices.w2, m: matrices.m)
    }

    /// Every epoch starts on a fresh chip built from the current eight matrices, with the
    /// epoch's rule (a new update probability) and generator: at p = 1 the network's seed,
    /// below it one seeded by (seed, epoch). A run resumed at an epoch boundary builds the
    /// same chip, so it continues exactly as an uninterrupted run, energy counts included.
    public func beginEpoch(_ epoch: Int, schedule: NBPLearningSchedule) {
        let exponent = schedule.ruleExponent(epoch: epoch)
        if samplesOnChip == 0 && exponent == updateExponent { return }
        do {
            let seed = exponent == 0 ? chipSeed : NBPChipEngine.epochSeed(chipSeed, epoch: epoch)
            try rebuild(exponent: exponent, seed: seed)
        } catch {
            preconditionFailure("rebuilding the nBP chip failed: \(error)")
        }
    }

    static func epochSeed(_ seed: UInt64, epoch: Int) -> UInt64 {
        seed ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
    }

    func rebuild(exponent: Int, seed: UInt64) throws(NBPError) {
        let matrices = try plasticMatrices()
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

    /// Operation counters of all training steps so far (docs/energy.md).
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

    /// Number of 24-bit wraps of u in training (each is a warning).
    public var wraps: Int { trainingCounters.wraps }

    /// Runs one training step and shows it to the probes.
    @inline(__always)
    private func trainingStep() {
        let step = chip.currentStep
        chip.step()
        trainingSteps += 1
        // Position in the sample: the step before phase 1 (input and g01) is position 0.
        let first = circuit.phaseOneStep(sample: 0) - 1
        let position = step >= first ? (step - first) % circuit.stepsPerSample : nil
        let view = NBPChipStep(chip: chip, circuit: circuit, step: step, mode: .training, position: position)
        for probe in probes { probe.chipDidStep(view) }
        if let spikeObserver {
            var observed: [String: [Int]] = [:]
            for (position, population) in populationIndices.enumerated() {
                let fired = chip.spikes(ofPopulation: population)
                if !fired.isEmpty { observed[circuit.populations[position].name] = fired }
            }
            spikeObserver(step, observed)
        }
    }

    /// One training sample: 9H + 3 steps (12 for one hidden layer). Generator spikes are
    /// injected one step before they fire: input at phase 1 - 1, target one before the
    /// output phase, reward in every carry+ and update+ phase. With `gates.learns` false the
    /// `in_skip` generator fires in the output phase and vetoes d+ and d- in the next
    /// (per-sample learning gate); with replay subsets the veto generators fire one
    /// step before phases 5 / 9 (hidden units) and 7 / 11 (inputs) for the units left out.
    public func train(_ sample: NBPSample, gates: NBPSampleGates) -> NBPSampleOutcome {
        precondition(
            replayVetoGenerator != nil || !gates.vetoesReplay,
            "replay vetoes need the circuit's replay gates (NBPChipEngine(replayGate: true))")
        inferenceWeightsStale = true
        let phaseOne = circuit.phaseOneStep(sample: samplesOnChip)
        // Bring the chip to one step before phase 1 (the very first sample also runs the
        // start-up steps in which in_g and g00 fire).
        while chip.currentStep < phaseOne - 1 { trainingStep() }
        let input = sample.active.map { Int($0) }
        var outcome = NBPSampleOutcome(exact: false, firstActive: 0, argmaxInput: 0, outputBits: 0)
        for offset in -1..<(circuit.stepsPerSample - 1) {
            do {
                try inject(offset: offset, input: input, sample: sample, gates: gates)
            } catch {
                preconditionFailure("nBP chip input out of range: \(error)")
            }
            trainingStep()
            if offset == circuit.outputOffset { outcome = readOutput(label: sample.label) }
        }
        samplesOnChip += 1
        return outcome
    }

    /// The host's spikes for the step at `offset` from phase 1.
    private func inject(offset: Int, input: [Int], sample: NBPSample, gates: NBPSampleGates) throws {
        if offset == circuit.inputOffset { try chip.inject(generatorIndex: inputGenerator, channels: input) }
        if offset == circuit.targetOffset { try chip.inject(generatorIndex: targetGenerator, channels: [sample.label]) }
        if circuit.rewardOffsets.contains(offset) { try chip.inject(generatorIndex: rewardGenerator, channels: [0]) }
        if !gates.learns && offset == circuit.skipOffset {
            try chip.inject(generatorIndex: skipGenerator, channels: [0])
        }
        if let veto = replayVetoGenerator, let phase = circuit.replayVetoOffsets.firstIndex(of: offset),
            let replayed = phase == 0 ? gates.potentiationReplay : gates.depressionReplay
        {
            NBPChipEngine.complement(of: replayed, in: sample.active, into: &vetoed)
            if !vetoed.isEmpty { try chip.inject(generatorIndex: veto, channels: vetoed) }
        }
        if let veto = hiddenVetoGenerator, let phase = circuit.hiddenVetoOffsets.firstIndex(of: offset),
            let replayed = phase == 0 ? gates.potentiationHidden : gates.depressionHidden
        {
            vetoed.removeAll(keepingCapacity: true)
            for j in replayed.indices where replayed[j] == 0 { vetoed.append(j) }
            if !vetoed.isEmpty { try chip.inject(generatorIndex: veto, channels: vetoed) }
        }
    }

    /// The active inputs not in `replayed` (both ascending), in order.
    static func complement(of replayed: [Int32], in active: ArraySlice<Int32>, into out: inout [Int]) {
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

    /// Output spikes of the output phase and the summed input z recovered from the o
    /// compartments' current: u = 64 * (z + g) while the output gate lifts them.
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

    /// Inference: the (H + 3)-step circuit with the current W_l as fixed weights.
    public func infer(_ sample: NBPSample) -> NBPSampleOutcome {
        do {
            if inferenceWeightsStale || inferenceChip == nil {
                let current = try plasticMatrices()
                let description: NetworkDescription = try inferenceCircuit.networkDescription(
                    matrices: current.filter { $0.key.hasPrefix("W") && Int($0.key.dropFirst()) != nil },
                    plastic: false)
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
        while simulator.currentStep < phaseOne - 1 { inferenceStep(simulator) }
        do {
            try simulator.inject(generator: "input", channels: sample.active.map { Int($0) })
        } catch {
            preconditionFailure("nBP chip input out of range: \(error)")
        }
        var outcome = NBPSampleOutcome(exact: false, firstActive: 0, argmaxInput: 0, outputBits: 0)
        for offset in -1..<(inferenceCircuit.stepsPerSample - 1) {
            inferenceStep(simulator)
            if offset == inferenceCircuit.outputOffset { outcome = readOutput(label: sample.label, from: simulator) }
        }
        inferenceSamples += 1
        return outcome
    }

    private func inferenceStep(_ simulator: ChipSimulator) {
        let step = simulator.currentStep
        simulator.step()
        inferenceSteps += 1
        let first = inferenceCircuit.phaseOneStep(sample: 0) - 1
        let position = step >= first ? (step - first) % inferenceCircuit.stepsPerSample : nil
        let view = NBPChipStep(
            chip: simulator, circuit: inferenceCircuit, step: step, mode: .inference, position: position)
        for probe in probes { probe.chipDidStep(view) }
    }

    // MARK: - Energy counts

    /// The attached energy probe, if any.
    var energyProbe: NBPChipEnergyProbe? { probes.lazy.compactMap { $0 as? NBPChipEnergyProbe }.first }

    /// Record energy counts (energy_counts.json, docs/energy.md) of training and inference.
    public var recordsEnergy: Bool {
        get { energyProbe != nil }
        set {
            if newValue && energyProbe == nil { attach(NBPChipEnergyProbe(layers: layerSizes.description)) }
            if !newValue { probes.removeAll { $0 is NBPChipEnergyProbe } }
        }
    }

    public func recordEnergyCounts() throws { recordsEnergy = true }

    public var energyCounts: (training: EnergyCounts?, inference: EnergyCounts?) {
        energyProbe?.counts ?? (nil, nil)
    }

    /// Writes `energy_counts.json` (training; the placement of the (9H + 3)-phase circuit)
    /// and `energy_counts_inference.json` (the (H + 3)-step inference circuit, its own placement) into
    /// `directory` (docs/energy.md "The counts file").
    public func writeEnergyCounts(to directory: String) throws {
        try NBPEnergyCountsFiles.write(energyCounts, to: directory)
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
