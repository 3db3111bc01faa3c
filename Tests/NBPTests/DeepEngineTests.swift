import Foundation
import SynfireData
import Testing

@testable import NBP

/// The fast path at any depth (docs/nbp.md, "Deeper networks") against the one-hidden-layer
/// fast path and against a plain integer model of the equations written here.
@Suite("nBP with several hidden layers: fast path")
struct DeepEngineTests {
    @Test("one hidden layer: the same weights and outcomes as NBPFastEngine after every sample", arguments: [0, 128])
    func oneHiddenLayerEqualsTheFastPath(margin: Int) throws {
        let set = try BitIdentityTests.smallSet(count: 150)
        var generator = SeededGenerator(seed: 11)
        let weights = try NBPWeights.heNormal(
            sizes: NBPSizes(input: set.inputCount, hidden: 24, output: 10), using: &generator)
        var parameters = NBPFastParameters(variant: .chip)
        parameters.trainingMargin = Int32(margin)
        let fast = try NBPFastEngine(weights: weights, parameters: parameters)
        let deep = NBPDeepEngine(weights: NBPDeepWeights(weights), margin: margin)
        for index in 0..<set.count {
            let sample = set.sample(index)
            // Every third sample's per-sample gate is closed: no update, but the margin's o.
            let gates = NBPSampleGates(learns: index % 3 != 2)
            #expect(deep.train(sample, gates: gates) == fast.train(sample, gates: gates), "sample \(index)")
            #expect(deep.weights.single == fast.weights, "sample \(index)")
        }
        #expect(deep.weights.single != weights)
        #expect(deep.evaluate(set) == NBPTrainer.evaluate(engine: fast, set: set))
    }

    @Test("one hidden layer: the same initial weights as NBPWeights.heNormal")
    func initialisationIsTheOneLayerDraw() throws {
        var a = SeededGenerator(seed: 43)
        var b = SeededGenerator(seed: 43)
        let one = try NBPWeights.heNormal(sizes: .mnist, scale: 0.5, using: &a)
        let deep = try NBPDeepWeights.heNormal(sizes: try NBPLayerSizes([400, 400, 10]), scale: 0.5, using: &b)
        #expect(deep.single == one)
    }

    @Test("2 and 3 hidden layers: every W and M equal the plain integer model after every sample", arguments: [
        [30, 12, 9, 10], [30, 10, 8, 7, 10],
    ])
    func deepEqualsPlainModel(units: [Int]) throws {
        for (seed, margin) in [(UInt64(1), 0), (2, 64), (3, 192)] {
            var random = SeededGenerator(seed: seed)
            let sizes = try NBPLayerSizes(units)
            // Weights in [-144, 254], mostly positive, so that every layer fires in part (a
            // unit fires above 512) and the clamp at 254 is reached.
            let w = (1...sizes.weightLayers).map { l in
                (0..<(units[l] * units[l - 1])).map { _ in Int16(Int(random.next() % 200) * 2 - 144) }
            }
            let weights = try NBPDeepWeights(sizes: sizes, w: w)
            let engine = NBPDeepEngine(weights: weights, margin: margin)
            var model = PlainDeepNBP(weights: weights, margin: margin)
            var learned = 0
            for index in 0..<300 {
                let input = (0..<units[0]).filter { _ in random.next() % 2 == 0 }.map(Int32.init)
                let label = Int(random.next() % UInt64(units.last!))
                let sample = NBPSample(active: input, label: label)
                let expected = model.train(input.map(Int.init), label: label)
                let outcome = engine.train(sample)
                #expect(outcome.exact == expected.exact && outcome.argmaxInput == expected.argmax)
                let trained = engine.weights
                #expect(trained.w == model.w.map { $0.map(Int16.init) }, "seed \(seed), sample \(index)")
                #expect(trained.m == model.m.map { $0.map(Int16.init) }, "seed \(seed), sample \(index)")
                if trained.w != weights.w { learned += 1 }
                if trained.w != model.w.map({ $0.map(Int16.init) }) { return }
            }
            // The check means something only if the lower layers learned.
            #expect(engine.weights.w[0] != weights.w[0])
            #expect(learned > 0)
        }
    }

    @Test(
        "one hidden layer under the replay gates: the same weights as NBPFastEngine after every sample",
        arguments: [NBPLearningGate.replay, .input])
    func oneHiddenLayerReplayGatesEqualTheFastPath(gate: NBPLearningGate) throws {
        let set = try BitIdentityTests.smallSet(count: 150)
        var generator = SeededGenerator(seed: 12)
        let weights = try NBPWeights.heNormal(
            sizes: NBPSizes(input: set.inputCount, hidden: 24, output: 10), scale: 0.5, using: &generator)
        let fast = try NBPFastEngine(weights: weights, variant: .chip)
        fast.trainingMargin = 64
        let deep = NBPDeepEngine(weights: NBPDeepWeights(weights), margin: 64)
        let schedule = NBPLearningSchedule(initialExponent: 1, gate: gate)
        var replay = try #require(NBPTrainer.replayGate(seed: 5, epoch: 1, schedule: schedule, hiddenLayers: [24]))
        let ungated = NBPDeepEngine(weights: NBPDeepWeights(weights), margin: 64)
        for index in 0..<set.count {
            let sample = set.sample(index)
            let gates = replay.gates(for: sample.active, learns: true)
            #expect(gates.vetoesReplay && (gates.potentiationHidden != nil) == (gate == .replay))
            #expect(deep.train(sample, gates: gates) == fast.train(sample, gates: gates))
            #expect(deep.weights.single == fast.weights, "sample \(index)")
            _ = ungated.train(sample)
        }
        // The gates changed what was learned.
        #expect(deep.weights.w[0] != ungated.weights.w[0])
    }

    @Test(
        "2 and 3 hidden layers under the replay gates: every W and M equal the plain model",
        arguments: [[30, 12, 9, 10], [30, 10, 8, 7, 10]])
    func deepReplayGatesEqualPlainModel(units: [Int]) throws {
        var random = SeededGenerator(seed: 9)
        let sizes = try NBPLayerSizes(units)
        let w = (1...sizes.weightLayers).map { l in
            (0..<(units[l] * units[l - 1])).map { _ in Int16(Int(random.next() % 200) * 2 - 144) }
        }
        let weights = try NBPDeepWeights(sizes: sizes, w: w)
        let engine = NBPDeepEngine(weights: weights, margin: 64)
        var model = PlainDeepNBP(weights: weights, margin: 64)
        var ungated = PlainDeepNBP(weights: weights, margin: 64)
        let schedule = NBPLearningSchedule(initialExponent: 1, gate: .replay)
        let hiddenLayers = Array(units.dropFirst().dropLast())
        var replay = try #require(
            NBPTrainer.replayGate(seed: 4, epoch: 1, schedule: schedule, hiddenLayers: hiddenLayers))
        for index in 0..<300 {
            let input = (0..<units[0]).filter { _ in random.next() % 2 == 0 }.map(Int32.init)
            let label = Int(random.next() % UInt64(units.last!))
            let sample = NBPSample(active: input, label: label)
            let gates = replay.gates(for: sample.active, learns: true)
            #expect(gates.potentiationHidden?.count == units.dropFirst().dropLast().reduce(0, +))
            let expected = model.train(input.map(Int.init), label: label, gates: gates)
            _ = ungated.train(input.map(Int.init), label: label)
            let outcome = engine.train(sample, gates: gates)
            #expect(outcome.exact == expected.exact && outcome.argmaxInput == expected.argmax)
            let trained = engine.weights
            #expect(trained.w == model.w.map { $0.map(Int16.init) }, "sample \(index)")
            #expect(trained.m == model.m.map { $0.map(Int16.init) }, "sample \(index)")
            if trained.w != model.w.map({ $0.map(Int16.init) }) { return }
        }
        // Every layer learned, and the vetoes changed every matrix.
        for l in 0..<sizes.weightLayers {
            #expect(model.w[l] != weights.w[l].map(Int.init), "W\(l + 1) learned")
            #expect(model.w[l] != ungated.w[l], "W\(l + 1) gated")
        }
    }

    @Test("--sizes parses any depth and refuses what is not a list of layers")
    func sizesParse() throws {
        #expect(try NBPLayerSizes.parse("400,400,400,10").units == [400, 400, 400, 10])
        #expect(try NBPLayerSizes.parse("400-400-10").single == .mnist)
        for bad in ["400,10", "400,x,10", "400,0,10", ""] {
            #expect(throws: NBPError.self) { try NBPLayerSizes.parse(bad) }
        }
    }

    @Test("options the deep fast path does not implement are refused with the fix")
    func refusals() throws {
        #expect(throws: NBPError.self) {
            try NBPDeepEngine.check(
                schedule: NBPLearningSchedule(constantEpochs: 30, halvingEvery: 3, gate: .synapse), engine: .fast,
                variant: .chip)
        }
        try NBPDeepEngine.check(schedule: .constant, engine: .chip, variant: .chip)
        try NBPDeepEngine.check(
            schedule: NBPLearningSchedule(constantEpochs: 30, halvingEvery: 3, gate: .sample), engine: .chip,
            variant: .chip)
        for gate in [NBPLearningGate.sample, .input, .replay] {
            try NBPDeepEngine.check(
                schedule: NBPLearningSchedule(constantEpochs: 30, halvingEvery: 3, gate: gate), engine: .fast,
                variant: .chip)
        }
        // The replay gates at depth are the fast path's; the chip circuit's are one-hidden-layer.
        for gate in [NBPLearningGate.input, .replay] {
            #expect(throws: NBPError.self) {
                try NBPDeepEngine.check(
                    schedule: NBPLearningSchedule(constantEpochs: 30, halvingEvery: 3, gate: gate), engine: .chip,
                    variant: .chip)
            }
        }
    }
}

/// The equations of docs/nbp.md, "Deeper networks", as plainly as possible: post x pre
/// matrices of Int, one loop per formula, no shared code with the engines.
struct PlainDeepNBP {
    var w: [[Int]]
    var m: [[Int]]
    let units: [Int]
    let margin: Int

    init(weights: NBPDeepWeights, margin: Int) {
        w = weights.w.map { $0.map(Int.init) }
        m = weights.m.map { $0.map(Int.init) }
        units = weights.sizes.units
        self.margin = margin
    }

    func weight(_ l: Int, post j: Int, pre i: Int) -> Int { w[l - 1][j * units[l - 1] + i] }
    /// M_l is n_{l-1} x n_l: row i (unit of layer l - 1), column j (unit of layer l).
    func mWeight(_ l: Int, row i: Int, column j: Int) -> Int { m[l - 2][i * units[l] + j] }
    static func clamp(_ v: Int) -> Int { min(254, max(-256, v)) }

    /// `gates`: the replayed inputs of W1's halves and, per hidden unit (layer 1 first), whether
    /// its replay teaches the matrix above it in the + / - half.
    mutating func train(_ x: [Int], label: Int, gates: NBPSampleGates = .open) -> (exact: Bool, argmax: Int) {
        let layers = units.count - 1
        // Forward: h = a > 512, hm = a > 0, hp = a > 1024.
        var h: [[Bool]] = [(0..<units[0]).map { x.contains($0) }]
        var hm: [[Bool]] = [[]]
        var hp: [[Bool]] = [[]]
        var a: [Int] = []
        for l in 1...layers {
            a = (0..<units[l]).map { j in (0..<units[l - 1]).filter { h[l - 1][$0] }.reduce(0) { $0 + weight(l, post: j, pre: $1) } }
            h.append(a.map { $0 > 512 })
            hm.append(a.map { $0 > 0 })
            hp.append(a.map { $0 > 1024 })
        }
        let z = a
        let o = (0..<units[layers]).map { k in k == label ? z[k] > 512 + margin : z[k] > 512 - margin }
        let exact = (0..<units[layers]).allSatisfy { o[$0] == ($0 == label) }
        var best = 0
        for k in 0..<units[layers] where z[k] > z[best] { best = k }
        // Output error.
        var plus = (0..<units[layers]).map { k in k == label && !o[k] && hm[layers][k] }
        var minus = (0..<units[layers]).map { k in k != label && o[k] && !hp[layers][k] }
        // Blocks from the top: layer l receives the error of layer l + 1.
        for l in stride(from: layers - 1, through: 0, by: -1) {
            let post = l + 1
            // Layer l's replay in the + and - halves: what fired, less what the gates veto.
            var replayPlus = h[l]
            var replayMinus = h[l]
            if l == 0 {
                func kept(_ list: [Int32]?) -> [Bool]? {
                    list.map { list in (0..<units[0]).map { x.contains($0) && list.contains(Int32($0)) } }
                }
                replayPlus = kept(gates.potentiationReplay) ?? replayPlus
                replayMinus = kept(gates.depressionReplay) ?? replayMinus
            } else {
                let offset = units[1..<l].reduce(0, +)
                func kept(_ mask: [UInt8]?) -> [Bool]? {
                    mask.map { mask in (0..<units[l]).map { h[l][$0] && mask[offset + $0] == 1 } }
                }
                replayPlus = kept(gates.potentiationHidden) ?? replayPlus
                replayMinus = kept(gates.depressionHidden) ?? replayMinus
            }
            var nextPlus = [Bool](repeating: false, count: units[l])
            var nextMinus = [Bool](repeating: false, count: units[l])
            if l >= 1 {
                for i in 0..<units[l] {
                    var e = 0
                    for j in 0..<units[post] where plus[j] { e += weight(post, post: j, pre: i) }
                    for j in 0..<units[post] where minus[j] { e += mWeight(post, row: i, column: j) }
                    nextPlus[i] = e > 0 && hm[l][i] && !hp[l][i]
                }
            }
            apply(post, h: replayPlus, on: plus, mOn: minus, delta: 2, withM: l >= 1)
            if l >= 1 {
                for i in 0..<units[l] {
                    var e = 0
                    for j in 0..<units[post] where minus[j] { e += weight(post, post: j, pre: i) }
                    for j in 0..<units[post] where plus[j] { e += mWeight(post, row: i, column: j) }
                    nextMinus[i] = e > 0 && hm[l][i] && !hp[l][i]
                }
            }
            apply(post, h: replayMinus, on: minus, mOn: plus, delta: -2, withM: l >= 1)
            plus = nextPlus
            minus = nextMinus
        }
        return (exact, best)
    }

    mutating func apply(_ l: Int, h: [Bool], on: [Bool], mOn: [Bool], delta: Int, withM: Bool) {
        for j in 0..<units[l] where on[j] {
            for i in 0..<units[l - 1] where h[i] {
                w[l - 1][j * units[l - 1] + i] = PlainDeepNBP.clamp(w[l - 1][j * units[l - 1] + i] + delta)
            }
        }
        guard withM else { return }
        for i in 0..<units[l - 1] where h[i] {
            for j in 0..<units[l] where mOn[j] {
                m[l - 2][i * units[l] + j] = PlainDeepNBP.clamp(m[l - 2][i * units[l] + j] + delta)
            }
        }
    }
}
