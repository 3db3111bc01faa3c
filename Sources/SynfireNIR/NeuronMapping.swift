// Step 3 of import: one neuron node to chip populations. A common chip threshold is
// chosen for the node as large as the chip allows without wrapping the 24-bit current
// when every input fires at once (and at most 2^21, so v keeps about four thresholds of
// room below zero before it saturates); each neuron's scale s = vth / threshold makes
// its threshold exact. Neurons whose quantised decays and bias agree share a population.

import NeuroChip

/// What the synapses into each neuron of a node deliver, in the node's input units.
struct NeuronInputs {
    var positive: [Double]
    var negative: [Double]
    var largest: [Double]

    init(count: Int) {
        positive = Array(repeating: 0, count: count)
        negative = positive
        largest = positive
    }

    mutating func add(_ w: Double, to j: Int) {
        if w > 0 { positive[j] += w } else { negative[j] -= w }
        largest[j] = max(largest[j], abs(w))
    }
}

struct NeuronMapping {
    var node: Int
    var name: String
    var populations: [PopulationSpec] = []
    /// Population position and local index of every neuron.
    var location: [(population: Int, index: Int)] = []
    var members: [[Int]] = []
    /// Chip units per NIR voltage unit, per neuron.
    var scale: [Double]
    var dynamics: NeuronDynamics
    var report: NodeQuantisation

    static let voltageRoom = Double(1 << 21)
    static let currentLimit = Double((1 << 23) - 1)
    /// The largest synaptic current (mixed mode: 254 * 2^13).
    static let largestWeight = Double(254 << 13)

    /// `inputs`: per neuron, what its synapses deliver (weight x inputGain); `constant`:
    /// the constant input.
    init(node k: Int, flat: FlatNode, dynamics d: NeuronDynamics, inputs: NeuronInputs, constant: [Double]?) throws {
        let (posSum, negSum) = (inputs.positive, inputs.negative)
        node = k
        name = flat.name
        dynamics = d
        let n = d.count
        let bias = (0..<n).map { d.leakBias[$0] + d.constantGain[$0] * (constant?[$0] ?? 0) }
        // Largest |u| in input units: a current accumulates to input / decay; one that
        // hardly decays is assumed to sum at most 16 steps of full input.
        let currentBound = (0..<n).map { max(posSum[$0], negSum[$0]) / max(d.currentDecay[$0], 1.0 / 16) }
        var vthChip: Int
        if let theta = d.threshold {
            if let j = theta.indices.first(where: { theta[$0] < 0 }) {
                throw NIRError.unmappable(
                    node: name, field: "v_threshold",
                    reason:
                        "neuron \(j) fires below its reset voltage (threshold - v_reset = \(theta[j])); chip thresholds are >= 0"
                )
            }
            let positive = theta.allSatisfy { $0 > 0 }
            if !positive && theta.contains(where: { $0 > 0 }) {
                throw NIRError.unmappable(
                    node: name, field: "v_threshold", reason: "mixes zero and positive thresholds; split the node")
            }
            if positive {
                var limit = Self.voltageRoom
                for j in 0..<n {
                    if currentBound[j] > 0 { limit = min(limit, theta[j] * Self.currentLimit / currentBound[j]) }
                    if bias[j] != 0 { limit = min(limit, theta[j] * Self.currentLimit / abs(bias[j])) }
                    if inputs.largest[j] > 0 { limit = min(limit, theta[j] * Self.largestWeight / inputs.largest[j]) }
                }
                vthChip = Int(limit / 64) * 64
                guard vthChip >= 64 else {
                    throw NIRError.unmappable(
                        node: name, field: "v_threshold",
                        reason:
                            "inputs of one step reach \(Int(Self.voltageRoom / max(limit, 1e-300))) thresholds; the chip's 24-bit current cannot hold them"
                    )
                }
                scale = theta.map { Double(vthChip) / $0 }
            } else {
                let largest = max(currentBound.max() ?? 0, bias.map(abs).max() ?? 0)
                var s = largest > 0 ? Self.voltageRoom / largest : 1
                if let w = inputs.largest.max(), w > 0 { s = min(s, Self.largestWeight / w) }
                scale = Array(repeating: s, count: n)
                vthChip = 0
            }
        } else {
            // Read-out: never fires (v stays at or below vth); scale for v's range.
            var s = Self.voltageRoom
            for j in 0..<n {
                let input = currentBound[j] + abs(bias[j])
                let vBound = d.voltageDecay[j] > 0 ? input / d.voltageDecay[j] : 128 * input
                if input > 0 { s = min(s, Self.currentLimit / max(currentBound[j], 1e-300)) }
                if inputs.largest[j] > 0 { s = min(s, Self.largestWeight / inputs.largest[j]) }
                if vBound > 0 { s = min(s, Self.voltageRoom * 2 / vBound) }
            }
            scale = Array(repeating: s, count: n)
            vthChip = ChipLimits.vthMantissaRange.upperBound * 64
        }
        report = NodeQuantisation(node: name, type: flat.type.rawValue)
        try group(bias: bias, vthChip: vthChip)
    }

    private mutating func group(bias: [Double], vthChip: Int) throws {
        struct Key: Hashable {
            var du: Int, dv: Int, m: Int, e: Int
        }
        var groups: [Key: Int] = [:]
        var decayErrors: [Double] = []
        var biasErrors: [Double] = []
        let d = dynamics
        for j in 0..<d.count {
            let du = Quantiser.decay(d.currentDecay[j])
            let dv = Quantiser.decay(d.voltageDecay[j])
            for (real, chip) in [(d.currentDecay[j], du), (d.voltageDecay[j], dv)] where real > 0 {
                decayErrors.append(abs(Double(chip) / 4096 - real) / real)
            }
            let target = bias[j] * scale[j]
            let (m, e) = Quantiser.bias(target)
            if target != 0 { biasErrors.append(abs(Double(m << e) - target) / abs(target)) }
            let key = Key(du: du, dv: dv, m: m, e: e)
            if let p = groups[key] {
                location.append((p, members[p].count))
                members[p].append(j)
            } else {
                groups[key] = populations.count
                location.append((populations.count, 0))
                members.append([j])
                populations.append(
                    PopulationSpec(
                        name: name, size: 0, du: du, dv: dv, biasMantissa: m, biasExponent: e,
                        vthMantissa: vthChip / 64, refractory: 1,
                        vmax: d.threshold == nil ? vthChip : nil))
            }
        }
        for p in populations.indices {
            populations[p].size = members[p].count
            if populations.count > 1 { populations[p].name = "\(name)#\(p)" }
        }
        report.populations = populations.map(\.name)
        var decays = ErrorSummary()
        decays.add(decayErrors)
        report.decays = decays
        if let theta = d.threshold {
            var thresholds = ErrorSummary()
            thresholds.add(
                (0..<d.count).map { j in
                    theta[j] == 0 ? 0 : abs(Double(vthChip) / scale[j] - theta[j]) / theta[j]
                })
            report.thresholds = thresholds
        }
        if !biasErrors.isEmpty {
            var b = ErrorSummary()
            b.add(biasErrors)
            report.biases = b
        }
    }

    var placement: NIRNodePlacement {
        let uniformScale = Set(scale).count == 1
        let uniformReset = Set(dynamics.reset).count <= 1
        return NIRNodePlacement(
            node: name, type: report.type, shape: [dynamics.count], populations: populations.map(\.name),
            elements: populations.count == 1 ? nil : members,
            voltageScale: uniformScale ? [scale.first ?? 1] : scale,
            voltageOffset: uniformReset ? [dynamics.reset.first ?? 0] : dynamics.reset)
    }
}
