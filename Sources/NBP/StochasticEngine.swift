import EnergyModel
import NeuroChip

/// The fast path for per-synapse rounding (docs/nbp.md, "Learning-rate schedule"): every
/// ±2 event is applied with probability 2^-k, decided exactly as the chip's learning engine
/// decides it (stochastic rounding with the chip's keyed draw of that synapse,
/// ChipDrawStream: the network's seed, the connection's name, the step of the phase and the
/// synapse's index pre * posts + post; docs/neurochip.md, "Random draws"). Because each copy
/// draws for itself, W1's copies and W2's copies drift apart, so this engine keeps all eight
/// matrices and reads each where its population reads it (h from W1, hm from W1c1, hp from
/// W1c2, ...). With k = 0 nothing is drawn and it computes the same as `NBPFastEngine(.chip)`.
public final class NBPStochasticEngine: NBPEngine {
    public let sizes: NBPSizes
    let seed: UInt64
    var exponent = 0
    /// Seed of the chip network the draws belong to (a new exponent rebuilds it).
    var drawSeed: UInt64
    /// Samples trained since the chip was (re)built: they fix the steps of the phases.
    var samplesOnChip = 0
    /// Draw key of each plastic matrix's chip connection, and the step of phase 1 of a sample.
    let connectionKeys: [String: UInt64]
    let circuit: NBPCircuit
    /// Training margin (see `NBPFastParameters.trainingMargin`).
    public var trainingMargin: Int32 = 0
    let firing = NBPFiringRule.circuit
    let weightMin = NBPVariant.chip.weightMin
    let weightMax = NBPVariant.chip.weightMax

    // Pre-major storage (row = presynaptic neuron), the chip's layout.
    var w1: [[Int16]]  // W1, W1c1, W1c2: input x hidden
    var w2: [[Int16]]  // W2, W2c1, W2c2: hidden x output
    var w2Tp: [Int16]  // output x hidden (o -> h1T)
    var m: [Int16]  // output x hidden (oT- -> h1T)

    public convenience init(weights: NBPWeights, seed: UInt64) throws(NBPError) {
        try weights.validate(variant: .chip)
        self.init(matrices: NBPChipMatrices(weights: weights), sizes: weights.sizes, seed: seed)
    }

    /// From all eight matrices (paper layout, post x pre).
    public init(matrices: NBPChipMatrices, sizes: NBPSizes, seed: UInt64) {
        self.sizes = sizes
        self.seed = seed
        drawSeed = seed
        guard let circuit = try? NBPCircuit.training(sizes: sizes) else {
            preconditionFailure("nBP sizes \(sizes) do not form a circuit")
        }
        self.circuit = circuit
        var keys: [String: UInt64] = [:]
        for connection in circuit.connections where connection.kind == .p {
            keys[connection.matrix ?? ""] = ChipDrawStream.connectionKey(name: connection.name)
        }
        connectionKeys = keys
        let nIn = sizes.input
        let nHid = sizes.hidden
        let nOut = sizes.output
        func transpose(_ postMajor: [Int16], posts: Int, pres: Int) -> [Int16] {
            var out = [Int16](repeating: 0, count: posts * pres)
            for post in 0..<posts { for pre in 0..<pres { out[pre * posts + post] = postMajor[post * pres + pre] } }
            return out
        }
        w1 = [matrices.w1, matrices.w1c1, matrices.w1c2].map { transpose($0, posts: nHid, pres: nIn) }
        w2 = [matrices.w2, matrices.w2c1, matrices.w2c2].map { transpose($0, posts: nOut, pres: nHid) }
        w2Tp = transpose(matrices.w2Tp, posts: nHid, pres: nOut)
        m = transpose(matrices.m, posts: nHid, pres: nOut)
    }

    /// Same rebuild rule as `NBPChipEngine.beginEpoch`: a new exponent rebuilds the chip with
    /// the epoch's seed, and its steps count from 0 again.
    public func beginEpoch(_ epoch: Int, schedule: NBPLearningSchedule) {
        let next = schedule.ruleExponent(epoch: epoch)
        if next == 0 && exponent == 0 { return }
        exponent = next
        drawSeed = NBPChipEngine.epochSeed(seed, epoch: epoch)
        samplesOnChip = 0
    }

    /// The chip's rounding draws of `matrix` in `phase` of the current sample.
    func draws(_ matrix: String, phase: Int) -> ChipDrawStream {
        ChipDrawStream(
            seed: drawSeed, connection: connectionKeys[matrix] ?? 0, purpose: .weightRounding,
            step: circuit.phaseOneStep(sample: samplesOnChip) + phase - 1)
    }

    /// All eight matrices in the paper layout (post x pre).
    public func chipMatrices() -> NBPChipMatrices {
        func transpose(_ preMajor: [Int16], pres: Int, posts: Int) -> [Int16] {
            var out = [Int16](repeating: 0, count: posts * pres)
            for pre in 0..<pres { for post in 0..<posts { out[post * pres + pre] = preMajor[pre * posts + post] } }
            return out
        }
        let nIn = sizes.input
        let nHid = sizes.hidden
        let nOut = sizes.output
        return NBPChipMatrices(
            w1: transpose(w1[0], pres: nIn, posts: nHid), w1c1: transpose(w1[1], pres: nIn, posts: nHid),
            w1c2: transpose(w1[2], pres: nIn, posts: nHid), w2: transpose(w2[0], pres: nHid, posts: nOut),
            w2c1: transpose(w2[1], pres: nHid, posts: nOut), w2c2: transpose(w2[2], pres: nHid, posts: nOut),
            w2Tp: transpose(w2Tp, pres: nOut, posts: nHid), m: transpose(m, pres: nOut, posts: nHid))
    }

    public var weights: NBPWeights {
        let matrices = chipMatrices()
        return try! NBPWeights(sizes: sizes, w1: matrices.w1, w2: matrices.w2, m: matrices.m)
    }

    /// Sum of pre-major rows for the active presynaptic neurons.
    static func accumulate(_ matrix: [Int16], rows: [Int], width: Int) -> [Int32] {
        var sum = [Int32](repeating: 0, count: width)
        var partial = [Int16](repeating: 0, count: width)
        let blocked = width & ~15
        matrix.withUnsafeBufferPointer { weights in
            sum.withUnsafeMutableBufferPointer { out in
                partial.withUnsafeMutableBufferPointer { part in
                    // Int16 sums of at most 127 rows (127 * 256 < 2^15), 16 lanes at a time.
                    var start = 0
                    while start < rows.count {
                        let end = min(rows.count, start + 127)
                        var column = 0
                        while column < blocked {
                            var block = SIMD16<Int16>()
                            for position in start..<end {
                                block &+= UnsafeRawPointer(weights.baseAddress! + (rows[position] &* width &+ column))
                                    .loadUnaligned(as: SIMD16<Int16>.self)
                            }
                            UnsafeMutableRawPointer(part.baseAddress! + column).storeBytes(
                                of: block, as: SIMD16<Int16>.self)
                            column += 16
                        }
                        for j in blocked..<width {
                            var value: Int16 = 0
                            for position in start..<end { value &+= weights[rows[position] &* width &+ j] }
                            part[j] = value
                        }
                        for j in 0..<width { out[j] &+= Int32(part[j]) }
                        start = end
                    }
                }
            }
        }
        return sum
    }

    /// One learning event on one synapse, as the learning engine rounds `±2^(1-k)` with the
    /// synapse's draw: reward -> +2 with probability 2^-k, no reward -> -2 with probability 2^-k.
    @inline(__always)
    func learn(_ weight: inout Int16, reward: Bool, draw: UInt64) {
        if exponent == 0 {
            weight = reward ? min(weightMax, weight &+ 2) : max(weightMin, weight &- 2)
            return
        }
        let drawn = draw >> UInt64(64 - exponent)
        if reward {
            if drawn < 1 { weight = min(weightMax, weight &+ 2) }
        } else {
            // floor -1, remainder 2^k - 1: rounds up to 0 unless the draw is the largest.
            if drawn >= (UInt64(1) << UInt64(exponent)) - 1 { weight = max(weightMin, weight &- 2) }
        }
    }

    /// Co-firing synapses of a pre-major matrix (the chip's layout, so synapse index
    /// row * width + column), each with its draw.
    @inline(__always)
    func learnAll(
        _ matrix: inout [Int16], rows: [Int], columns: [Int], width: Int, reward: Bool, draws: ChipDrawStream
    ) {
        if rows.isEmpty || columns.isEmpty { return }
        matrix.withUnsafeMutableBufferPointer { weights in
            for row in rows {
                let base = row * width
                for column in columns {
                    learn(&weights[base + column], reward: reward, draw: exponent == 0 ? 0 : draws.value(base + column))
                }
            }
        }
    }

    struct Forward {
        var h: [Int]
        var hm: [Bool]
        var hp: [Bool]
        var fired: [Int]
        var om: [Bool]
        var op: [Bool]
        var z: [Int32]
    }

    /// `label` set: a training forward pass, o with the training margin's lifts.
    func forward(_ inputs: [Int], label: Int? = nil) -> Forward {
        let nHid = sizes.hidden
        let nOut = sizes.output
        let a = NBPStochasticEngine.accumulate(w1[0], rows: inputs, width: nHid)
        let a1 = NBPStochasticEngine.accumulate(w1[1], rows: inputs, width: nHid)
        let a2 = NBPStochasticEngine.accumulate(w1[2], rows: inputs, width: nHid)
        let h = (0..<nHid).filter { firing.fires(a[$0], lift: firing.onLift) }
        let hm = (0..<nHid).map { firing.fires(a1[$0], lift: firing.minusLift) }
        let hp = (0..<nHid).map { firing.fires(a2[$0], lift: firing.plusLift) }
        let z = NBPStochasticEngine.accumulate(w2[0], rows: h, width: nOut)
        let z1 = NBPStochasticEngine.accumulate(w2[1], rows: h, width: nOut)
        let z2 = NBPStochasticEngine.accumulate(w2[2], rows: h, width: nOut)
        return Forward(
            h: h, hm: hm, hp: hp,
            fired: (0..<nOut).filter { k in
                let shift = label == nil ? 0 : (k == label ? -trainingMargin : trainingMargin)
                return firing.fires(z[k], lift: firing.onLift + shift)
            },
            om: (0..<nOut).map { firing.fires(z1[$0], lift: firing.minusLift) },
            op: (0..<nOut).map { firing.fires(z2[$0], lift: firing.plusLift) }, z: z)
    }

    static func outcome(_ forward: Forward, label: Int) -> NBPSampleOutcome {
        var bits: UInt64 = 0
        for k in forward.fired where k < 64 { bits |= 1 << UInt64(k) }
        var best = 0
        for k in forward.z.indices where forward.z[k] > forward.z[best] { best = k }
        return NBPSampleOutcome(
            exact: forward.fired == [label], firstActive: forward.fired.first ?? 0, argmaxInput: best, outputBits: bits)
    }

    public func infer(_ sample: NBPSample) -> NBPSampleOutcome {
        NBPStochasticEngine.outcome(forward(sample.active.map { Int($0) }), label: sample.label)
    }

    /// The circuit's arithmetic (docs/nbp.md) with every matrix read where the circuit reads
    /// it and every update drawn as the chip draws it (phases 5, 7, 9, 11: the step of the
    /// phase in this sample), under the host's gates: a closed gate is the forward pass only;
    /// W1 learns on the inputs replayed in phase 7 / 11.
    public func train(_ sample: NBPSample, gates: NBPSampleGates) -> NBPSampleOutcome {
        // Every sample takes its 12 steps on the chip, learning or not.
        defer { samplesOnChip += 1 }
        if !gates.learns { return infer(sample) }
        let label = sample.label
        let inputs = sample.active.map { Int($0) }
        let nHid = sizes.hidden
        let nOut = sizes.output
        let f = forward(inputs, label: label)
        let result = NBPStochasticEngine.outcome(f, label: label)
        let on = Set(f.fired)
        let dp = (0..<nOut).filter { $0 == label && !on.contains($0) && f.om[$0] }
        // d- needs o_copy's per-neuron gate too (g1s), so dm = o & om & !op & !t; with equal
        // copies om contains o.
        let dm = (0..<nOut).filter { $0 != label && on.contains($0) && f.om[$0] && !f.op[$0] }
        if dp.isEmpty && dm.isEmpty { return result }
        let b = (0..<nHid).map { f.hm[$0] && !f.hp[$0] }
        // Phase 6: e+ through W2Tp (o fired = dp) and M (oT- fired = dm), before phase 5's learning.
        let ePlus = zip(
            NBPStochasticEngine.accumulate(w2Tp, rows: dp, width: nHid),
            NBPStochasticEngine.accumulate(m, rows: dm, width: nHid)
        ).map { $0 &+ $1 }
        // Phase 5 (reward): h1 & o/o_copy/o_copy2 (dp), o & h1T (h), oT- & h1T (h); h1 and
        // h1T fire from m_h1 unless the hidden replay gate vetoed them.
        let hPlus = gates.potentiationHidden.map { kept in f.h.filter { kept[$0] != 0 } } ?? f.h
        let w2Names = ["W2", "W2c1", "W2c2"]
        let w1Names = ["W1", "W1c1", "W1c2"]
        for copy in 0..<3 {
            learnAll(
                &w2[copy], rows: hPlus, columns: dp, width: nOut, reward: true, draws: draws(w2Names[copy], phase: 5))
        }
        learnAll(&w2Tp, rows: dp, columns: hPlus, width: nHid, reward: true, draws: draws("W2Tp", phase: 5))
        learnAll(&m, rows: dm, columns: hPlus, width: nHid, reward: true, draws: draws("M", phase: 5))
        // Phase 7 (reward): x & h1/h1_copy/h1_copy2 where g+ and b.
        let plus = (0..<nHid).filter { firing.fires(ePlus[$0], lift: firing.minusLift) && b[$0] }
        let replayedPlus = gates.potentiationReplay.map { $0.map { Int($0) } } ?? inputs
        for copy in 0..<3 {
            learnAll(
                &w1[copy], rows: replayedPlus, columns: plus, width: nHid, reward: true,
                draws: draws(w1Names[copy], phase: 7))
        }
        // Phase 10: e- reads the matrices after phase 5.
        let eMinus = zip(
            NBPStochasticEngine.accumulate(w2Tp, rows: dm, width: nHid),
            NBPStochasticEngine.accumulate(m, rows: dp, width: nHid)
        ).map { $0 &+ $1 }
        // Phase 9 (no reward): h1 & o copies (dm), o & h1T (dm rows), oT- & h1T (dp rows).
        let hMinus = gates.depressionHidden.map { kept in f.h.filter { kept[$0] != 0 } } ?? f.h
        for copy in 0..<3 {
            learnAll(
                &w2[copy], rows: hMinus, columns: dm, width: nOut, reward: false, draws: draws(w2Names[copy], phase: 9))
        }
        learnAll(&w2Tp, rows: dm, columns: hMinus, width: nHid, reward: false, draws: draws("W2Tp", phase: 9))
        learnAll(&m, rows: dp, columns: hMinus, width: nHid, reward: false, draws: draws("M", phase: 9))
        // Phase 11 (no reward): x & h1 copies where g- and b.
        let minus = (0..<nHid).filter { firing.fires(eMinus[$0], lift: firing.minusLift) && b[$0] }
        let replayedMinus = gates.depressionReplay.map { $0.map { Int($0) } } ?? inputs
        for copy in 0..<3 {
            learnAll(
                &w1[copy], rows: replayedMinus, columns: minus, width: nHid, reward: false,
                draws: draws(w1Names[copy], phase: 11))
        }
        return result
    }
}

extension NBPStochasticEngine {
    public func separateCopies() throws(NBPError) -> NBPChipMatrices? { chipMatrices() }

    public func recordEnergyCounts() throws {
        throw NBPError.energyCountsUnavailable(
            "per-synapse rounding (p < 1) is not in the fast path's count model; run --engine chip for counts")
    }

    public var energyCounts: (training: EnergyCounts?, inference: EnergyCounts?) { (nil, nil) }
}
