import Foundation

/// Fixed-point weights for hardware-like inference (docs/ste.md "Neuron model"): values are multiples of
/// `2^-fractionalBits`; an integer membrane with threshold `2^fractionalBits` is then
/// bit-equivalent to the float simulation of the quantised network.
public struct FixedPointFormat: Codable, Sendable, Equatable {
    public var fractionalBits: Int

    public init(fractionalBits: Int) {
        self.fractionalBits = fractionalBits
    }

    /// `intBits = ceil(log2(max|W|)) + 1` (sign included), `fracBits = q − intBits`;
    /// biases are excluded from the maximum (docs/ste.md "Neuron model").
    public init(totalBits q: Int, parameters: [ParameterBlock]) throws {
        guard q >= 2 else {
            throw STEError.invalidParameter(
                name: "fixed-point bit width", value: "\(q)", expected: "at least 2 bits")
        }
        var largest: Float = 0
        for block in parameters {
            for w in block.weights { largest = max(largest, abs(w)) }
        }
        let intBits = largest > 0 ? Int(ceil(log2(Double(largest)))) + 1 : 1
        self.fractionalBits = q - intBits
    }

    public var scale: Double { pow(2, Double(fractionalBits)) }

    /// Integer code of `value`, rounding half away from zero.
    public func quantise(_ value: Float) -> Int32 {
        Int32((Double(value) * scale).rounded(.toNearestOrAwayFromZero))
    }

    /// `value` rounded to the grid, as Float.
    public func rounded(_ value: Float) -> Float {
        Float(Double(quantise(value)) / scale)
    }

    /// One integer IF step with θ = 1 (= `2^fractionalBits` units), λ = 1, `≥` rule.
    public func step(membrane v: Int32, current: Int32) -> (spike: Bool, membrane: Int32) {
        let threshold = Int32(1) << Int32(max(fractionalBits, 0))
        let u = v + current
        return u >= threshold ? (true, u - threshold) : (false, u)
    }

    /// Parameters with every weight and bias replaced by its rounded value.
    public func quantised(_ parameters: [ParameterBlock]) -> [ParameterBlock] {
        parameters.map { block in
            var b = block
            b.weights = block.weights.map(rounded)
            b.biases = block.biases.map(rounded)
            return b
        }
    }
}
