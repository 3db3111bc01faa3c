// NIR's neuron equations as Euler steps of dt, written in the chip's form
// (docs/nir.md, Semantics):
//   chip:  u[t] = (1 - du/4096) u[t-1] + A[t]      v[t] = (1 - dv/4096) v[t-1] + u[t] + bias
//   NIR :  I[t] = (1 - a) I[t-1] + a w_in x[t]      v[t] = (1 - b) v[t-1] + b (v_leak + r I[t])
// with a = dt / tau_syn, b = dt / tau_mem (LIF: no current state, IF: b = 0 and
// v += dt r x). In chip units u = s b r I and v = s (v_NIR - v_reset) for a scale s per
// neuron, so a spike input x delivers s * inputGain * weight and the constant part of v's
// update is s * (leakBias + constantGain * constant input).

/// Per-neuron coefficients of one neuron node in that form.
struct NeuronDynamics {
    var count: Int
    /// dt / tau_syn (1: the current forgets everything each step).
    var currentDecay: [Double]
    /// dt / tau_mem (0: no leak).
    var voltageDecay: [Double]
    var inputGain: [Double]
    /// Gain of a constant (Affine / Conv bias) input; for CubaLIF its steady state.
    var constantGain: [Double]
    var leakBias: [Double]
    /// Firing threshold above the reset voltage (nil: a non-spiking read-out).
    var threshold: [Double]?
    var reset: [Double]

    init(_ n: FlatNode, count: Int, dt: Double, amplitude: Double) throws {
        self.count = count
        let node = n.node
        let name = n.name
        func field(_ f: String, _ value: Double? = nil) throws -> [Double] {
            try node.perNeuron(f, count: count, node: name, default: value)
        }
        func fraction(_ f: String) throws -> [Double] {
            try field(f).map { tau in
                guard tau > 0 else {
                    throw NIRError.unmappable(
                        node: name, field: f, reason: "time constant \(tau) s; it must be positive")
                }
                let ratio = dt / tau
                guard ratio <= 1 + 1e-9 else {
                    throw NIRError.unmappable(
                        node: name, field: f,
                        reason:
                            "dt / \(f) = \(ratio) > 1: the step dt = \(dt) s is longer than the time constant \(tau) s; pass a smaller --dt (snnTorch exports assume 1e-4 s)"
                    )
                }
                return min(ratio, 1)
            }
        }
        let ones = [Double](repeating: 1, count: count)
        let zeros = [Double](repeating: 0, count: count)
        switch n.type {
        case .lif, .li:
            let b = try fraction("tau")
            let r = try field("r")
            let reset = n.type == .lif ? try field("v_reset", 0) : zeros
            currentDecay = ones
            voltageDecay = b
            constantGain = zip(b, r).map { $0 * $1 }
            leakBias = try zip(b, zip(field("v_leak"), reset)).map { $0 * ($1.0 - $1.1) }
            threshold = n.type == .lif ? try zip(field("v_threshold"), reset).map { $0 - $1 } : nil
            self.reset = reset
        case .integrateAndFire, .integrator:
            let r = try field("r")
            let reset = n.type == .integrateAndFire ? try field("v_reset", 0) : zeros
            currentDecay = ones
            voltageDecay = zeros
            constantGain = r.map { dt * $0 }
            leakBias = zeros
            threshold = n.type == .integrateAndFire ? try zip(field("v_threshold"), reset).map { $0 - $1 } : nil
            self.reset = reset
        case .cubaLIF, .cubaLI:
            let a = try fraction("tau_syn")
            let b = try fraction("tau_mem")
            let r = try field("r")
            let w = try field("w_in", 1)
            let reset = n.type == .cubaLIF ? try field("v_reset", 0) : zeros
            currentDecay = a
            voltageDecay = b
            constantGain = (0..<count).map { b[$0] * r[$0] * w[$0] }
            leakBias = try zip(b, zip(field("v_leak"), reset)).map { $0 * ($1.0 - $1.1) }
            threshold = n.type == .cubaLIF ? try zip(field("v_threshold"), reset).map { $0 - $1 } : nil
            self.reset = reset
        default:  // Threshold: a memoryless comparison of this step's input.
            currentDecay = ones
            voltageDecay = ones
            constantGain = ones
            leakBias = zeros
            threshold = try field("threshold")
            reset = zeros
        }
        // A spike of amplitude `amplitude` enters through the current: for CubaLIF the
        // current's own step a adds to the gain (I jumps by a w_in x).
        let (gain, decay) = (constantGain, currentDecay)
        let cuba = n.type == .cubaLIF || n.type == .cubaLI
        inputGain = (0..<count).map { j in amplitude * gain[j] * (cuba ? decay[j] : 1) }
    }
}
