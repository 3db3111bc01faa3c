import Foundation
import Testing

@testable import ErrorPropSNN

/// Builds the default network and data for the sign checks of the learning rule
/// (docs/errorprop.md, "Validation against the model").
func defaultNetworkAndData(seed: UInt64 = ErrorPropRandom.defaultMasterSeed) throws -> (
    ErrorPropNetwork, TaskDataset
) {
    (
        try ErrorPropNetwork(parameters: NetworkParameters(), masterSeed: seed),
        try TaskDataset(masterSeed: seed)
    )
}

@Test func initialisationFollowsModelRanges() throws {
    let (net, _) = try defaultNetworkAndData()
    #expect(net.inputWeights.count == 320 && net.outputWeights.count == 40)
    for (w, c) in zip(net.inputWeights, net.connections) {
        if c == 0 { #expect(w == 0) } else { #expect(w >= 0.2 && w < 0.6) }
    }
    let fraction = Double(net.connections.filter { $0 == 1 }.count) / 320
    #expect(abs(fraction - 0.3) < 0.08)
    #expect(net.outputWeights.allSatisfy { $0 >= 0.1 && $0 < 0.3 })
    var dense = NetworkParameters()
    dense.inputWiring = .dense
    let d = try ErrorPropNetwork(parameters: dense, masterSeed: 1)
    #expect(d.inputWeights.allSatisfy { $0 >= 0.05 && $0 < 0.25 })
}

/// Sign check, output too low: teacher A on, O[0] silent (its feed-forward weights zeroed), W_in frozen.
@Test func outputTooLowOnlyPotentiates() throws {
    var (net, data) = try defaultNetworkAndData()
    for j in 0..<20 { net.outputWeights[j] = 0 }  // O[0] cannot fire
    let before = net.outputWeights
    let options = PresentationOptions(
        teacherClass: 0, plastic: true, outputRate: 0.001, hiddenRate: 0)
    let r = simulatePresentation(
        network: &net, pattern: data.train[0], steps: 2000, options: options)
    #expect(r.outputCounts[0] == 0)
    #expect(r.errorCounts[0] > 0, "E+_o must fire when the teacher is on and the output silent")
    var increased = 0
    for j in 0..<20 {
        #expect(net.outputWeights[j] >= before[j], "W_out[0][\(j)] decreased")
        if r.hiddenCounts[j] > 0 {
            #expect(
                net.outputWeights[j] > before[j],
                "W_out[0][\(j)] of an active hidden unit did not grow")
            increased += 1
        }
    }
    #expect(increased > 0)
}

/// Sign check, output too high: T[1] silent, O[1] firing → W_out[1][j] never increases.
@Test func outputTooHighNeverPotentiates() throws {
    var (net, data) = try defaultNetworkAndData()
    for j in 0..<20 { net.outputWeights[20 + j] = 1 }  // make O[1] fire strongly
    let before = net.outputWeights
    let options = PresentationOptions(
        teacherClass: 0, plastic: true, outputRate: 0.001, hiddenRate: 0.001)
    let r = simulatePresentation(
        network: &net, pattern: data.train[0], steps: 2000, options: options)
    #expect(r.outputCounts[1] > 0)
    #expect(r.errorCounts[1] > 0)
    for j in 0..<20 { #expect(net.outputWeights[20 + j] <= before[20 + j]) }
    #expect(zip(net.outputWeights[20...], before[20...]).contains { $0 < $1 })
}

/// Sign check, no feedback: with W_out = 0 the hidden error neurons get no input and W_in stays.
@Test func zeroOutputWeightsLeaveInputWeightsUnchanged() throws {
    var (net, data) = try defaultNetworkAndData()
    for e in net.outputWeights.indices { net.outputWeights[e] = 0 }
    let before = net.inputWeights
    let options = PresentationOptions(
        teacherClass: 1, plastic: true, outputRate: 0.001, hiddenRate: 0.01, record: true)
    let r = simulatePresentation(
        network: &net, pattern: data.train[1], steps: 2000, options: options)
    #expect(r.errorCounts[0] > 0)
    #expect(r.errorCounts[2] == 0 && r.errorCounts[3] == 0)
    #expect(net.inputWeights == before)
}

@Test func hiddenLearningChangesOnlyExistingSynapsesAndStaysInBounds() throws {
    var (net, data) = try defaultNetworkAndData()
    let before = net.inputWeights
    let options = PresentationOptions(
        teacherClass: 0, plastic: true, outputRate: 0.004, hiddenRate: 0.05)
    for s in data.train.prefix(6) {
        var o = options
        o.teacherClass = s.label
        _ = simulatePresentation(network: &net, pattern: s, steps: 2000, options: o)
    }
    #expect(net.inputWeights != before)
    for e in net.inputWeights.indices {
        if net.connections[e] == 0 { #expect(net.inputWeights[e] == 0) }
        #expect(net.inputWeights[e] >= 0 && net.inputWeights[e] <= 1)
    }
}

/// Locality, structurally: the update reads exactly the four local signals (pre-synaptic
/// trace, post-synaptic error spike sign, post-synaptic gate, own weight) and nothing else.
@Test func updateRuleReadsOnlyLocalSignals() {
    let fields = Mirror(
        reflecting: SynapseLocalSignals(weight: 0, preTrace: 0, errorSign: 1, postGate: 1)
    )
    .children.compactMap(\.label)
    #expect(fields.sorted() == ["errorSign", "postGate", "preTrace", "weight"])
    let ruleFields = Mirror(reflecting: LocalUpdateRule(learningRate: 0.1, weightMax: 1)).children
        .compactMap(\.label)
    // Only constants (circuit biases), no state or signal of other synapses.
    #expect(ruleFields.sorted() == ["learningRate", "weightMax"])
    let rule = LocalUpdateRule(learningRate: 0.1, weightMax: 1)
    #expect(rule.updated(.init(weight: 0.5, preTrace: 2, errorSign: 1, postGate: 1)) == 0.7)
    #expect(rule.updated(.init(weight: 0.5, preTrace: 2, errorSign: -1, postGate: 1)) == 0.3)
    #expect(rule.updated(.init(weight: 0.5, preTrace: 2, errorSign: 1, postGate: 0)) == 0.5)
    #expect(rule.updated(.init(weight: 0.5, preTrace: 0, errorSign: 1, postGate: 1)) == 0.5)
    #expect(rule.updated(.init(weight: 0.95, preTrace: 2, errorSign: 1, postGate: 1)) == 1)
    #expect(rule.updated(.init(weight: 0.05, preTrace: 2, errorSign: -1, postGate: 1)) == 0)
}

/// Locality, behaviourally: in the network, one presentation changes W_out[k][j] only for
/// hidden units j that spiked (non-zero trace) and W_in only in rows whose error pair fired.
@Test func networkUpdatesDependOnLocalActivityOnly() throws {
    var (net, data) = try defaultNetworkAndData()
    let before = net
    let options = PresentationOptions(
        teacherClass: 0, plastic: true, outputRate: 0.004, hiddenRate: 0.01, record: true)
    let r = simulatePresentation(
        network: &net, pattern: data.train[0], steps: 2000, options: options)
    let p = net.parameters
    var firedHiddenError = Set<Int>()
    for s in r.spikes where Int(s.neuron) >= p.hiddenErrorPlusBase {
        firedHiddenError.insert((Int(s.neuron) - p.hiddenErrorPlusBase) % p.hiddenCount)
    }
    for j in 0..<20 {
        for i in 0..<16 where net.inputWeights[j * 16 + i] != before.inputWeights[j * 16 + i] {
            #expect(
                firedHiddenError.contains(j),
                "W_in row \(j) changed without an error spike of its pair")
        }
        if r.hiddenCounts[j] == 0 {
            for k in 0..<2 {
                #expect(net.outputWeights[k * 20 + j] == before.outputWeights[k * 20 + j])
            }
        }
    }
}

@Test func replayingTheFixedHiddenLayerIsExact() throws {
    var (net, data) = try defaultNetworkAndData()
    var replayNet = net
    for s in data.train.prefix(3) {
        let hidden = hiddenActivity(network: net, pattern: s, steps: 2000)
        var o = PresentationOptions(
            teacherClass: s.label, plastic: true, outputRate: 0.001, hiddenRate: 0)
        let full = simulatePresentation(network: &net, pattern: s, steps: 2000, options: o)
        o.record = false
        let replay = simulatePresentation(
            network: &replayNet, pattern: s, steps: 2000, options: o, cachedHidden: hidden)
        #expect(full.outputCounts == replay.outputCounts)
        #expect(full.hiddenCounts == replay.hiddenCounts)
        #expect(full.errorCounts[0...1] == replay.errorCounts[0...1])
        #expect(net.outputWeights == replayNet.outputWeights)
    }
}

@Test func sameSeedGivesIdenticalRasters() throws {
    var (a, data) = try defaultNetworkAndData()
    var (b, _) = try defaultNetworkAndData()
    let o = PresentationOptions(
        teacherClass: 1, plastic: true, outputRate: 0.004, hiddenRate: 0.001, record: true)
    let ra = simulatePresentation(network: &a, pattern: data.train[3], steps: 2000, options: o)
    let rb = simulatePresentation(network: &b, pattern: data.train[3], steps: 2000, options: o)
    #expect(ra.spikes == rb.spikes && !ra.spikes.isEmpty)
    #expect(a == b)
}

@Test func mismatchIsDeterministicAndHasTheRequestedSpread() throws {
    var p = NetworkParameters()
    p.mismatch = true
    let a = try ErrorPropNetwork(parameters: p, masterSeed: 11)
    let b = try ErrorPropNetwork(parameters: p, masterSeed: 11)
    #expect(a == b)
    let caps = a.neurons.map { $0.capacitance / 200e-12 }
    let mean = caps.reduce(0, +) / Double(caps.count)
    let sd = (caps.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(caps.count - 1))
        .squareRoot()
    #expect(abs(mean - 1) < 0.05 && abs(sd - 0.1) < 0.04, "mean \(mean) sd \(sd)")
    #expect(a.inputGains.allSatisfy { $0 > 0 } && Set(a.inputGains).count > 100)
    #expect(
        try ErrorPropNetwork(parameters: NetworkParameters(), masterSeed: 11).inputGains.allSatisfy { $0 == 1 })
}

@Test func invalidNetworkParametersAreRejectedWithTheFix() {
    var p = NetworkParameters()
    p.mismatchCV = 0.5
    do {
        _ = try ErrorPropNetwork(parameters: p, masterSeed: 1)
        Issue.record("expected an error")
    } catch let error as ErrorPropError {
        #expect(error.description.contains("mismatchCV") && error.description.contains("[0, 0.2]"))
    } catch { Issue.record("unexpected \(error)") }
    var c = ErrorPropConfiguration()
    c.training.teacherRate = 0
    #expect(throws: ErrorPropError.self) { try c.validate() }
}
