/// How `W_in` is initialised (docs/errorprop.md "Architecture and learning rule").
public enum InputWiring: String, Codable, Sendable, CaseIterable {
    /// Default: sparse (`p_conn = 0.3`) strong weights `U(0.20, 0.60)`; hidden units are
    /// coincidence detectors.
    case sparse
    /// Version-1 wiring: all-to-all weak weights `U(0.05, 0.25)`; hidden units are not
    /// class-selective until the hidden layer learns.
    case dense
}

/// Feedback pathway to the hidden error neurons (docs/errorprop.md "Architecture and learning rule").
public enum FeedbackPathway: String, Codable, Sendable, CaseIterable {
    /// Reads the current `W_out[k][j]` at delivery time (default).
    case mirrored
    /// Fixed random `B[j][k] ~ U(0, 1)` (feedback alignment).
    case random
}

/// The post-synaptic factor of the hidden update (docs/errorprop.md "Architecture and learning rule", "Open points").
public enum HiddenGate: String, Codable, Sendable, CaseIterable {
    /// `G_j = 1` if `V_j ≥ V_gate` and not refractory (default).
    case voltage
    /// `G_j = min(1, y_j)` with a post-synaptic spike trace `y_j` (τ = 20 ms).
    case postTrace
}

/// When weight changes take effect (docs/errorprop.md "Architecture and learning rule").
public enum UpdateMode: String, Codable, Sendable, CaseIterable {
    case online
    case perPresentation
}

/// The network of docs/errorprop.md "Architecture and learning rule": sizes, neuron and port parameters, wiring.
public struct NetworkParameters: Codable, Sendable, Equatable {
    public var inputCount = 16
    public var hiddenCount = 20
    public var outputCount = 2
    public var dt = defaultTimeStep
    public var neuron = AdExParameters.hidden
    public var errorNeuron = AdExParameters.error
    public var feedForwardPort = PortParameters.feedForward
    public var errorPort = PortParameters.error
    public var lateralPort = PortParameters.lateral
    public var inputWiring = InputWiring.sparse
    public var connectionProbability = 0.3
    public var sparseInputWeights = [0.20, 0.60]
    public var denseInputWeights = [0.05, 0.25]
    public var outputWeights = [0.10, 0.30]
    public var weightMax = 1.0
    public var feedback = FeedbackPathway.mirrored
    public var feedbackScale = 1.0  // κ_fb
    public var lateralInhibition = true
    public var traceTimeConstant = 10e-3  // τ_x
    /// τ_x of the hidden units' traces (read by the output-layer update). The model uses
    /// one τ_x = 10 ms for both layers; this is kept separate for the experiments of
    /// docs/errorprop.md.
    public var hiddenTraceTimeConstant = 10e-3
    public var gate = HiddenGate.voltage
    public var gateVoltage = -55e-3  // V_gate
    public var postTraceTimeConstant = 20e-3
    public var mismatch = false
    public var mismatchCV = 0.10

    public init() {}

    /// Total neurons in the global order of docs/errorprop.md "Neuron model": hidden, output, output E⁺, output E⁻,
    /// hidden E⁺, hidden E⁻.
    public var neuronCount: Int { 3 * hiddenCount + 3 * outputCount }
    public var outputBase: Int { hiddenCount }
    public var outputErrorPlusBase: Int { hiddenCount + outputCount }
    public var outputErrorMinusBase: Int { hiddenCount + 2 * outputCount }
    public var hiddenErrorPlusBase: Int { hiddenCount + 3 * outputCount }
    public var hiddenErrorMinusBase: Int { 2 * hiddenCount + 3 * outputCount }

    public func validate() throws {
        func bad(_ name: String, _ value: Any, _ expected: String) -> ErrorPropError {
            .invalidParameter(name: name, value: "\(value)", expected: expected)
        }
        guard inputCount >= 1 else { throw bad("inputCount", inputCount, ">= 1") }
        guard hiddenCount >= 1 else { throw bad("hiddenCount", hiddenCount, ">= 1") }
        guard outputCount == 2 else { throw bad("outputCount", outputCount, "2 (classes A and B)") }
        guard dt > 0, dt <= 1e-3 else { throw bad("dt", dt, "a step in (0, 1 ms]") }
        guard (0...1).contains(connectionProbability) else {
            throw bad("connectionProbability", connectionProbability, "a probability in [0, 1]")
        }
        for (name, range) in [
            ("sparseInputWeights", sparseInputWeights), ("denseInputWeights", denseInputWeights),
            ("outputWeights", outputWeights),
        ] {
            guard range.count == 2, range[0] >= 0, range[0] <= range[1], range[1] <= weightMax
            else {
                throw bad(name, range, "[low, high] with 0 <= low <= high <= weightMax")
            }
        }
        guard weightMax > 0 else { throw bad("weightMax", weightMax, "> 0") }
        guard (0...0.2).contains(mismatchCV) else {
            throw bad("mismatchCV", mismatchCV, "a value in [0, 0.2]")
        }
        guard traceTimeConstant > 0, postTraceTimeConstant > 0, hiddenTraceTimeConstant > 0 else {
            throw bad("traceTimeConstant", traceTimeConstant, "> 0 seconds")
        }
        for port in [feedForwardPort, errorPort, lateralPort] where !(port.timeConstant > 0) {
            throw bad("port timeConstant", port.timeConstant, "> 0 seconds")
        }
        try neuron.validate()
        try errorNeuron.validate()
    }
}
