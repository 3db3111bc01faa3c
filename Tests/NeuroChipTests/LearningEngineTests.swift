import Foundation
import Testing

@testable import NeuroChip

// nBP's rule (docs/neurochip.md, "Learning engine and rule grammar"): +2 when pre and post
// fire together with reward, -2 without.
let nbpRule = "dw = 4*x0*y0*r1 - 2*x0*y0"

@Test func nbpRuleRewardGatesSignOfUpdate() throws {
    // W is post x pre: W[0] = [10, -20], W[1] = [30, 254].
    let chip = try ChipSimulator(
        plasticBench(
            nPre: 2, nPost: 2, weights: [10, -20, 30, 254], rule: nbpRule,
            rewardSteps: [1]))
    try runBench(chip, steps: 5, pre: [1: [0], 3: [1]], post: [1: [0, 1], 3: [0, 1]])
    // step 1: pre 0 with both posts, rewarded -> +2; step 3: pre 1, no reward -> -2
    // (254 - 2 = 252).
    #expect(try chip.weights(of: "W") == [12, -22, 32, 252])
    let total = chip.totals.chip
    #expect(total.plasticSynapseUpdatesProcessed == 4)
    #expect(total.plasticSynapsesSwept == 4 * 5, "every epoch sweeps all 4 synapses on the chip")
    #expect(total.learningEpochs == 5)
    #expect(chip.totals.perConnection[0].plasticSynapseUpdatesProcessed == 4)
    #expect(chip.totals.perConnection[0].plasticSynapsesSwept == 20)
}

@Test func nbpRuleNeedsCoincidenceInTheSameStep() throws {
    let chip = try ChipSimulator(plasticBench(nPre: 1, nPost: 1, weights: [100], rule: nbpRule, rewardSteps: [2, 3]))
    try runBench(chip, steps: 6, pre: [1: [0], 3: [0]], post: [2: [0], 4: [0]])
    #expect(try chip.weights(of: "W") == [100])
    #expect(chip.totals.chip.plasticSynapseUpdatesProcessed == 0)
}

@Test func weightIsReadBeforeLearning() throws {
    // Exponent 0 this time so the delivered current shows the weight: 10 * 64.
    var net = plasticBench(nPre: 1, nPost: 1, weights: [10], rule: nbpRule, rewardSteps: [1])
    net.connections[0].exponent = 0
    let chip = try ChipSimulator(net)
    try runBench(chip, steps: 2, pre: [1: [0]], post: [1: [0]])
    #expect(try chip.weights(of: "W") == [12])
    chip.step()
    #expect(try chip.state(of: "h").u == [640], "the spike of step 1 carried the weight before its update")
    chip.step()
    #expect(try chip.state(of: "h").u == [0])
    // The next spike carries the learned weight (the packed delivery copy was updated).
    try chip.inject(generator: "pre", channels: [0])
    chip.step()
    chip.step()
    #expect(try chip.state(of: "h").u == [768])
}

@Test(arguments: [
    (SignMode.mixed, 254, 1, 254), (SignMode.mixed, -256, -1, -256), (SignMode.excitatory, 255, 1, 255),
    (SignMode.excitatory, 0, -1, 0), (SignMode.inhibitory, 0, 1, 0), (SignMode.inhibitory, -255, -1, -255),
    (SignMode.excitatory, 254, 1, 255), (SignMode.inhibitory, -254, -1, -255),
])
func clampingAtBothEnds(mode: SignMode, start: Int, direction: Int, expected: Int) throws {
    let rule = direction > 0 ? "dw = 4*x0*y0" : "dw = -4*x0*y0"
    let chip = try ChipSimulator(plasticBench(nPre: 1, nPost: 1, weights: [start], rule: rule, signMode: mode))
    try runBench(chip, steps: 2, pre: [1: [0]], post: [1: [0]])
    #expect(try chip.weights(of: "W") == [expected])
}

@Test func epochBoundaries() throws {
    // tEpoch 3: epochs are steps 0-2, 3-5, 6-8; the rule runs at steps 2, 5, 8.
    let chip = try ChipSimulator(plasticBench(nPre: 2, nPost: 1, weights: [0, 0], rule: "dw = -2*x0*y0", epoch: 3))
    // pre 0 at 0 and post at 2: same epoch -> -2 at step 2. pre 1 at 5, post at 6: different epochs.
    var pre: [Int: [Int]] = [0: [0], 5: [1]]
    var post: [Int: [Int]] = [2: [0], 6: [0]]
    try runBench(chip, steps: 2, pre: pre, post: post)
    #expect(try chip.weights(of: "W") == [0, 0], "nothing before the epoch ends")
    pre = pre.filter { $0.key >= 2 }.reduce(into: [:]) { $0[$1.key - 2] = $1.value }
    post = post.filter { $0.key >= 2 }.reduce(into: [:]) { $0[$1.key - 2] = $1.value }
    try runBench(chip, steps: 7, pre: pre, post: post)
    #expect(try chip.weights(of: "W") == [-2, 0])
    #expect(chip.totals.chip.learningEpochs == 3)
}

@Test func rewardSetsR0ForTheWholeEpoch() throws {
    // r0 is 1 if the reward fired anywhere in the epoch (steps 0-3 here).
    let chip = try ChipSimulator(
        plasticBench(
            nPre: 1, nPost: 1, weights: [0], rule: "dw = 2*x0*r0", epoch: 4,
            rewardSteps: [0]))
    try runBench(chip, steps: 4, pre: [3: [0]], post: [:])
    #expect(try chip.weights(of: "W") == [2])
}

@Test func traceTau0And1() throws {
    // x1: impulse 50, tau 0 (no decay, saturates at 127); y1: impulse 7, tau 1.
    let chip = try ChipSimulator(
        plasticBench(
            nPre: 1, nPost: 1, weights: [0], rule: "dw = 2^-8*x1*y1", signMode: .excitatory,
            traces: {
                var l = $0
                l.x1 = TraceParameters(impulse: 50, tau: 0)
                l.y1 = TraceParameters(impulse: 7, tau: 1)
                return l
            }))
    let learning = try #require(chip.connections[0].learning)
    var x1: [Int32] = []
    var y1: [Int32] = []
    try runBench(chip, steps: 1, pre: [:], post: [:])
    for s in 1..<6 {
        if s != 4 { try chip.inject(generator: "pre", channels: [0]) }
        if s == 2 { try chip.inject(generator: "drive", channels: [0]) }
        chip.step()
        x1.append(learning.x1[0])
        y1.append(learning.y1[0])
    }
    #expect(x1 == [50, 100, 127, 127, 127])
    #expect(y1 == [0, 0, 7, 0, 0])
}

@Test func traceDecayLargerTauDeterministicOnGrid() throws {
    // tau 4 from 127 is stochastic, so start from an impulse of 64: 64 -> 48 -> 36 -> 27
    // are exact (64/4, 48/4, 36/4 have no fraction).
    let chip = try ChipSimulator(
        plasticBench(
            nPre: 1, nPost: 1, weights: [0], rule: "dw = 2^-8*x1", signMode: .excitatory,
            traces: {
                var l = $0
                l.x1 = TraceParameters(impulse: 64, tau: 4)
                return l
            }))
    let learning = try #require(chip.connections[0].learning)
    try chip.inject(generator: "pre", channels: [0])
    chip.step()
    var seen: [Int32] = [learning.x1[0]]
    for _ in 0..<3 {
        chip.step()
        seen.append(learning.x1[0])
    }
    #expect(seen == [64, 48, 36, 27])
    chip.step()
    // 27 - 27/4 = 27 - 6.75: 21 (prob 0.75) or 20 (prob 0.25).
    #expect([20, 21].contains(learning.x1[0]))
}

@Test func traceDecayDistributionChiSquare() {
    // x = 15, tau = 4: decrement 3 + Bernoulli(3/4), over the draws of 40,000 trace values.
    let draws = ChipDrawStream(seed: 99, connection: 1, purpose: .x1Decay, step: 3)
    var counts = [0, 0]
    let n = 40_000
    for i in 0..<n {
        let x = LearningRuntime.decayTrace(15, tau: 4, draws: draws, index: i)
        counts[x == 11 ? 0 : 1] += 1
        #expect(x == 11 || x == 12)
    }
    let expected = [0.75 * Double(n), 0.25 * Double(n)]
    let chi = zip(counts, expected).reduce(0.0) { $0 + pow(Double($1.0) - $1.1, 2) / $1.1 }
    #expect(chi < 10.83, "chi-square \(chi) with 1 degree of freedom (p = 0.001)")
}

@Test(arguments: [
    ("dw = 3*2^-3*x0*y0", SignMode.excitatory, 0.375), ("dw = 2^-1*x0*y0", SignMode.mixed, 0.25),
    ("dw = -5*2^-4*x0*y0", SignMode.excitatory, 0.6875),
])
func stochasticRoundingChiSquare(rule: String, mode: SignMode, upProbability: Double) throws {
    // 60 x 60 synapses, all co-firing once: each gets floor or floor + grid.
    let n = 60
    let start = mode == .mixed ? 0 : 100
    let chip = try ChipSimulator(
        plasticBench(
            nPre: n, nPost: n, weights: Array(repeating: start, count: n * n),
            rule: rule, signMode: mode, seed: 4242))
    try runBench(chip, steps: 2, pre: [1: Array(0..<n)], post: [1: Array(0..<n)])
    let weights = try chip.weights(of: "W")
    let grid = mode.weightStep
    // Exact change = value (in weight units); outcomes floor(value/grid)*grid and +grid.
    let value: Double = rule.hasPrefix("dw = -5") ? -5.0 / 16 : (rule.contains("3*2^-3") ? 3.0 / 8 : 0.5)
    let floorChange = Int((value / Double(grid)).rounded(.down)) * grid
    var ups = 0
    for w in weights {
        #expect(w == start + floorChange || w == start + floorChange + grid)
        if w == start + floorChange + grid { ups += 1 }
    }
    let total = Double(n * n)
    let expected = [upProbability * total, (1 - upProbability) * total]
    let observed = [Double(ups), total - Double(ups)]
    let chi = zip(observed, expected).reduce(0.0) { $0 + pow($1.0 - $1.1, 2) / $1.1 }
    #expect(chi < 10.83, "chi-square \(chi) with 1 degree of freedom (p = 0.001)")
}

@Test func uniformDrawsChiSquare() {
    var random = ChipRandom(seed: 7)
    var bins = [Int](repeating: 0, count: 10)
    let n = 100_000
    for _ in 0..<n { bins[Int(random.below(10))] += 1 }
    let e = Double(n) / 10
    let chi = bins.reduce(0.0) { $0 + pow(Double($1) - e, 2) / e }
    #expect(chi < 27.88, "chi-square \(chi) with 9 degrees of freedom (p = 0.001)")
}

@Test func stochasticRunsAreDeterministicUnderASeed() throws {
    func run(seed: UInt64) throws -> [Int] {
        var net = plasticBench(
            nPre: 20, nPost: 20, weights: Array(repeating: 0, count: 400),
            rule: "dw = 2^-2*x1*y0 - 2^-3*y1*x0",
            traces: {
                var l = $0
                l.x1 = .init(impulse: 40, tau: 3)
                l.y1 = .init(impulse: 30, tau: 5)
                return l
            },
            seed: seed)
        net.probes = [ProbeSpec(name: "w", kind: .weights, target: "W", interval: 5)]
        let chip = try ChipSimulator(net)
        var state = ChipRandom(seed: 11)
        for _ in 0..<30 {
            try chip.inject(generator: "pre", channels: (0..<20).filter { _ in state.below(4) == 0 })
            try chip.inject(generator: "drive", channels: (0..<20).filter { _ in state.below(4) == 0 })
            chip.step()
        }
        return try chip.weights(of: "W") + chip.probeRecords[0].data.flatMap { $0 }
    }
    let a = try run(seed: 5)
    #expect(a == (try run(seed: 5)))
    #expect(a != (try run(seed: 6)), "a different seed changes the stochastic rounding")
    #expect(a.contains { $0 != 0 })
}

/// Reference: the rule evaluated on every synapse with exact rationals (deterministic
/// rules only), against the event-driven engine.
@Test func eventDrivenMatchesFullSweepReference() throws {
    let nPre = 12
    let nPost = 9
    var state = ChipRandom(seed: 3)
    let initial = (0..<(nPre * nPost)).map { _ in Int(state.below(200)) * 2 - 200 }
    for rule in [
        nbpRule, "dw = 2*x0*y0 - 4*x0*r1", "dw = 2*y0*(x1 - 1)", "dw = -2*x0 + 6*y0*r0",
        "dw = 2*y0*r0 - 2^-5*(w + 2)*x0*64", "dw = 4 - w*x1",
    ] {
        let chip = try ChipSimulator(
            plasticBench(
                nPre: nPre, nPost: nPost, weights: initial, rule: rule,
                rewardSteps: [2, 5, 6]))
        var w = initial  // post x pre
        var preSteps: [Int: [Int]] = [:]
        var postSteps: [Int: [Int]] = [:]
        for s in 1..<9 {
            preSteps[s] = (0..<nPre).filter { _ in state.below(3) == 0 }
            postSteps[s] = (0..<nPost).filter { _ in state.below(3) == 0 }
        }
        let parsed = try LearningRuleParser.parse(rule)
        for s in 0..<9 {
            let reward = [2, 5, 6].contains(s) ? 1 : 0
            for j in 0..<nPost {
                for i in 0..<nPre {
                    let x0 = preSteps[s]?.contains(i) == true ? 1 : 0
                    let y0 = postSteps[s]?.contains(j) == true ? 1 : 0
                    var dw = 0
                    for p in parsed.products {
                        var value = p.mantissa << p.exponent
                        for f in p.factors {
                            let raw: Int
                            switch f.variable {
                            case .x0, .x1: raw = x0  // x1 with impulse 1, tau 1
                            case .y0: raw = y0
                            case .r0, .r1: raw = reward
                            case .w: raw = w[j * nPre + i]
                            default: raw = 0
                            }
                            value *= raw + f.offset
                        }
                        dw += value
                    }
                    w[j * nPre + i] = min(254, max(-256, w[j * nPre + i] + dw))
                }
            }
        }
        try runBench(chip, steps: 9, pre: preSteps, post: postSteps)
        #expect(try chip.weights(of: "W") == w, "rule \(rule)")
    }
}

/// Contract with NBP's fast path: synapse (pre, post) of connection W, rounded at step s,
/// uses the draw at index pre * posts + post of the stream keyed by (network seed, W's
/// name, weight rounding, s); its top bits are compared with the remainder.
@Test func stochasticRoundingKeyedDrawIsThePublishedContract() throws {
    let n = 5
    let chip = try ChipSimulator(
        plasticBench(
            nPre: n, nPost: n, weights: Array(repeating: 0, count: n * n),
            rule: "dw = 2^-1*x0*y0", seed: 321))
    try runBench(chip, steps: 2, pre: [1: Array(0..<n)], post: [1: Array(0..<n)])
    let draws = ChipDrawStream(
        seed: 321, connection: ChipDrawStream.connectionKey(name: "W"), purpose: .weightRounding, step: 1)
    var expected = [Int](repeating: 0, count: n * n)  // post x pre
    for pre in 0..<n {
        for post in 0..<n {
            // value 0.5 on a grid of 2: remainder 1 of 4 (shift 2).
            expected[post * n + pre] = (draws.value(pre * n + post) >> 62) < 1 ? 2 : 0
        }
    }
    #expect(try chip.weights(of: "W") == expected)
    #expect(expected.contains(2) && expected.contains(0))
}

/// Every trace (x1, x2, y1, y2, y3, r1) with tau 0, 1 and 2, impulse 64, one spike at step 1:
/// tau 0 keeps 64, tau 1 keeps only the step of the spike, tau 2 halves exactly (64, 32, 16).
@Test(arguments: ["x1", "x2", "y1", "y2", "y3", "r1"], [0, 1, 2])
func everyTraceWithTau(trace: String, tau: Int) throws {
    let parameters = TraceParameters(impulse: 64, tau: tau)
    let chip = try ChipSimulator(
        plasticBench(
            nPre: 1, nPost: 1, weights: [0], rule: "dw = 2^-8*\(trace)", signMode: .excitatory, rewardSteps: [1],
            traces: { l in
                var l = l
                switch trace {
                case "x1": l.x1 = parameters
                case "x2": l.x2 = parameters
                case "y1": l.y1 = parameters
                case "y2": l.y2 = parameters
                case "y3": l.y3 = parameters
                default: l.r1 = parameters
                }
                return l
            }))
    let learning = try #require(chip.connections[0].learning)
    func value() -> Int32 {
        switch trace {
        case "x1": return learning.x1[0]
        case "x2": return learning.x2[0]
        case "y1": return learning.y1[0]
        case "y2": return learning.y2[0]
        case "y3": return learning.y3[0]
        default: return learning.r1
        }
    }
    var seen: [Int32] = []
    for s in 0..<4 {
        if s == 1 { try chip.inject(generator: "pre", channels: [0]) }
        if s == 0 { try chip.inject(generator: "drive", channels: [0]) }  // post fires at step 1
        chip.step()
        seen.append(value())
    }
    // r1 with tau 0 or 1 equals this step's reward (docs/neurochip.md, "Semantics fixed here").
    let expected: [Int32]
    switch (tau, trace) {
    case (0, "r1"), (1, _): expected = [0, 64, 0, 0]
    case (0, _): expected = [0, 64, 64, 64]
    default: expected = [0, 64, 32, 16]
    }
    #expect(seen == expected, "\(trace) tau \(tau)")
}

/// The specialised kernels (fused sweep rows, uniform pair sums, branch-free rounding)
/// against the general per-synapse evaluation: same weights, tags, delivery copies,
/// counters and generator state, for sweep and event-driven rules, stochastic and on the
/// grid, in every sign mode, with truncated currents (exponent -8) and packed rows (0).
@Test(arguments: [SignMode.mixed, .excitatory, .inhibitory], [-8, 0])
func specialisedKernelsMatchGeneralEvaluation(signMode: SignMode, exponent: Int) throws {
    let nPre = 13
    let nPost = 11
    let rules = [
        "dw = 2^-3*x1*y1 - 2^-6*w", "dw = 2^-2*x1 - 2^-5*(w + 3)", "dw = 4 - w*x1", "dw = 2^-4*y1 + 2^-7",
        "dw = 3*2^-3*x1*y1 - 2^-4*(w - 5) + 2^-3", nbpRule, "dw = 2^-1*x0*y0*r1 - 2^-2*x0*y0",
        "dw = 3*2^-2*x0*y0*r0 - 5*2^-3*x0*y0", "dw = 2^-2*x1*y0*x0 - 2^-3*y1*x0*y0",
        "dw = 2^-3*x1*y1 - 2^-6*w; dt = x0*(y1 - 8)",
        // Sums beyond 2^30: the Int64 sweep kernel instead of the Int32 lanes.
        "dw = 3*2^8*x1*y1 - 2^-8*w",
    ]
    var source = ChipRandom(seed: 99)
    let initial: [Int] = (0..<(nPre * nPost)).map { _ in
        switch signMode {
        case .mixed: return Int(source.below(256)) * 2 - 256
        case .excitatory: return Int(source.below(256))
        case .inhibitory: return -Int(source.below(256))
        }
    }
    var pre: [Int: [Int]] = [:]
    var post: [Int: [Int]] = [:]
    for s in 0..<14 {
        pre[s] = (0..<nPre).filter { _ in source.below(3) == 0 }
        // Posts are driven one step ahead, so none can spike at step 0.
        post[s] = s == 0 ? [] : (0..<nPost).filter { _ in source.below(3) == 0 }
    }
    for rule in rules {
        func run(general: Bool) throws -> (ChipSimulator, ConnectionRuntime) {
            var net = plasticBench(
                nPre: nPre, nPost: nPost, weights: initial, rule: rule, signMode: signMode,
                rewardSteps: [1, 2, 5, 9, 10],
                traces: {
                    var l = $0
                    l.x1 = .init(impulse: 40, tau: 4)
                    l.y1 = .init(impulse: 30, tau: 3)
                    return l
                }, seed: 17)
            net.connections[0].exponent = exponent
            let chip = try ChipSimulator(net)
            let connection = chip.connections[0]
            try #require(connection.learning).usesGeneralEvaluation = general
            try runBench(chip, steps: 14, pre: pre, post: post)
            return (chip, connection)
        }
        let (fast, fastConnection) = try run(general: false)
        let (general, generalConnection) = try run(general: true)
        let label = "rule \(rule), \(signMode), exponent \(exponent)"
        #expect(try fast.weights(of: "W") == general.weights(of: "W"), "\(label)")
        #expect(fastConnection.currents.array == generalConnection.currents.array, "\(label)")
        #expect(fastConnection.packed.array == generalConnection.packed.array, "\(label)")
        #expect(fastConnection.tags.array == generalConnection.tags.array, "\(label)")
        #expect(fast.totals == general.totals, "\(label): same counters")
        #expect(try fast.weights(of: "W") != initial, "\(label): the rule changed some weight")
    }
}
