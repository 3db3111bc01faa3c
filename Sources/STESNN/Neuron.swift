/// Which comparison decides a spike (docs/ste.md "Neuron model"): training forward passes use the strict
/// `u > θ` of the reference trainer, spiking inference uses `u ≥ θ`.
public enum FiringRule: String, Codable, Sendable {
    case strict
    case inclusive

    @inline(__always)
    public func fires(_ u: Float, threshold: Float) -> Bool {
        switch self {
        case .strict: return u > threshold
        case .inclusive: return u >= threshold
        }
    }
}

/// The forward firing function of a spike layer. `heaviside` is the real model; the
/// `hardSigmoid` surrogate `clip(u/(2θ), 0, 1)` exists only so that gradient checks can
/// compare the STE backward pass with finite differences of a differentiable model whose
/// exact derivative *is* the STE (docs/ste.md "Straight-through estimator").
public enum FiringFunction: Sendable {
    case heaviside(FiringRule)
    case hardSigmoid
}

/// Integrate-and-fire dynamics of one neuron population (docs/ste.md "Neuron model", "Straight-through estimator"):
/// `u_t = λ·v_{t−1} + a_t`, `s_t = H(u_t)`, `v_t = u_t − θ·s_t`.
/// `carry` is λ: 1 in CI mode, 0 in DI mode (membrane cleared every step).
public struct IFNeuron: Codable, Sendable, Equatable {
    public var threshold: Float
    public var carry: Float
    public var initialMembrane: Float

    public init(threshold: Float = 1, carry: Float, initialMembrane: Float = 0) {
        self.threshold = threshold
        self.carry = carry
        self.initialMembrane = initialMembrane
    }

    /// One step of one neuron as a pure function: `(v_{t−1}, a_t) → (u_t, s_t, v_t)`.
    @inline(__always)
    public func step(membrane v: Float, current a: Float, rule: FiringRule)
        -> (preSpike: Float, spike: Float, membrane: Float)
    {
        let u = carry * v + a
        let s: Float = rule.fires(u, threshold: threshold) ? 1 : 0
        return (u, s, u - threshold * s)
    }

    /// The straight-through estimate of `∂s/∂u` (docs/ste.md "Straight-through estimator"): `1/(2θ)` inside the open
    /// interval `(0, 2θ)`, zero elsewhere including both end points.
    @inline(__always)
    public func surrogateDerivative(_ u: Float) -> Float {
        (u > 0 && u < 2 * threshold) ? 0.5 / threshold : 0
    }

    /// Runs the population over `timeSteps` steps. `currents`, `preSpike` and `spikes`
    /// are laid out time-major: `[timeSteps × width]` (width = batch · units).
    public func forward(
        currents: UnsafeBufferPointer<Float>, timeSteps: Int, width: Int,
        function: FiringFunction,
        preSpike: UnsafeMutableBufferPointer<Float>, spikes: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(currents.count == timeSteps * width && preSpike.count == currents.count)
        precondition(spikes.count == currents.count)
        var membrane = [Float](repeating: initialMembrane, count: width)
        let theta = threshold
        let lambda = carry
        membrane.withUnsafeMutableBufferPointer { v in
            for t in 0..<timeSteps {
                let base = t * width
                switch function {
                case .heaviside(let rule):
                    for i in 0..<width {
                        let u = lambda * v[i] + currents[base + i]
                        let s: Float = rule.fires(u, threshold: theta) ? 1 : 0
                        preSpike[base + i] = u
                        spikes[base + i] = s
                        v[i] = u - theta * s
                    }
                case .hardSigmoid:
                    for i in 0..<width {
                        let u = lambda * v[i] + currents[base + i]
                        let s = min(max(u / (2 * theta), 0), 1)
                        preSpike[base + i] = u
                        spikes[base + i] = s
                        v[i] = u - theta * s
                    }
                }
            }
        }
    }

    /// Back-propagation through time with the STE (docs/ste.md "Straight-through estimator", "CI mode"). `gradSpikes`
    /// holds the
    /// direct gradients `g_t = ∂L/∂s_t` from the layer above; the result is `∂L/∂a_t`.
    ///
    /// With `D_t = ∂L/∂v_t = λ·∂L/∂u_{t+1}` the chain rule through
    /// `v_t = u_t − θ s_t` gives `∂L/∂u_t = D_t + STE(u_t)·(g_t − θ·D_t)`. For λ = 1, θ = 1
    /// this is the unrolled form `δ_t = STE·(g_t − Σ_{k>t} δ_k)`, `∂L/∂a_t = Σ_{k≥t} δ_k`: the
    /// reset path (the `−θ·D_t` term) stays in the graph. For λ = 0 it is `STE·g_t`.
    public func backward(
        preSpike: UnsafeBufferPointer<Float>, gradSpikes: UnsafeBufferPointer<Float>,
        timeSteps: Int, width: Int, gradCurrents: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(preSpike.count == timeSteps * width && gradSpikes.count == preSpike.count)
        precondition(gradCurrents.count == preSpike.count)
        let theta = threshold
        let lambda = carry
        let lower: Float = 0
        let upper = 2 * theta
        let slope = 0.5 / theta
        if lambda == 0 {
            for i in 0..<(timeSteps * width) {
                let u = preSpike[i]
                gradCurrents[i] = (u > lower && u < upper) ? slope * gradSpikes[i] : 0
            }
            return
        }
        var future = [Float](repeating: 0, count: width)
        future.withUnsafeMutableBufferPointer { d in
            for t in stride(from: timeSteps - 1, through: 0, by: -1) {
                let base = t * width
                for i in 0..<width {
                    let u = preSpike[base + i]
                    let ste: Float = (u > lower && u < upper) ? slope : 0
                    let du = d[i] + ste * (gradSpikes[base + i] - theta * d[i])
                    gradCurrents[base + i] = du
                    d[i] = lambda * du
                }
            }
        }
    }
}

extension IFNeuron {
    /// Convenience over arrays for small cases (tests, examples).
    public func run(currents: [Float], timeSteps: Int, rule: FiringRule)
        -> (preSpike: [Float], spikes: [Float])
    {
        var u = [Float](repeating: 0, count: currents.count)
        var s = [Float](repeating: 0, count: currents.count)
        let width = currents.count / max(timeSteps, 1)
        currents.withUnsafeBufferPointer { a in
            u.withUnsafeMutableBufferPointer { pu in
                s.withUnsafeMutableBufferPointer { ps in
                    forward(
                        currents: a, timeSteps: timeSteps, width: width,
                        function: .heaviside(rule), preSpike: pu, spikes: ps)
                }
            }
        }
        return (u, s)
    }

    public func gradient(preSpike: [Float], gradSpikes: [Float], timeSteps: Int) -> [Float] {
        var out = [Float](repeating: 0, count: preSpike.count)
        let width = preSpike.count / max(timeSteps, 1)
        preSpike.withUnsafeBufferPointer { u in
            gradSpikes.withUnsafeBufferPointer { g in
                out.withUnsafeMutableBufferPointer { o in
                    backward(
                        preSpike: u, gradSpikes: g, timeSteps: timeSteps, width: width,
                        gradCurrents: o)
                }
            }
        }
        return out
    }
}
