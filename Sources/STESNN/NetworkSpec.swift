/// The networks of docs/ste.md "Architectures", as plain data that the simulator consumes.
public enum NetworkArchitecture: String, Codable, Sendable, CaseIterable {
    /// MLP-1024, DI: 784 – 1024 – 1024 – 10.
    case mlp
    /// MLP-256, DI: 784 – 256 – 256 – 10 (hardware-sized variant).
    case mlp256 = "mlp-256"
    /// CNN, DI: conv 12@5×5 → pool → conv 64@5×5 → pool → 512 → 10.
    case cnn

    public init(parsing text: String) throws {
        guard let value = NetworkArchitecture(rawValue: text.lowercased()) else {
            throw STEError.unknownArchitecture(text)
        }
        self = value
    }
}

/// Integration mode (docs/ste.md "Purpose"): DI clears the membrane every step, CI carries it.
public enum IntegrationMode: String, Codable, Sendable, CaseIterable {
    case di
    case ci

    public init(parsing text: String) throws {
        guard let value = IntegrationMode(rawValue: text.lowercased()) else {
            throw STEError.unknownMode(text)
        }
        self = value
    }

    /// λ of docs/ste.md "Neuron model".
    public var carry: Float { self == .ci ? 1 : 0 }
}

/// One layer of a network. Activations are rows of `features` values; convolutional
/// activations are stored height × width × channels (channels fastest) per row.
public enum LayerSpec: Codable, Sendable, Equatable {
    case dense(inputs: Int, outputs: Int)
    /// Valid convolution, stride 1, square kernel.
    case convolution(height: Int, width: Int, channelsIn: Int, channelsOut: Int, kernel: Int)
    /// 2 × 2 max-pooling with stride 2 (on currents, before the firing function; docs/ste.md "Architectures").
    case maxPool(height: Int, width: Int, channels: Int)
    /// A population of IF neurons with θ = 1 (docs/ste.md "Neuron model").
    case spike(units: Int)
    /// Inverted dropout (docs/ste.md "DI mode"): identity at inference.
    case dropout(units: Int, rate: Float)

    public var inputFeatures: Int {
        switch self {
        case .dense(let inputs, _): return inputs
        case .convolution(let h, let w, let c, _, _): return h * w * c
        case .maxPool(let h, let w, let c): return h * w * c
        case .spike(let units): return units
        case .dropout(let units, _): return units
        }
    }

    public var outputFeatures: Int {
        switch self {
        case .dense(_, let outputs): return outputs
        case .convolution(let h, let w, _, let co, let k): return (h - k + 1) * (w - k + 1) * co
        case .maxPool(let h, let w, let c): return (h / 2) * (w / 2) * c
        case .spike(let units): return units
        case .dropout(let units, _): return units
        }
    }

    /// Weight and bias element counts, or nil for layers without parameters.
    public var parameterShape: (weights: Int, biases: Int, fanIn: Int, fanOut: Int)? {
        switch self {
        case .dense(let i, let o): return (i * o, o, i, o)
        case .convolution(_, _, let ci, let co, let k):
            return (k * k * ci * co, co, k * k * ci, k * k * co)
        default: return nil
        }
    }
}

/// Weight initialisation (docs/ste.md "DI mode" DI: He-uniform; docs/ste.md "CI mode" CI: Glorot-uniform).
public enum WeightInitialisation: String, Codable, Sendable {
    case heUniform = "he-uniform"
    case glorotUniform = "glorot-uniform"

    public func limit(fanIn: Int, fanOut: Int) -> Float {
        switch self {
        case .heUniform: return Float((3.0 / Double(fanIn)).squareRoot())
        case .glorotUniform: return Float((6.0 / Double(fanIn + fanOut)).squareRoot())
        }
    }
}

/// A complete network description: layers, neuron dynamics and read-out conventions.
public struct NetworkSpec: Codable, Sendable, Equatable {
    public var name: String
    public var inputFeatures: Int
    public var layers: [LayerSpec]
    /// IF dynamics of every hidden spike layer (λ from the integration mode).
    public var neuron: IFNeuron
    /// Threshold of the output IF neurons at spiking inference: 0 in DI (docs/ste.md "DI mode"),
    /// 1 in CI (docs/ste.md "CI mode").
    public var outputThreshold: Float
    public var initialisation: WeightInitialisation

    public init(
        name: String, inputFeatures: Int, layers: [LayerSpec], neuron: IFNeuron,
        outputThreshold: Float, initialisation: WeightInitialisation
    ) throws {
        self.name = name
        self.inputFeatures = inputFeatures
        self.layers = layers
        self.neuron = neuron
        self.outputThreshold = outputThreshold
        self.initialisation = initialisation
        try validate()
    }

    public var outputFeatures: Int { layers.last?.outputFeatures ?? inputFeatures }

    /// Checks that consecutive layers fit together and that the last layer is linear.
    public func validate() throws {
        var features = inputFeatures
        for (index, layer) in layers.enumerated() {
            guard layer.inputFeatures == features else {
                throw STEError.shapeMismatch(
                    what: "layer \(index) (\(layer)) input", expected: layer.inputFeatures,
                    actual: features)
            }
            if case .convolution(let h, let w, _, _, let k) = layer, h < k || w < k {
                throw STEError.invalidParameter(
                    name: "convolution kernel", value: "\(k)",
                    expected: "a kernel no larger than the \(h)×\(w) input")
            }
            if case .dropout(_, let rate) = layer, !(rate >= 0 && rate < 1) {
                throw STEError.invalidParameter(
                    name: "dropout rate", value: "\(rate)", expected: "a value in [0, 1)")
            }
            features = layer.outputFeatures
        }
        guard case .dense = layers.last else {
            throw STEError.invalidParameter(
                name: "last layer", value: "\(String(describing: layers.last))",
                expected: "a dense linear read-out (docs/ste.md, section \"Neuron model\")")
        }
    }

    public var parameterCount: Int {
        layers.reduce(0) { $0 + ($1.parameterShape.map { $0.weights + $0.biases } ?? 0) }
    }

    /// The networks of docs/ste.md "Architectures" with the dropout placement of docs/ste.md "DI mode" / docs/ste.md
    /// "CI mode".
    public static func standard(
        _ architecture: NetworkArchitecture, mode: IntegrationMode, twoChannelEvents: Bool = false
    ) throws -> NetworkSpec {
        let neuron = IFNeuron(threshold: 1, carry: mode.carry)
        switch (architecture, mode) {
        case (.mlp, .di), (.mlp256, .di):
            let h = architecture == .mlp ? 1024 : 256
            return try NetworkSpec(
                name: architecture == .mlp ? "MLP-1024" : "MLP-256", inputFeatures: 784,
                layers: [
                    .dropout(units: 784, rate: 0.1),
                    .dense(inputs: 784, outputs: h), .spike(units: h), .dropout(units: h, rate: 0.3),
                    .dense(inputs: h, outputs: h), .spike(units: h), .dropout(units: h, rate: 0.3),
                    .dense(inputs: h, outputs: 10),
                ], neuron: neuron, outputThreshold: 0, initialisation: .heUniform)
        case (.cnn, .di):
            return try NetworkSpec(
                name: "CNN", inputFeatures: 784,
                layers: [
                    .convolution(height: 28, width: 28, channelsIn: 1, channelsOut: 12, kernel: 5),
                    .maxPool(height: 24, width: 24, channels: 12), .spike(units: 12 * 12 * 12),
                    .convolution(height: 12, width: 12, channelsIn: 12, channelsOut: 64, kernel: 5),
                    .maxPool(height: 8, width: 8, channels: 64), .spike(units: 4 * 4 * 64),
                    .dense(inputs: 1024, outputs: 512), .spike(units: 512),
                    .dropout(units: 512, rate: 0.3),
                    .dense(inputs: 512, outputs: 10),
                ], neuron: neuron, outputThreshold: 0, initialisation: .heUniform)
        case (.mlp, .ci):
            let inputs = twoChannelEvents ? 2 * 34 * 34 : 34 * 34
            return try NetworkSpec(
                name: twoChannelEvents ? "CI-MLP-2ch" : "CI-MLP", inputFeatures: inputs,
                layers: [
                    .dropout(units: inputs, rate: 0.2),
                    .dense(inputs: inputs, outputs: 1024), .spike(units: 1024),
                    .dropout(units: 1024, rate: 0.2),
                    .dense(inputs: 1024, outputs: 1024), .spike(units: 1024),
                    .dropout(units: 1024, rate: 0.2),
                    .dense(inputs: 1024, outputs: 11),
                ], neuron: neuron, outputThreshold: 1, initialisation: .glorotUniform)
        default:
            throw STEError.unsupportedCombination(
                architecture: architecture.rawValue, mode: mode.rawValue)
        }
    }
}
