import Foundation

/// One network instance: its parameters, the learnable weights and everything drawn once
/// per instance (connectivity, feedback weights, device mismatch). Plain data: the
/// simulator consumes it (STYLE: network description separate from its simulator).
public struct ErrorPropNetwork: Codable, Sendable, Equatable {
    public var parameters: NetworkParameters
    public var masterSeed: UInt64
    /// `W_in[j][i]`, row-major, hidden-count × input-count.
    public var inputWeights: [Double]
    /// `c[j][i]` of docs/errorprop.md "Architecture and learning rule": 1 where a synapse exists (absent ones stay 0
    /// for ever).
    public var connections: [UInt8]
    /// `W_out[k][j]`, row-major, output-count × hidden-count.
    public var outputWeights: [Double]
    /// `B[j][k]` for `feedback = random`, hidden-count × output-count; empty when mirrored.
    public var feedbackWeights: [Double]
    /// Mismatch gain factors γ of the plastic synapses (all 1 without mismatch).
    public var inputGains: [Double]
    public var outputGains: [Double]
    /// Per-neuron AdEx parameters after mismatch, global order of docs/errorprop.md "Neuron model".
    public var neurons: [AdExParameters]
    /// Per-neuron port time constants (exc port, inh port), after mismatch.
    public var excitatoryTimeConstants: [Double]
    public var inhibitoryTimeConstants: [Double]

    /// Builds a fresh instance: weights from `rng(master, WEIGHT_INIT, 0)` (docs/errorprop.md "Architecture and
    /// learning rule"),
    /// mismatch from `rng(master, MISMATCH, 0)` (docs/errorprop.md "Neuron model").
    public init(parameters: NetworkParameters, masterSeed: UInt64) throws {
        try parameters.validate()
        self.parameters = parameters
        self.masterSeed = masterSeed
        let nIn = parameters.inputCount
        let nH = parameters.hiddenCount
        let nO = parameters.outputCount

        var rng = ErrorPropRandom(master: masterSeed, stream: .weightInit, index: 0)
        func uniform(_ range: [Double]) -> Double {
            range[0] + (range[1] - range[0]) * rng.uniform()
        }
        switch parameters.inputWiring {
        case .sparse:
            var w = (0..<(nH * nIn)).map { _ in uniform(parameters.sparseInputWeights) }
            let c: [UInt8] = (0..<(nH * nIn)).map { _ in
                rng.uniform() < parameters.connectionProbability ? 1 : 0
            }
            for e in 0..<w.count where c[e] == 0 { w[e] = 0 }
            inputWeights = w
            connections = c
        case .dense:
            inputWeights = (0..<(nH * nIn)).map { _ in uniform(parameters.denseInputWeights) }
            connections = [UInt8](repeating: 1, count: nH * nIn)
        }
        outputWeights = (0..<(nO * nH)).map { _ in uniform(parameters.outputWeights) }
        feedbackWeights =
            parameters.feedback == .random ? (0..<(nH * nO)).map { _ in rng.uniform() } : []

        let count = parameters.neuronCount
        neurons = (0..<count).map {
            $0 < parameters.outputErrorPlusBase ? parameters.neuron : parameters.errorNeuron
        }
        excitatoryTimeConstants = (0..<count).map {
            $0 < parameters.outputErrorPlusBase
                ? parameters.feedForwardPort.timeConstant : parameters.errorPort.timeConstant
        }
        inhibitoryTimeConstants = (0..<count).map {
            $0 < parameters.outputBase
                ? parameters.feedForwardPort.timeConstant  // hidden units have no inh port
                : $0 < parameters.outputErrorPlusBase
                    ? parameters.lateralPort.timeConstant : parameters.errorPort.timeConstant
        }
        inputGains = [Double](repeating: 1, count: nH * nIn)
        outputGains = [Double](repeating: 1, count: nO * nH)
        if parameters.mismatch { applyMismatch() }
    }

    /// docs/errorprop.md "Neuron model": log-normal factors with mean 1 and the configured CV, in the model's fixed
    /// draw order.
    private mutating func applyMismatch() {
        var rng = ErrorPropRandom(master: masterSeed, stream: .mismatch, index: 0)
        let cv = parameters.mismatchCV
        let s = (Foundation.log(1 + cv * cv)).squareRoot()
        let mu = -s * s / 2
        func factor() -> Double { Foundation.exp(mu + s * rng.gaussian()) }
        for n in neurons.indices {
            var p = neurons[n]
            let peakOffsetInSlopes = (p.peakPotential - p.thresholdPotential) / p.slopeFactor
            p.capacitance *= factor()
            p.leakConductance *= factor()
            p.adaptationTimeConstant *= factor()
            p.subthresholdAdaptation *= factor()
            p.spikeAdaptation *= factor()
            p.slopeFactor *= factor()
            p.thresholdPotential += 1e-3 * rng.gaussian()
            // Keep the numerical cut-off at V_T + 5 Δ_T of this neuron (docs/errorprop.md "Neuron model").
            p.peakPotential = p.thresholdPotential + peakOffsetInSlopes * p.slopeFactor
            neurons[n] = p
        }
        for n in neurons.indices {
            excitatoryTimeConstants[n] *= factor()
            // Hidden units have one port (ff); outputs have ff and lat; error neurons two.
            if n >= parameters.outputBase { inhibitoryTimeConstants[n] *= factor() }
        }
        for e in inputGains.indices { inputGains[e] = factor() }
        for e in outputGains.indices { outputGains[e] = factor() }
    }

    /// Feedback weight from output error pair `k` to hidden error pair `j` (docs/errorprop.md "Architecture and
    /// learning rule"),
    /// read live from `W_out` when mirrored.
    @inlinable
    public func feedbackWeight(hidden j: Int, output k: Int) -> Double {
        switch parameters.feedback {
        case .mirrored:
            return parameters.feedbackScale * outputWeights[k * parameters.hiddenCount + j]
        case .random:
            return parameters.feedbackScale * feedbackWeights[j * parameters.outputCount + k]
        }
    }
}
