import Foundation

/// Layer sizes of the nBP perceptron: `input-hidden-output`.
public struct NBPSizes: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var input: Int
    public var hidden: Int
    public var output: Int

    public init(input: Int, hidden: Int, output: Int) {
        self.input = input
        self.hidden = hidden
        self.output = output
    }

    /// The paper's network for 20x20-cropped MNIST.
    public static let mnist = NBPSizes(input: 400, hidden: 400, output: 10)
    /// Fashion-MNIST keeps the full 28x28 image.
    public static let fashionMNIST = NBPSizes(input: 784, hidden: 400, output: 10)

    public var description: String { "\(input)-\(hidden)-\(output)" }

    /// The largest layers accepted (docs/robustness.md): W1 then stays under 128 MiB and
    /// the chip circuit's populations are checked against the chip by NeuroChip.
    public static let maximum = NBPSizes(input: 4096, hidden: 16384, output: 1024)

    /// Checks that every layer has at least one unit and at most `maximum`'s.
    public func validate() throws(NBPError) {
        let limit = NBPSizes.maximum
        if !(1...limit.input).contains(input) || !(1...limit.hidden).contains(hidden)
            || !(1...limit.output).contains(output)
        {
            throw .invalidSizes(self)
        }
    }
}

/// Which semantics the fast path follows (docs/nbp.md, "Variants").
public enum NBPVariant: String, Codable, Sendable, CaseIterable {
    /// What the chip circuit computes: backward pass through W2 before/after the phase-5
    /// update, a separate `M`, `hp = a > 1024`, weights in [-256, 254].
    case chip
    /// The authors' numpy simulation: one signed error through the updated W2,
    /// `hp = a > 1023`, weights in [-254, 254], no `M`.
    case reference

    /// Smallest representable weight of the variant.
    public var weightMin: Int16 { self == .chip ? -256 : -254 }
    /// Largest representable weight (254 in both: the 8-bit mixed-sign mantissa drops
    /// the lowest bit, docs/neurochip.md).
    public var weightMax: Int16 { 254 }
    /// Threshold of the "plus" copies (`hp`, `op`): the circuit's, or one lower for the
    /// numpy reference, which tests `a >= 1024`.
    public var plusThreshold: Int32 {
        let rule = NBPFiringRule.circuit
        let circuit = rule.firingSum(lift: rule.plusLift)
        return self == .chip ? circuit : circuit - 1
    }
}

/// Everything that can go wrong in nBP from user input; each message says what to do.
public enum NBPError: Error, CustomStringConvertible, Equatable, Sendable {
    case invalidSizes(NBPSizes)
    case weightShapeMismatch(matrix: String, expected: Int, got: Int)
    case weightOutOfRange(matrix: String, value: Int, variant: NBPVariant)
    case checkpointSizeMismatch(checkpoint: NBPSizes, expected: NBPSizes)
    case imageSizeMismatch(dataset: String, pixels: Int, circuitInput: Int)
    case unknownDataset(String)
    case labelOutOfRange(label: Int, outputs: Int)
    case emptyDataset(String)
    case missingFile(String)
    case malformedFile(path: String, reason: String)
    case chipMismatch(String)
    /// The circuit for these sizes needs more of the chip than it has (NeuroChip's placement problems).
    case chipCapacity(sizes: NBPSizes, problems: [String])
    case invalidMargin(Int)
    case energyCountsUnavailable(String)
    case invalidOption(String)
    case badWeightFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidSizes(let sizes):
            let limit = NBPSizes.maximum
            return "layer sizes \(sizes) are invalid: every layer needs at least one unit and at most "
                + "\(limit.input) inputs, \(limit.hidden) hidden units, \(limit.output) outputs "
                + "(use e.g. 400-400-10)"
        case .weightShapeMismatch(let matrix, let expected, let got):
            return "weight matrix \(matrix) has \(got) entries but the network needs \(expected): "
                + "export the weights from a network with the same layer sizes"
        case .weightOutOfRange(let matrix, let value, let variant):
            return "weight matrix \(matrix) holds \(value), outside the \(variant.rawValue) "
                + "variant's range [\(variant.weightMin), \(variant.weightMax)]: "
                + "weights must be chip units (even integers), clip them before importing"
        case .checkpointSizeMismatch(let checkpoint, let expected):
            return "checkpoint layer sizes \(checkpoint) do not match the network \(expected): "
                + "resume with the same dataset and --hidden, or start a new run directory"
        case .imageSizeMismatch(let dataset, let pixels, let circuitInput):
            return "dataset \(dataset) gives \(pixels) pixels per image but the circuit has "
                + "\(circuitInput) inputs: use the matching dataset (mnist is cropped to 400, "
                + "fashion-mnist keeps 784) or weights built for \(pixels) inputs"
        case .unknownDataset(let name):
            return "unknown dataset '\(name)': use mnist or fashion-mnist"
        case .labelOutOfRange(let label, let outputs):
            return "label \(label) does not fit the \(outputs) output units: "
                + "use a network with at least \(label + 1) outputs"
        case .emptyDataset(let name):
            return "dataset \(name) has no samples: check --limit and the data directory"
        case .missingFile(let path):
            return "\(path) not found: check the path (a run directory written by "
                + "`synfire nbp train --out`)"
        case .malformedFile(let path, let reason):
            return "\(path) cannot be read: \(reason); re-create it with `synfire nbp train`"
        case .invalidMargin(let margin):
            return "training margin \(margin) is not possible: use an even value in 0...\(NBPCircuit.maximumMargin) "
                + "(weight units; 0 is the paper's rule)"
        case .energyCountsUnavailable(let reason):
            return reason
        case .invalidOption(let message):
            return message
        case .badWeightFile(let path, let reason):
            return "\(path): \(reason)"
        case .chipCapacity(let sizes, let problems):
            return "the nBP circuit for \(sizes) does not fit the simulated chip: "
                + problems.joined(separator: "; ")
                + " — use fewer hidden units (--hidden; the default 400 fits) or the fast path "
                + "(--engine fast), which has no chip limits (docs/neurochip.md, \"Limits\")"
        case .chipMismatch(let reason):
            return "the chip engine disagrees with the fast path: \(reason); "
                + "this is a bug, report it with the seed and sample index"
        }
    }
}

/// The trained state in the paper's layout (post x pre, row-major), chip units.
/// `m` is the separate negative-backward copy of the chip variant (hidden x output);
/// the reference variant keeps it equal to `-W2^T` only for display.
public struct NBPWeights: Codable, Equatable, Sendable {
    public var sizes: NBPSizes
    /// hidden x input
    public var w1: [Int16]
    /// output x hidden
    public var w2: [Int16]
    /// hidden x output
    public var m: [Int16]

    public init(sizes: NBPSizes, w1: [Int16], w2: [Int16], m: [Int16]? = nil) throws(NBPError) {
        try sizes.validate()
        if w1.count != sizes.hidden * sizes.input {
            throw .weightShapeMismatch(matrix: "W1", expected: sizes.hidden * sizes.input, got: w1.count)
        }
        if w2.count != sizes.output * sizes.hidden {
            throw .weightShapeMismatch(matrix: "W2", expected: sizes.output * sizes.hidden, got: w2.count)
        }
        self.sizes = sizes
        self.w1 = w1
        self.w2 = w2
        if let m {
            if m.count != sizes.hidden * sizes.output {
                throw .weightShapeMismatch(matrix: "M", expected: sizes.hidden * sizes.output, got: m.count)
            }
            self.m = m
        } else {
            self.m = NBPWeights.negatedTranspose(w2, rows: sizes.output, columns: sizes.hidden)
        }
    }

    /// `clamp(-W2^T, -256, 254)`: M's start value (-(-256) clamps to 254).
    public static func negatedTranspose(_ w2: [Int16], rows: Int, columns: Int) -> [Int16] {
        var m = [Int16](repeating: 0, count: rows * columns)
        for k in 0..<rows {
            for j in 0..<columns {
                m[j * rows + k] = Int16(min(254, -Int(w2[k * columns + j])))
            }
        }
        return m
    }

    /// Checks that every weight lies in the variant's range; import refuses anything else.
    public func validate(variant: NBPVariant) throws(NBPError) {
        // The reference variant clips -256 to -254 itself, so accept the chip range for it.
        let low = Int16(-256)
        for (name, matrix) in [("W1", w1), ("W2", w2), ("M", m)] {
            for value in matrix where value < low || value > variant.weightMax || value & 1 != 0 {
                throw .weightOutOfRange(matrix: name, value: Int(value), variant: variant)
            }
        }
    }

    /// The papers' initialisation: He normal scaled to chip units,
    /// clipped to ±240, truncated toward zero to an even integer. `scale` multiplies the
    /// standard deviation (1 = the paper's; `--init-scale`, docs/nbp.md "Training margin and
    /// initialisation scale").
    public static func heNormal<G: RandomNumberGenerator>(
        sizes: NBPSizes, scale factor: Double = 1, using generator: inout G
    ) throws(NBPError) -> NBPWeights {
        try sizes.validate()
        func draw(count: Int, fanSum: Int) -> [Int16] {
            heNormalDraw(count: count, fanSum: fanSum, scale: factor, using: &generator)
        }
        let w1 = draw(count: sizes.hidden * sizes.input, fanSum: sizes.input + sizes.hidden)
        let w2 = draw(count: sizes.output * sizes.hidden, fanSum: sizes.hidden + sizes.output)
        return try NBPWeights(sizes: sizes, w1: w1, w2: w2)
    }
}

/// Standard normal deviate by Box-Muller from any generator (used only for initialisation;
/// a generator that provides its own Gaussian is not required).
func gaussian<G: RandomNumberGenerator>(_ generator: inout G) -> Double {
    var u1 = 0.0
    repeat {
        u1 = Double(generator.next() >> 11) * 0x1.0p-53
    } while u1 == 0
    let u2 = Double(generator.next() >> 11) * 0x1.0p-53
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
}

/// The eight on-chip matrices (docs/nbp.md, "The circuit's arithmetic"), each in the paper layout
/// (post x pre): W1 and its copies are hidden x input, W2 and copies output x hidden,
/// W2Tp hidden x output (it connects o -> h1T), M hidden x output.
public struct NBPChipMatrices: Equatable, Sendable {
    public var w1: [Int16]
    public var w1c1: [Int16]
    public var w1c2: [Int16]
    public var w2: [Int16]
    public var w2c1: [Int16]
    public var w2c2: [Int16]
    public var w2Tp: [Int16]
    public var m: [Int16]

    public init(
        w1: [Int16], w1c1: [Int16], w1c2: [Int16], w2: [Int16], w2c1: [Int16], w2c2: [Int16],
        w2Tp: [Int16], m: [Int16]
    ) {
        self.w1 = w1
        self.w1c1 = w1c1
        self.w1c2 = w1c2
        self.w2 = w2
        self.w2c1 = w2c1
        self.w2c2 = w2c2
        self.w2Tp = w2Tp
        self.m = m
    }

    /// The fast path keeps only W1, W2, M; the copies follow from docs/nbp.md "What one sample computes" (they provably
    /// stay equal).
    public init(weights: NBPWeights) {
        let sizes = weights.sizes
        var w2T = [Int16](repeating: 0, count: weights.w2.count)
        for k in 0..<sizes.output {
            for j in 0..<sizes.hidden {
                w2T[j * sizes.output + k] = weights.w2[k * sizes.hidden + j]
            }
        }
        self.init(
            w1: weights.w1, w1c1: weights.w1, w1c2: weights.w1, w2: weights.w2, w2c1: weights.w2,
            w2c2: weights.w2, w2Tp: w2T, m: weights.m)
    }

    /// Matrix name -> values, the circuit's plastic connections' initial weights.
    public var dictionary: [String: [Int]] {
        [
            "W1": w1.map(Int.init), "W1c1": w1c1.map(Int.init), "W1c2": w1c2.map(Int.init),
            "W2": w2.map(Int.init), "W2c1": w2c1.map(Int.init), "W2c2": w2c2.map(Int.init),
            "W2Tp": w2Tp.map(Int.init), "M": m.map(Int.init),
        ]
    }

    /// Names of the matrices that differ from `other` (empty when identical).
    public func differences(from other: NBPChipMatrices) -> [String] {
        var names: [String] = []
        if w1 != other.w1 { names.append("W1") }
        if w1c1 != other.w1c1 { names.append("W1c1") }
        if w1c2 != other.w1c2 { names.append("W1c2") }
        if w2 != other.w2 { names.append("W2") }
        if w2c1 != other.w2c1 { names.append("W2c1") }
        if w2c2 != other.w2c2 { names.append("W2c2") }
        if w2Tp != other.w2Tp { names.append("W2Tp") }
        if m != other.m { names.append("M") }
        return names
    }
}
