import Foundation
import Testing

@testable import NeuroChip

@Test func validationListsEveryProblemWithLocation() throws {
    var learning = LearningSpec(rule: "dw = 2*x0*q7", epoch: 0, reward: "nobody")
    learning.x1 = TraceParameters(impulse: 300, tau: 1)
    let net = NetworkDescription(
        populations: [
            PopulationSpec(name: "a", size: 4, du: 5000, vthMantissa: 10),
            PopulationSpec(name: "a", size: 0, vthMantissa: -1, refractory: 0),
        ],
        connections: [
            ConnectionSpec(name: "c1", source: "a", target: "missing", pattern: .oneToOne, weight: 3),
            ConnectionSpec(
                name: "c2", source: "ghost", target: "a", pattern: .allToAll, weights: [1, 2],
                exponent: 9, delay: 63),
            ConnectionSpec(name: "c3", source: "a", target: "a", pattern: .allToAll, weight: 300, learning: learning),
            ConnectionSpec(name: "c4", source: "a", target: "a", pattern: .sparse, weight: 2, pre: [0, 9], post: [1]),
            ConnectionSpec(
                name: "c5", source: "a", target: "a", pattern: .oneToOne, weight: 2, plastic: false,
                learning: LearningSpec(rule: "dw = x0")),
        ],
        probes: [ProbeSpec(name: "p", kind: .weights, target: "nope")])
    #expect(throws: NetworkValidationError.self) { try ChipSimulator(net) }
    do {
        _ = try ChipSimulator(net)
    } catch let error as NetworkValidationError {
        let expectedFragments = [
            "populations[0] 'a': du 5000 out of range",
            "populations[1] 'a': duplicate name",
            "populations[1] 'a': size 0",
            "vthMantissa -1 out of range",
            "refractory 0 out of range",
            "connections[0] 'c1' (a -> missing): unknown target 'missing'",
            "connections[1] 'c2' (ghost -> a): unknown source 'ghost'",
            "exponent 9 out of range",
            "delay 63 out of range",
            "connections[2] 'c3' (a -> a): weight = 300 outside mixed range",
            "column 11, token 'q7'",
            "learning epoch 0",
            "unknown reward source 'nobody'",
            "trace x1 impulse 300",
            "connections[3] 'c4' (a -> a): pre has 2 entries but post has 1",
            "pre[1] = 9 outside source size",
            "connections[0] 'c1' (a -> missing): weight = 3 is odd",
            "connections[4] 'c5' (a -> a): a learning rule on a non-plastic connection",
            "learning rules are supported on all-to-all connections only",
            "probes[0] 'p': unknown connection 'nope'",
        ]
        for fragment in expectedFragments {
            #expect(error.problems.contains { $0.contains(fragment) }, "missing problem: \(fragment)\n\(error)")
        }
        #expect(error.description.hasPrefix("invalid network description (\(error.problems.count) problems)"))
    }
}

@Test func weightCountAndParityErrors() {
    let net = NetworkDescription(
        populations: [
            PopulationSpec(name: "a", size: 2, vthMantissa: 1), PopulationSpec(name: "b", size: 3, vthMantissa: 1),
        ],
        connections: [
            ConnectionSpec(name: "w", source: "a", target: "b", pattern: .allToAll, weights: [2, 4, 6, 8, 10])
        ])
    #expect {
        try ChipSimulator(net)
    } throws: { error in
        "\(error)".contains("5 weights but the pattern has 6 synapses (post x pre, row-major)")
    }
}

@Test func coreOverflowNamesThePopulationAndTheChipLimit() {
    // 129 cores' worth of compartments does not fit one chip.
    var net = NetworkDescription(populations: [PopulationSpec(name: "big", size: 1024 * 128 + 1, vthMantissa: 1)])
    net.mapping.chips = 1
    #expect {
        try ChipSimulator(net)
    } throws: { error in
        "\(error)".contains("population 'big' does not fit on 1 chip (128 cores")
            && "\(error)".contains("raise mapping.chips")
    }
}

@Test func aNetworkLargerThanAChipSpillsOntoTheNext() throws {
    let net = NetworkDescription(populations: [PopulationSpec(name: "big", size: 1024 * 128 + 1, vthMantissa: 1)])
    let chip = try ChipSimulator(net)
    #expect(chip.coreMap.chips == 2)
    #expect(chip.coreMap.usedCores == Array(0...128))
    #expect(chip.lastStepCounts.count == 256)
    chip.step()
    #expect(chip.lastStepCounts[128].activeCompartments + chip.lastStepCounts[128].inactiveCompartments == 1)
}

@Test func greedyMappingFollowsEnergyModelExample() throws {
    // Greedy packing (docs/energy.md, "Core mapping"): 400 hidden with 400 plastic inputs each
    // need 400 x 32 bits of synaptic memory, so 81 fit per core -> 5 cores.
    let net = NetworkDescription(
        populations: [
            PopulationSpec(name: "x", size: 400, vthMantissa: 1), PopulationSpec(name: "h", size: 400, vthMantissa: 1),
        ],
        connections: [
            ConnectionSpec(
                name: "W", source: "x", target: "h", pattern: .allToAll, weight: 0,
                learning: LearningSpec(rule: "dw = 2*x0*y0"))
        ])
    let chip = try ChipSimulator(net)
    let perCore = chip.coreMap.compartmentsPerCore.filter { $0 > 0 }
    #expect(perCore == [400, 81, 81, 81, 81, 76])
    #expect(chip.coreMap.usedCores == [0, 1, 2, 3, 4, 5])
}

@Test func countersAndMessages() throws {
    // g (generator) -> a (core 0) -> b (cores 1..2 via a cap of 2 per core), all-to-all.
    var net = NetworkDescription(
        populations: [
            PopulationSpec(name: "a", size: 2, vthMantissa: 0), PopulationSpec(name: "b", size: 4, vthMantissa: 1000),
        ],
        connections: [
            ConnectionSpec(name: "in", source: "g", target: "a", pattern: .oneToOne, weight: 100),
            ConnectionSpec(name: "ab", source: "a", target: "b", pattern: .allToAll, weight: 2),
        ],
        generators: [SpikeGeneratorSpec(name: "g", size: 2, spikeTimes: [[0], []])])
    net.mapping.maxCompartmentsPerCore = 2
    let chip = try ChipSimulator(net)
    #expect(chip.coreMap.segments.map(\.core) == [0, 1, 2])
    chip.recordCounterHistory = true
    chip.run(steps: 3)
    let history = chip.counterHistory
    #expect(history.cores == [0, 1, 2])
    // Step 0: the generator fires: one host message to core 0, one synaptic op there.
    #expect(history.steps[0][0].hostMessagesIn == 1)
    #expect(history.steps[0][0].synapticOps == 1)
    #expect(history.steps[0][0].activeCompartments == 0)
    // Step 1: a[0] gets 6400 > 0 and fires: active 1 of 2; messages to cores 1 and 2.
    #expect(history.steps[1][0].activeCompartments == 1)
    #expect(history.steps[1][0].inactiveCompartments == 1)
    #expect(history.steps[1][0].spikesGenerated == 1)
    #expect(history.steps[1][0].messagesOut == 2)
    #expect(history.steps[1][1].messagesIn == 1 && history.steps[1][2].messagesIn == 1)
    #expect(history.steps[1][1].synapticOps == 2 && history.steps[1][2].synapticOps == 2)
    // Cores 0, 1, 2 are all on tile 0: zero hops.
    #expect(history.steps[1][0].hopsEastWest == 0 && history.steps[1][0].messagePathsSeen == 1)
    // Step 2: b integrates 128 each (active), does not fire.
    #expect(history.steps[2][1].activeCompartments == 2 && history.steps[2][2].activeCompartments == 2)
    for step in history.steps {
        for (k, core) in history.cores.enumerated() {
            #expect(step[k].activeCompartments + step[k].inactiveCompartments == chip.coreMap.compartmentsPerCore[core])
            #expect(step[k].spikesGenerated <= step[k].activeCompartments)
        }
        #expect(step.reduce(0) { $0 + $1.messagesOut } == step.reduce(0) { $0 + $1.messagesIn })
    }
    #expect(chip.totals.chip.synapticOps == 5)
    // Per group: connection "in" touched 1 synapse, "ab" 4; population a fired once.
    #expect(chip.totals.perConnection.map(\.synapticOps) == [1, 4])
    #expect(chip.totals.perPopulation[0].spikesGenerated == 1)
    #expect(chip.totals.perPopulation.map { $0.activeCompartments + $0.inactiveCompartments } == [6, 12])
}

@Test func hopCounting() {
    #expect(ChipGeometry.hops(from: 0, to: 3) == (0, 0))
    #expect(ChipGeometry.hops(from: 0, to: 4) == (1, 0))
    #expect(ChipGeometry.hops(from: 0, to: 127) == (7, 3))
    #expect(ChipGeometry.hops(from: 33, to: 64) == (0, 1))
}

// MARK: property tests

@Test func fullDecayIsMemoryless() {
    var random = ChipRandom(seed: 21)
    let p = CompartmentParameters(du: 4096, dv: 4096, bias: -1000, vth: 50_000, refractory: 1)
    var state = CompartmentState()
    for _ in 0..<2000 {
        let input = Int32(Int(random.below(200_000)) - 100_000)
        let fromHistory = compartmentStep(state, input: input, parameters: p)
        let fromScratch = compartmentStep(CompartmentState(), input: input, parameters: p)
        #expect(fromHistory.state == fromScratch.state && fromHistory.spike == fromScratch.spike)
        state = fromHistory.state
    }
}

@Test func zeroInputNeverSpikesWhenBiasCannotReachThreshold() {
    var random = ChipRandom(seed: 5)
    for _ in 0..<200 {
        let vth = Int(random.below(100_000))
        // Either a non-positive bias with any decay, or full voltage decay with bias <= vth.
        let fullDecay = random.below(2) == 0
        let bias = fullDecay ? Int(random.below(UInt64(vth + 1))) : -Int(random.below(100_000))
        let dv = fullDecay ? 4096 : Int(random.below(4097))
        let p = CompartmentParameters(
            du: Int(random.below(4097)), dv: dv, bias: bias, vth: vth,
            refractory: 1 + Int(random.below(5)))
        var state = CompartmentState()
        for _ in 0..<100 {
            let r = compartmentStep(state, input: 0, parameters: p)
            #expect(!r.spike, "bias \(bias) vth \(vth) dv \(dv)")
            state = r.state
        }
    }
}

@Test(arguments: [0, 1, 3, 17, 62])
func delaysShiftSpikeTrainsExactly(delay: Int) throws {
    var random = ChipRandom(seed: UInt64(delay))
    let times = (0..<40).filter { _ in random.below(3) == 0 }
    let net = NetworkDescription(
        populations: [PopulationSpec(name: "relay", size: 1, vthMantissa: 100)],
        connections: [
            ConnectionSpec(
                name: "d", source: "g", target: "relay", pattern: .oneToOne, weight: 254,
                delay: delay)
        ],
        generators: [SpikeGeneratorSpec(name: "g", size: 1, spikeTimes: [times])],
        probes: [ProbeSpec(name: "s", kind: .spikes, target: "relay")])
    let chip = try ChipSimulator(net)
    chip.run(steps: 110)
    let record = chip.probeRecords[0]
    let out = zip(record.steps, record.data).filter { !$0.1.isEmpty }.map(\.0)
    #expect(out == times.map { $0 + 1 + delay })
}

@Test func sparseAndPerSynapseDelays() throws {
    let net = NetworkDescription(
        populations: [PopulationSpec(name: "b", size: 3, vthMantissa: 100)],
        connections: [
            ConnectionSpec(
                name: "s", source: "g", target: "b", pattern: .sparse, weights: [254, 254, 2],
                delays: [0, 4, 0], pre: [1, 0, 1], post: [2, 0, 0])
        ],
        generators: [SpikeGeneratorSpec(name: "g", size: 2, spikeTimes: [[0], [0]])],
        probes: [ProbeSpec(name: "s", kind: .spikes, target: "b"), ProbeSpec(name: "u", kind: .u, target: "b")])
    let chip = try ChipSimulator(net)
    chip.run(steps: 7)
    let spikes = chip.probeRecords[0].data
    #expect(spikes[1] == [2])
    #expect(spikes[5] == [0])
    #expect(chip.probeRecords[1].data[1] == [128, 0, 16256])
    #expect(try chip.weights(of: "s") == [254, 254, 2])
}

@Test func sameNetworkTwiceGivesIdenticalProbesAndJSONRoundTrip() throws {
    var net = plasticBench(
        nPre: 30, nPost: 20, weights: Array(repeating: 6, count: 600),
        rule: "dw = 2^-1*x1*y0 - 2^-2*x0*y1 + 2*x0*y0*r1", rewardSteps: [3, 9, 14],
        traces: {
            var l = $0
            l.x1 = .init(impulse: 20, tau: 3)
            l.y1 = .init(impulse: 9, tau: 2)
            return l
        },
        seed: 77)
    net.probes = [
        ProbeSpec(name: "s", kind: .spikes, target: "h"),
        ProbeSpec(name: "w", kind: .weights, target: "W", interval: 4),
        ProbeSpec(name: "v", kind: .v, target: "h"),
    ]
    let data = try JSONEncoder().encode(net)
    let decoded = try JSONDecoder().decode(NetworkDescription.self, from: data)
    #expect(decoded == net)
    func run(_ n: NetworkDescription) throws -> ([ProbeRecord], ChipCounterTotals) {
        let chip = try ChipSimulator(n)
        var random = ChipRandom(seed: 1)
        for _ in 0..<20 {
            try chip.inject(generator: "pre", channels: (0..<30).filter { _ in random.below(3) == 0 })
            try chip.inject(generator: "drive", channels: (0..<20).filter { _ in random.below(3) == 0 })
            chip.step()
        }
        return (chip.probeRecords, chip.totals)
    }
    let a = try run(net)
    let b = try run(decoded)
    #expect(a.0 == b.0)
    #expect(a.1 == b.1)
}

@Test func injectRejectsBadChannels() throws {
    let chip = try ChipSimulator(
        NetworkDescription(
            populations: [PopulationSpec(name: "a", size: 1, vthMantissa: 1)],
            generators: [SpikeGeneratorSpec(name: "g", size: 2)]))
    #expect(throws: ChipError.channelOutOfRange(generator: "g", channel: 2, size: 2)) {
        try chip.inject(generator: "g", channels: [2])
    }
    #expect(throws: ChipError.unknownGenerator("h")) { try chip.inject(generator: "h", channels: [0]) }
    #expect(throws: ChipError.unknownConnection("x")) { try chip.weights(of: "x") }
}

/// Each delivery path (packed mixed / excitatory / inhibitory rows, 32-bit currents for
/// negative shifts, one-to-one, one-to-all, sparse) adds exactly w * 2^(6+e).
@Test(arguments: [
    (ConnectionPattern.allToAll, SignMode.mixed, 0, [-256, 254, 2, -2]),
    (ConnectionPattern.allToAll, SignMode.excitatory, 3, [255, 0, 129, 7]),
    (ConnectionPattern.allToAll, SignMode.inhibitory, 7, [-255, -1, 0, -128]),
    (ConnectionPattern.allToAll, SignMode.mixed, -8, [-6, 254, 2, -2]),
    (ConnectionPattern.allToAll, SignMode.excitatory, -7, [255, 3, 129, 1]),
    (ConnectionPattern.sparse, SignMode.excitatory, 2, [255, 3, 129, 1]),
    (ConnectionPattern.sparse, SignMode.mixed, -8, [-250, 4, 128, 2]),
    (ConnectionPattern.sparse, SignMode.mixed, 7, [-256, 254, 2, -2]),
    (ConnectionPattern.sparse, SignMode.inhibitory, 5, [-255, -1, 0, -128]),
])
func deliveryAddsExactCurrents(pattern: ConnectionPattern, mode: SignMode, exponent: Int, weights: [Int]) throws {
    // 2 sources -> 2 targets; all-to-all weights are post x pre; sparse lists the same 4 synapses.
    var connection = ConnectionSpec(
        name: "c", source: "g", target: "b", pattern: pattern, weights: weights,
        exponent: exponent, signMode: mode)
    if pattern == .sparse {
        connection.pre = [0, 1, 0, 1]
        connection.post = [0, 0, 1, 1]
    }
    let net = NetworkDescription(
        populations: [PopulationSpec(name: "b", size: 2, du: 4096, dv: 4096, vthMantissa: 131_071)],
        connections: [connection],
        generators: [SpikeGeneratorSpec(name: "g", size: 2, spikeTimes: [[0], [0]])],
        probes: [ProbeSpec(name: "u", kind: .u, target: "b")])
    let chip = try ChipSimulator(net)
    chip.run(steps: 2)
    func current(_ w: Int) -> Int {
        // e >= 0: w * 2^(6+e); e < 0: floor(w * 2^e) * 64 (docs/neurochip.md, Units).
        return exponent >= 0 ? w << (6 + exponent) : Int((Double(w) * pow(2.0, Double(exponent))).rounded(.down)) * 64
    }
    let expected = [current(weights[0]) + current(weights[1]), current(weights[2]) + current(weights[3])]
    #expect(chip.probeRecords[0].data[1] == expected)
    #expect(try chip.weights(of: "c") == weights)
}

/// The vector kernel (every decay specialisation) agrees with the pure step function.
@Test(arguments: [0, 1, 410, 4095, 4096])
func vectorKernelMatchesPureStep(du: Int) {
    var random = ChipRandom(seed: UInt64(du) + 1)
    for dv in [0, 7, 2048, 4096] {
        let p = CompartmentParameters(
            du: du, dv: dv, bias: Int(random.below(20_000)) - 10_000,
            vth: Int(random.below(300_000)), refractory: 1 + Int(random.below(4)))
        let n = 37
        var u = [Int32](repeating: 0, count: n)
        var v = [Int32](repeating: 0, count: n)
        var r = [Int32](repeating: 0, count: n)
        var a = [Int32](repeating: 0, count: n)
        var spikes = [UInt8](repeating: 0, count: n)
        var states = [CompartmentState](repeating: CompartmentState(), count: n)
        for _ in 0..<60 {
            let inputs = (0..<n).map { _ in Int32(Int(random.below(3_000_000)) - 1_500_000) }
            a = inputs
            _ = updateCompartments(
                range: 0..<n, parameters: p, u: &u, v: &v, refractoryLeft: &r, input: &a,
                spikes: &spikes)
            for i in 0..<n {
                let result = compartmentStep(states[i], input: inputs[i], parameters: p)
                states[i] = result.state
                #expect(result.state == CompartmentState(u: u[i], v: v[i], refractoryLeft: r[i]))
                #expect(result.spike == (spikes[i] == 1))
            }
        }
    }
}

/// Injected channels fire once each in any order and with repeats; a bad channel throws
/// and injects nothing from that call.
@Test func injectedChannelsMergeAndABadChannelInjectsNothing() throws {
    let net = NetworkDescription(
        populations: [PopulationSpec(name: "b", size: 4, vthMantissa: 100)],
        generators: [SpikeGeneratorSpec(name: "g", size: 6)])
    let chip = try ChipSimulator(net)
    try chip.inject(generator: "g", channels: [3, 1, 3])
    try chip.inject(generator: "g", channels: [1, 0])
    #expect(throws: ChipError.self) { try chip.inject(generator: "g", channels: [5, 6]) }
    chip.step()
    #expect(try chip.spikes(of: "g") == [0, 1, 3])
    chip.step()
    #expect(try chip.spikes(of: "g") == [])
}

/// A population's own voltage range: v stops at vmin and vmax (and then spikes only if
/// vmax exceeds the threshold); limits outside the chip's range are refused by name.
@Test func voltageSaturatesAtThePopulationsLimits() throws {
    let net = NetworkDescription(
        populations: [
            PopulationSpec(name: "low", size: 1, du: 4096, dv: 0, vthMantissa: 1000, vmin: -5000),
            PopulationSpec(name: "high", size: 1, du: 4096, dv: 0, vthMantissa: 1000, vmax: 64_000),
        ],
        probes: [ProbeSpec(name: "vl", kind: .v, target: "low"), ProbeSpec(name: "vh", kind: .v, target: "high")])
    let chip = try ChipSimulator(net)
    let lowInputs: [Int32] = [-3000, -3000, 40_000, 40_000, 40_000]
    let highInputs: [Int32] = [40_000, 40_000, 40_000, -3000, 0]
    for (low, high) in zip(lowInputs, highInputs) {
        chip.addInput(current: low, compartment: 0)
        chip.addInput(current: high, compartment: 1)
        chip.step()
    }
    #expect(chip.probeRecords[0].data.map { $0[0] } == [-3000, -5000, 35_000, 0, 40_000])
    // vmax 64,000 never exceeds vth = 64,000: the high compartment saturates and stays silent.
    #expect(chip.probeRecords[1].data.map { $0[0] } == [40_000, 64_000, 64_000, 61_000, 61_000])

    var bad = net
    bad.populations[0].vmin = 1
    bad.populations[1].vmax = 1 << 23
    do {
        _ = try ChipSimulator(bad)
        Issue.record("limits outside the chip's range were accepted")
    } catch let error as NetworkValidationError {
        #expect(error.problems.contains { $0.contains("'low'") && $0.contains("vmin 1 out of range") })
        #expect(error.problems.contains { $0.contains("'high'") && $0.contains("vmax 8388608 out of range") })
    }
}
