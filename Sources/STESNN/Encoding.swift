/// A uniform Float in [0, 1) from the top 24 bits of one generator word.
@inline(__always)
public func uniformFloat(_ generator: inout some RandomNumberGenerator) -> Float {
    Float(generator.next() >> 40) * (1.0 / 16_777_216.0)
}

/// Input encodings of docs/ste.md "DI mode".
public enum InputEncoding: String, Codable, Sendable {
    /// Bernoulli rate coding: spike iff `p > U`, `U ~ U[0,1)`, a fresh draw per frame.
    case bernoulli
    /// Deterministic variant: spike iff `p ≥ 0.5`.
    case threshold
}

/// Rate coding of 8-bit images (docs/ste.md "DI mode"): `p = pixel / 255`.
public enum RateEncoder {
    /// Writes one frame per image for `images` (each `pixelsPerImage` bytes) into
    /// `frame` starting at `offset`.
    public static func encode(
        pixels: UnsafeBufferPointer<UInt8>, encoding: InputEncoding,
        into frame: UnsafeMutableBufferPointer<Float>, generator: inout some RandomNumberGenerator
    ) {
        precondition(frame.count == pixels.count)
        switch encoding {
        case .bernoulli:
            for i in 0..<pixels.count {
                let p = Float(pixels[i]) * (1.0 / 255.0)
                frame[i] = p > uniformFloat(&generator) ? 1 : 0
            }
        case .threshold:
            for i in 0..<pixels.count {
                frame[i] = pixels[i] >= 128 ? 1 : 0  // 128/255 ≥ 0.5 > 127/255
            }
        }
    }

    /// One Bernoulli spike for probability `p` (used by tests of docs/ste.md "Checks" item 4).
    @inline(__always)
    public static func spike(probability p: Float, generator: inout some RandomNumberGenerator)
        -> Float
    {
        p > uniformFloat(&generator) ? 1 : 0
    }
}

/// Inverted-dropout mask (docs/ste.md "DI mode"): kept elements carry `1/(1−p)`, dropped ones 0.
func dropoutMask(count: Int, rate: Float, generator: inout some RandomNumberGenerator) -> [Float] {
    let keep = 1 / (1 - rate)
    var mask = [Float](repeating: 0, count: count)
    mask.withUnsafeMutableBufferPointer { m in
        for i in 0..<count {
            m[i] = uniformFloat(&generator) >= rate ? keep : 0
        }
    }
    return mask
}
