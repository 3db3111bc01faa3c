import EnergyModel
import Foundation
import NeuroChip

/// Energy counts of the fast path, from the same counters as the chip's: every training
/// sample is turned into the 12 steps of spikes the chip circuit would produce (docs/nbp.md,
/// "Phases"), every inference sample into the 4 steps of the inference circuit, and
/// `SpikeCountModel` counts them exactly as NeuroChip does. The placement is the chip's own
/// (a `ChipSimulator` is built once per circuit for its core map; it never steps). For the
/// chip variant with the constant schedule the files equal the chip engine's for the same
/// weights and samples (tested). It watches the engine as an `NBPFastSampleProbe`.
public final class NBPFastEnergyRecorder: NBPFastSampleProbe {
    let sizes: NBPSizes
    let trainingCircuit: NBPCircuit
    let inferenceCircuit: NBPCircuit
    let trainingModel: SpikeCountModel
    let inferenceModel: SpikeCountModel
    let trainingPlacement: CoreAllocation
    let inferencePlacement: CoreAllocation
    /// Spikes, idle compartments and processed synapses per step position.
    let trainingTotals: SpikeTally
    let inferenceTotals: SpikeTally
    /// A training sample since the last inference: the chip engine builds a fresh
    /// inference chip then, so the inference spike history restarts.
    var inferenceStale = true

    // Group indices (populations first, then generators) of both circuits.
    let t: TrainingGroups
    let i: InferenceGroups
    /// Matrix family of every training connection: 1 = W1 and copies, 2 = W2 and copies.
    let family: [Int]
    let outputGroups: [Int]
    let hiddenGroups: [Int]
    let inferenceFamily: [Int]

    /// Sums the chip reads mid-sample that the fast path does not otherwise keep:
    /// `W1' x` (after the phase-7 update) for the hidden units that fire in phase 11, and
    /// `W2' h` (after the phase-5 update) for every output.
    var aPrime: [Int32]
    var zPrime: [Int32]

    // Spike lists of the current sample.
    let h: IndexList
    let hm: IndexList
    let hp: IndexList
    let b: IndexList
    let gPlus: IndexList
    let gMinus: IndexList
    let gPlusB: IndexList
    let gMinusB: IndexList
    let o: IndexList
    let om: IndexList
    let op: IndexList
    let dp: IndexList
    let dm: IndexList

    struct TrainingGroups {
        var x, mx6, h1, h1c, h1c2, mh1, ch1, h1T, o, oc, oc2, t, dPlus, dMinus, oTMinus: Int
        var gates: [Int]
        var input, target, inG, reward: Int
    }

    struct InferenceGroups {
        var x, h1, o: Int
        var gates: [Int]
        var input, inG: Int
    }

    /// `margin`: the training margin of the circuit being counted (its two margin
    /// connections add fixed input to o; Circuit.swift).
    public init(sizes: NBPSizes, margin: Int = 0) throws {
        self.sizes = sizes
        trainingCircuit = try NBPCircuit.training(sizes: sizes, margin: margin)
        inferenceCircuit = try NBPCircuit.inference(sizes: sizes)
        func zeros(_ circuit: NBPCircuit) -> [String: [Int]] {
            var matrices: [String: [Int]] = [:]
            let size = Dictionary(uniqueKeysWithValues: circuit.populations.map { ($0.name, $0.size) })
            for c in circuit.connections where c.kind == .p {
                matrices[c.matrix ?? ""] = Array(repeating: 0, count: (size[c.source] ?? 0) * (size[c.target] ?? 0))
            }
            return matrices
        }
        // The chip engine's networks (weights do not change the placement).
        let trainingNetwork = try trainingCircuit.networkDescription(matrices: zeros(trainingCircuit), plastic: true)
        let inferenceNetwork = try inferenceCircuit.networkDescription(
            matrices: zeros(inferenceCircuit), plastic: false)
        let trainingChip = try ChipSimulator(trainingNetwork)
        let inferenceChip = try ChipSimulator(inferenceNetwork)
        trainingModel = try SpikeCountModel(network: trainingNetwork, coreMap: trainingChip.coreMap)
        inferenceModel = try SpikeCountModel(network: inferenceNetwork, coreMap: inferenceChip.coreMap)
        trainingPlacement = CoreAllocation(coreMap: trainingChip.coreMap, network: trainingChip.network)
        inferencePlacement = CoreAllocation(coreMap: inferenceChip.coreMap, network: inferenceChip.network)
        trainingTotals = SpikeTally(positions: trainingCircuit.stepsPerSample, sourceCount: trainingModel.sourceCount)
        inferenceTotals = SpikeTally(
            positions: inferenceCircuit.stepsPerSample, sourceCount: inferenceModel.sourceCount)

        func group(_ network: NetworkDescription, _ name: String) throws -> Int {
            if let p = network.populations.firstIndex(where: { $0.name == name }) { return p }
            if let g = network.generators.firstIndex(where: { $0.name == name }) {
                return network.populations.count + g
            }
            throw NBPError.chipMismatch("the nBP circuit has no population or generator \(name)")
        }
        let tn = trainingNetwork
        t = TrainingGroups(
            x: try group(tn, "x"), mx6: try group(tn, "m_x6"), h1: try group(tn, "h1"),
            h1c: try group(tn, "h1_copy"), h1c2: try group(tn, "h1_copy2"), mh1: try group(tn, "m_h1"),
            ch1: try group(tn, "c_h1"), h1T: try group(tn, "h1T"), o: try group(tn, "o"),
            oc: try group(tn, "o_copy"), oc2: try group(tn, "o_copy2"), t: try group(tn, "t"),
            dPlus: try group(tn, "d+"), dMinus: try group(tn, "d-"), oTMinus: try group(tn, "oT-"),
            gates: try (0..<12).map { try group(tn, NBPCircuit.gateName($0)) },
            input: try group(tn, "input"), target: try group(tn, "in_tgt"), inG: try group(tn, "in_g"),
            reward: try group(tn, "reward"))
        outputGroups = [t.o, t.oc, t.oc2]
        hiddenGroups = [t.h1, t.h1c, t.h1c2]
        let inn = inferenceNetwork
        i = InferenceGroups(
            x: try group(inn, "x"), h1: try group(inn, "h1"), o: try group(inn, "o"),
            gates: try (0..<4).map { try group(inn, NBPCircuit.gateName($0)) },
            input: try group(inn, "input"), inG: try group(inn, "in_g"))
        func families(_ circuit: NBPCircuit) -> [Int] {
            circuit.connections.map { c in
                switch c.matrix {
                case "W1", "W1c1", "W1c2": return 1
                case "W2", "W2c1", "W2c2": return 2
                default: return 0
                }
            }
        }
        family = families(trainingCircuit)
        inferenceFamily = families(inferenceCircuit)
        (h, hm, hp, b) = (
            IndexList(sizes.hidden), IndexList(sizes.hidden), IndexList(sizes.hidden), IndexList(sizes.hidden)
        )
        (gPlus, gMinus) = (IndexList(sizes.hidden), IndexList(sizes.hidden))
        (gPlusB, gMinusB) = (IndexList(sizes.hidden), IndexList(sizes.hidden))
        (o, om, op) = (IndexList(sizes.output), IndexList(sizes.output), IndexList(sizes.output))
        (dp, dm) = (IndexList(sizes.output), IndexList(sizes.output))
        aPrime = Array(repeating: 0, count: sizes.hidden)
        zPrime = Array(repeating: 0, count: sizes.output)
        restart(trainingModel, circuit: trainingCircuit, inG: t.inG, g00: t.gates[0])
    }

    /// Plastic inputs the spike model had to assume zero (0 means the counts are exact).
    public var unresolvedInputs: Int { trainingModel.unresolvedInputs + inferenceModel.unresolvedInputs }

    /// A fresh chip: `in_g` fires at `startStep`, g00 one step later; recording starts with
    /// the next step (position 0 of sample 0), as in `NBPChipEngine`.
    func restart(_ model: SpikeCountModel, circuit: NBPCircuit, inG: Int, g00: Int) {
        model.reset(step: circuit.startStep)
        model.beginStep()
        model.fire(group: inG, index: 0)
        model.endStep(tally: nil, position: 0) { _, _ in nil }
        model.beginStep()
        model.fire(group: g00, index: 0)
        model.endStep(tally: nil, position: 0) { _, _ in nil }
    }

    /// Gate k of a chain of `chain` fires at this position of the sample (position 0 =
    /// the step before phase 1 = phase `chain`).
    static func gateFiring(_ k: Int, chain: Int) -> Int { NBPCircuit.gateFiringPhase(k, chain: chain) % chain }

    // MARK: - Sums the fast path computes mid-sample (called from trainChip)

    /// A new epoch: the chip engine starts it on a fresh chip, so the spike history restarts.
    func epochWillStart(_ engine: NBPFastEngine) {
        restart(trainingModel, circuit: trainingCircuit, inG: t.inG, g00: t.gates[0])
    }

    /// After the phase-5 updates: z' = W2' h for every output (read in phase 9).
    func outputSideDidUpdate(_ engine: NBPFastEngine) {
        let nOut = sizes.output
        for k in 0..<nOut { zPrime[k] = 0 }
        for position in 0..<engine.hCount {
            let row = engine.w2T + Int(engine.hIndex[position]) * nOut
            for k in 0..<nOut { zPrime[k] &+= Int32(row[k]) }
        }
    }

    /// After the phase-7 update: W1' x for the hidden units selected for phase 11.
    func inputSideWillUpdate(_ engine: NBPFastEngine, replayed inputs: UnsafeBufferPointer<Int32>, selected: Int) {
        let nHid = sizes.hidden
        for position in 0..<selected {
            let j = Int(engine.selIndex[position])
            var sum: Int32 = 0
            for input in inputs { sum &+= Int32(engine.w1Half[Int(input) * nHid + j]) &* 2 }
            aPrime[j] = sum
        }
    }

    // MARK: - Samples

    func readForward(_ engine: NBPFastEngine) {
        let nHid = sizes.hidden
        let nOut = sizes.output
        h.fill(engine.hIndex, count: engine.hCount)
        hm.fill(bits: engine.hmBits, nHid)
        hp.fill(bits: engine.hpBits, nHid)
        o.fill(bits: engine.oBits, nOut)
        om.fill(bits: engine.omBits, nOut)
        op.fill(bits: engine.opBits, nOut)
    }

    /// Records the 12 steps of the training sample the engine has just trained.
    func trainingSampleDidEnd(_ engine: NBPFastEngine, _ active: UnsafeBufferPointer<Int32>, label: Int) {
        readForward(engine)
        let nHid = sizes.hidden
        let nOut = sizes.output
        dp.fill(bits: engine.dpBits, nOut)
        dm.fill(bits: engine.dmBits, nOut)
        // b = hm & !hp, and the hidden units whose W1 row learns in phases 7 and 11. A
        // sample without output error (most of them) has no backward pass: g+ = g- = 0.
        var (nb, np, nm) = (0, 0, 0)
        if dp.count == 0 && dm.count == 0 {
            for j in 0..<nHid {
                b.base[nb] = Int32(j)
                nb &+= Int(engine.hmBits[j] & (1 &- engine.hpBits[j]))
            }
            (gPlus.count, gMinus.count) = (0, 0)
        } else {
            gPlus.fill(bits: engine.gPlus, nHid)
            gMinus.fill(bits: engine.gMinus, nHid)
            for j in 0..<nHid {
                let inB = engine.hmBits[j] & (1 &- engine.hpBits[j])
                b.base[nb] = Int32(j)
                nb &+= Int(inB)
                gPlusB.base[np] = Int32(j)
                np &+= Int(inB & engine.gPlus[j])
                gMinusB.base[nm] = Int32(j)
                nm &+= Int(inB & engine.gMinus[j])
            }
        }
        (b.count, gPlusB.count, gMinusB.count) = (nb, np, nm)
        let a = engine.a
        let z = engine.z

        let model = trainingModel
        for position in 0..<trainingCircuit.stepsPerSample {
            model.beginStep()
            for (k, gate) in t.gates.enumerated() where NBPFastEnergyRecorder.gateFiring(k, chain: 12) == position {
                model.fire(group: gate, index: 0)
            }
            // Who fires in which phase (position p = phase p, 0 = phase 12; docs/nbp.md "Phases").
            switch position {
            case 0:
                model.fire(group: t.input, active)
            case 1:
                model.fire(group: t.x, active)
            case 2:
                model.fire(group: t.h1, h.buffer)
                model.fire(group: t.h1c, hm.buffer)
                model.fire(group: t.h1c2, hp.buffer)
                model.fire(group: t.target, index: Int32(label))
            case 3:
                model.fire(group: t.o, o.buffer)
                model.fire(group: t.oc, om.buffer)
                model.fire(group: t.oc2, op.buffer)
                model.fire(group: t.t, index: Int32(label))
                model.fire(group: t.mh1, h.buffer)
            case 4:
                model.fire(group: t.dPlus, dp.buffer)
                model.fire(group: t.dMinus, dm.buffer)
            case 5:
                for g in outputGroups { model.fire(group: g, dp.buffer) }
                model.fire(group: t.oTMinus, dm.buffer)
                model.fire(group: t.h1, h.buffer)
                model.fire(group: t.h1T, h.buffer)
                model.fire(group: t.reward, index: 0)
            case 6:
                model.fire(group: t.h1T, gPlus.buffer)
                model.fire(group: t.ch1, b.buffer)
                model.fire(group: t.mx6, active)
            case 7:
                model.fire(group: t.x, active)
                for g in hiddenGroups { model.fire(group: g, gPlusB.buffer) }
                model.fire(group: t.reward, index: 0)
            case 9:
                for g in outputGroups { model.fire(group: g, dm.buffer) }
                model.fire(group: t.oTMinus, dp.buffer)
                model.fire(group: t.h1, h.buffer)
                model.fire(group: t.h1T, h.buffer)
            case 10:
                model.fire(group: t.h1T, gMinus.buffer)
            case 11:
                model.fire(group: t.x, active)
                for g in hiddenGroups { model.fire(group: g, gMinusB.buffer) }
            default:
                break
            }
            // Plastic sums of this step's spikes, weights before this step's learning: x fires in phases 1 and 7 before W1
            // changes, in phase 11 after the phase-7 update; h1 fires in phases 2 and 5
            // before W2 changes, in phase 9 after the phase-5 update.
            model.endStep(tally: trainingTotals, position: position) { connection, j in
                switch (self.family[connection], position) {
                case (1, 1), (1, 7): return a[j]
                case (1, 11): return self.aPrime[j]
                case (2, 2), (2, 5): return z[j]
                case (2, 9): return self.zPrime[j]
                default: return nil
                }
            }
        }
        trainingTotals.samples += 1
        inferenceStale = true
    }

    /// Records the 4 steps of the inference sample the engine has just evaluated.
    func inferenceSampleDidEnd(_ engine: NBPFastEngine, _ active: UnsafeBufferPointer<Int32>) {
        let model = inferenceModel
        if inferenceStale {
            restart(model, circuit: inferenceCircuit, inG: i.inG, g00: i.gates[0])
            inferenceStale = false
        }
        readForward(engine)
        let a = engine.a
        let z = engine.z
        for position in 0..<inferenceCircuit.stepsPerSample {
            model.beginStep()
            for (k, gate) in i.gates.enumerated() where NBPFastEnergyRecorder.gateFiring(k, chain: 4) == position {
                model.fire(group: gate, index: 0)
            }
            switch position {
            case 0: model.fire(group: i.input, active)
            case 1: model.fire(group: i.x, active)
            case 2: model.fire(group: i.h1, h.buffer)
            default: model.fire(group: i.o, o.buffer)
            }
            // W1 carries x (position 1), W2 carries h1 (position 2).
            model.endStep(tally: inferenceTotals, position: position) { connection, j in
                switch (self.inferenceFamily[connection], position) {
                case (1, 1): return a[j]
                case (2, 2): return z[j]
                default: return nil
                }
            }
        }
        inferenceTotals.samples += 1
    }

    /// The training document (nil before the first training sample).
    public var trainingCounts: EnergyCounts? {
        guard trainingTotals.samples > 0 else { return nil }
        return EnergyCounts(
            description: "nBP training, chip-circuit counts derived from the fast path (12 steps per sample)",
            network: "nbp \(sizes)", reference: "nbp", placement: trainingPlacement,
            training: modeCounts(trainingModel, trainingTotals, placement: trainingPlacement))
    }

    /// The inference document (nil before the first inference sample).
    public var inferenceCounts: EnergyCounts? {
        guard inferenceTotals.samples > 0 else { return nil }
        return EnergyCounts(
            description: "nBP inference, 4-step-circuit counts derived from the fast path",
            network: "nbp \(sizes) inference", reference: "nbp", placement: inferencePlacement,
            inference: modeCounts(inferenceModel, inferenceTotals, placement: inferencePlacement))
    }

    /// A mode's counts in the layout `EnergyCountsRecorder` produces: phases per position
    /// and totals per core, both in placement order.
    func modeCounts(_ model: SpikeCountModel, _ tally: SpikeTally, placement: CoreAllocation) -> ModeCounts {
        let perPosition = model.counts(of: tally)
        var totals = Array(repeating: CoreStepCounts(), count: placement.cores.count)
        var phases: [PhaseCounts] = []
        for (k, counts) in perPosition.enumerated() {
            var list: [CoreCounts] = []
            for (slot, load) in placement.cores.enumerated() {
                totals[slot] += counts[load.core]
                list.append(CoreCounts(core: load.core, counts: counts[load.core]))
            }
            phases.append(PhaseCounts(stepInSample: k, samples: tally.steps[k], cores: list))
        }
        return ModeCounts(
            samples: tally.samples, partialSamples: 0, stepsPerSample: tally.positions,
            steps: tally.steps.reduce(0, +),
            coreTotals: zip(placement.cores, totals).map { CoreCounts(core: $0.core, counts: $1) }, phases: phases)
    }

    /// Writes `energy_counts.json` (training) and `energy_counts_inference.json` into
    /// `directory`, as `NBPChipEngine.writeEnergyCounts` does.
    public func write(to directory: String) throws {
        let url = URL(fileURLWithPath: directory)
        try trainingCounts?.write(to: url.appendingPathComponent(EnergyCounts.fileName))
        try inferenceCounts?.write(to: url.appendingPathComponent(EnergyCounts.inferenceFileName))
    }
}

extension NBPFastEngine {
    /// Starts recording the chip circuit's op counts of every following training and
    /// inference sample (docs/energy.md, "Fast path"). Chip variant only.
    public func enableEnergyCounts() throws {
        guard variant == .chip else {
            throw NBPError.chipMismatch(
                "energy counts need the chip variant (the reference variant is not the chip circuit); use --variant chip"
            )
        }
        if energyRecorder == nil {
            energyRecorder = try NBPFastEnergyRecorder(sizes: sizes, margin: Int(trainingMargin))
        }
    }

    /// Writes the counts files into a run directory (nothing when counting is off).
    public func writeEnergyCounts(to directory: String) throws {
        try energyRecorder?.write(to: directory)
    }
}

/// A list of indices in a buffer owned by the object (no array appends per sample).
final class IndexList {
    let base: UnsafeMutablePointer<Int32>
    var count = 0

    init(_ capacity: Int) {
        base = .allocate(capacity: max(1, capacity))
        base.initialize(repeating: 0, count: max(1, capacity))
    }

    deinit { base.deallocate() }

    var buffer: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(start: base, count: count) }

    /// The indices k < n with bits[k] != 0 (branch-free).
    func fill(bits: UnsafeMutablePointer<UInt8>, _ n: Int) {
        var c = 0
        for k in 0..<n {
            base[c] = Int32(k)
            c &+= bits[k] != 0 ? 1 : 0
        }
        count = c
    }

    func fill(_ indices: UnsafeMutablePointer<Int32>, count n: Int) {
        base.update(from: indices, count: n)
        count = n
    }
}
