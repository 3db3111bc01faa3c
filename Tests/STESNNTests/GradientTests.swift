import Testing

@testable import STESNN

/// Gradient checks of every layer type against central finite differences of the
/// surrogate model (docs/ste.md, "Straight-through estimator": the firing function replaced
/// by the hard sigmoid whose exact derivative is the STE; dropout masks held fixed by
/// reseeding).
@Suite struct GradientCheckTests {
    /// L = Σ c·y, so ∂L/∂y = c and the finite difference isolates the network's own
    /// derivative.
    func loss(
        _ net: SpikingNetwork, input: [Float], batch: Int, steps: Int, weights c: [Float]
    ) throws -> Double {
        var g = TestGenerator(seed: 99)
        let phase = ForwardPhase(firing: .hardSigmoid, dropout: true)
        let y = try net.forward(input, batch: batch, timeSteps: steps, phase: phase, generator: &g)
        return zip(y, c).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    func check(spec: NetworkSpec, batch: Int, steps: Int, seed: UInt64) throws {
        var g = TestGenerator(seed: seed)
        let net = try SpikingNetwork(spec: spec, generator: &g)
        // Biases away from zero so every path is exercised.
        for b in net.parameters.indices {
            net.parameters[b].biases = randomFloats(
                net.parameters[b].biases.count, scale: 0.5, seed: seed &+ UInt64(b))
        }
        let input = randomFloats(batch * steps * spec.inputFeatures, scale: 1, seed: seed &+ 7)
        let c = randomFloats(batch * steps * spec.outputFeatures, scale: 1, seed: seed &+ 11)
        var fg = TestGenerator(seed: 99)
        _ = try net.forward(
            input, batch: batch, timeSteps: steps,
            phase: ForwardPhase(firing: .hardSigmoid, dropout: true), generator: &fg)
        let inputGrad = try net.backward(c, needInputGradient: true)
        let analytic = net.gradients
        let eps: Float = 1e-3
        var checked = 0
        var worst = 0.0
        for b in net.parameters.indices {
            for which in 0..<2 {
                let count = which == 0 ? net.parameters[b].weights.count : net.parameters[b].biases.count
                for i in stride(from: 0, to: count, by: max(1, count / 25)) {
                    func perturb(_ d: Float) {
                        if which == 0 { net.parameters[b].weights[i] += d } else { net.parameters[b].biases[i] += d }
                    }
                    perturb(eps)
                    let plus = try loss(net, input: input, batch: batch, steps: steps, weights: c)
                    perturb(-2 * eps)
                    let minus = try loss(net, input: input, batch: batch, steps: steps, weights: c)
                    perturb(eps)
                    let numeric = (plus - minus) / Double(2 * eps)
                    let exact = Double(which == 0 ? analytic[b].weights[i] : analytic[b].biases[i])
                    let err = abs(numeric - exact) / max(1, abs(exact))
                    worst = max(worst, err)
                    checked += 1
                }
            }
        }
        var probe = input
        for i in stride(from: 0, to: input.count, by: max(1, input.count / 25)) {
            probe[i] = input[i] + eps
            let plus = try loss(net, input: probe, batch: batch, steps: steps, weights: c)
            probe[i] = input[i] - eps
            let minus = try loss(net, input: probe, batch: batch, steps: steps, weights: c)
            probe[i] = input[i]
            let numeric = (plus - minus) / Double(2 * eps)
            worst = max(worst, abs(numeric - Double(inputGrad[i])) / max(1, abs(Double(inputGrad[i]))))
            checked += 1
        }
        #expect(checked > 20)
        #expect(worst < 2e-2, "worst relative error \(worst) for \(spec.name)")
    }

    @Test func denseSpikeDropoutDI() throws {
        let spec = try NetworkSpec(
            name: "mlp-small", inputFeatures: 6,
            layers: [
                .dropout(units: 6, rate: 0.2), .dense(inputs: 6, outputs: 5), .spike(units: 5),
                .dropout(units: 5, rate: 0.3), .dense(inputs: 5, outputs: 3),
            ], neuron: IFNeuron(carry: 0), outputThreshold: 0, initialisation: .heUniform)
        try check(spec: spec, batch: 4, steps: 1, seed: 1)
    }

    @Test func denseSpikeThroughTimeCI() throws {
        let spec = try NetworkSpec(
            name: "ci-small", inputFeatures: 3,
            layers: [
                .dense(inputs: 3, outputs: 4), .spike(units: 4), .dense(inputs: 4, outputs: 4),
                .spike(units: 4), .dense(inputs: 4, outputs: 2),
            ], neuron: IFNeuron(carry: 1), outputThreshold: 1, initialisation: .glorotUniform)
        try check(spec: spec, batch: 3, steps: 5, seed: 2)
    }

    @Test func convolutionPoolSpike() throws {
        let spec = try NetworkSpec(
            name: "cnn-small", inputFeatures: 7 * 7 * 2,
            layers: [
                .convolution(height: 7, width: 7, channelsIn: 2, channelsOut: 3, kernel: 3),
                .maxPool(height: 5, width: 5, channels: 3), .spike(units: 2 * 2 * 3),
                .dense(inputs: 12, outputs: 4),
            ], neuron: IFNeuron(carry: 0), outputThreshold: 0, initialisation: .heUniform)
        try check(spec: spec, batch: 2, steps: 1, seed: 3)
    }
}

/// BPTT through the reset (docs/ste.md, "CI mode") against an explicit unrolled computation
/// in which u_t is the sum of the inputs of steps j ≤ t minus the spikes of steps j < t
/// (3 → 4 → 2, T = 5), with the real Heaviside forward and the STE.
@Suite struct UnrolledBPTTTests {
    @Test func bpttMatchesExplicitUnrolledGraph() throws {
        let T = 5
        let spec = try NetworkSpec(
            name: "3-4-2", inputFeatures: 3,
            layers: [.dense(inputs: 3, outputs: 4), .spike(units: 4), .dense(inputs: 4, outputs: 2)],
            neuron: IFNeuron(carry: 1), outputThreshold: 1, initialisation: .glorotUniform)
        var g = TestGenerator(seed: 5)
        let net = try SpikingNetwork(spec: spec, generator: &g)
        net.parameters[0].weights = randomFloats(12, scale: 1.2, seed: 21)
        net.parameters[0].biases = randomFloats(4, scale: 0.6, seed: 22)
        net.parameters[1].weights = randomFloats(8, scale: 1, seed: 23)
        net.parameters[1].biases = randomFloats(2, scale: 0.3, seed: 24)
        let x = randomFloats(T * 3, scale: 1, seed: 25).map { Float($0 > 0 ? 1 : 0) }
        let targets: [Float] = (0..<T).flatMap { _ in [Float(1), -1] }
        let y = try net.forward(x, batch: 1, timeSteps: T, phase: .training, generator: &g)
        let (_, dy) = SquaredHinge.loss(outputs: y, targets: targets)
        try net.backward(dy)

        // Explicit unrolled graph in Double.
        let W1 = net.parameters[0].weights.map(Double.init)
        let b1 = net.parameters[0].biases.map(Double.init)
        let W2 = net.parameters[1].weights.map(Double.init)
        var a = [[Double]](repeating: [Double](repeating: 0, count: 4), count: T)
        var u = a
        var s = a
        for t in 0..<T {
            for i in 0..<4 {
                var sum = b1[i]
                for j in 0..<3 { sum += W1[j * 4 + i] * Double(x[t * 3 + j]) }
                a[t][i] = sum
            }
            for i in 0..<4 {
                var total = a[t][i]
                for j in 0..<t { total += a[j][i] - s[j][i] }
                u[t][i] = total
                s[t][i] = total > 1 ? 1 : 0
            }
        }
        // g_t = ∂L/∂s_t directly from the read-out of step t.
        var gs = [[Double]](repeating: [Double](repeating: 0, count: 4), count: T)
        for t in 0..<T {
            for i in 0..<4 {
                gs[t][i] = (0..<2).reduce(0.0) { $0 + W2[i * 2 + $1] * Double(dy[t * 2 + $1]) }
            }
        }
        // ∂L/∂u_t: s_t feeds u_k (k > t) with coefficient −1 (the reset).
        var du = gs
        for t in stride(from: T - 1, through: 0, by: -1) {
            for i in 0..<4 {
                var total = gs[t][i]
                for k in (t + 1)..<max(T, t + 1) { total -= du[k][i] }
                let ste = (u[t][i] > 0 && u[t][i] < 2) ? 0.5 : 0
                du[t][i] = ste * total
            }
        }
        // ∂L/∂a_j = Σ_{t ≥ j} ∂L/∂u_t (a_j enters every later u_t with coefficient +1).
        var dW1 = [Double](repeating: 0, count: 12)
        var db1 = [Double](repeating: 0, count: 4)
        for j in 0..<T {
            for i in 0..<4 {
                let da = (j..<T).reduce(0.0) { $0 + du[$1][i] }
                db1[i] += da
                for k in 0..<3 { dW1[k * 4 + i] += da * Double(x[j * 3 + k]) }
            }
        }
        for i in 0..<12 { #expect(abs(Double(net.gradients[0].weights[i]) - dW1[i]) < 1e-5) }
        for i in 0..<4 { #expect(abs(Double(net.gradients[0].biases[i]) - db1[i]) < 1e-5) }
        #expect(db1.contains { $0 != 0 }, "the check must exercise a non-zero gradient")
    }
}
