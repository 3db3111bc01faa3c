/// Deterministic event-camera stand-in for N-MNIST (docs/ste.md "CI mode"): a 28 × 28 digit moved along
/// a closed triangular saccade on a 34 × 34 canvas; each of `timeBins` bins emits ON/OFF
/// events where the bilinearly rendered intensity changed by at least `eventThreshold`.
/// All arithmetic in Double, output as 0/1 bytes; no noise, no jitter.
public struct SaccadeEventGenerator: Sendable {
    public static let canvas = 34
    public static let margin = 3
    public var timeBins: Int
    public var twoChannel: Bool
    public var eventThreshold: Double = 0.1

    public init(timeBins: Int = 16, twoChannel: Bool = false) {
        self.timeBins = timeBins
        self.twoChannel = twoChannel
    }

    /// Values per frame: 1156 merged, or 2312 with ON plane then OFF plane.
    public var featuresPerFrame: Int {
        (twoChannel ? 2 : 1) * Self.canvas * Self.canvas
    }

    /// Triangle vertices as (dx, dy): V0 → V1 → V2 → V0 (docs/ste.md "CI mode" item 2).
    static let vertices: [(Double, Double)] = [(0, -2), (2, 2), (-2, 2)]

    /// Offset at fraction `phi` of the loop, constant speed along the arc length.
    public static func offset(at phi: Double) -> (dx: Double, dy: Double) {
        var lengths: [Double] = []
        for i in 0..<3 {
            let a = vertices[i]
            let b = vertices[(i + 1) % 3]
            lengths.append(((b.0 - a.0) * (b.0 - a.0) + (b.1 - a.1) * (b.1 - a.1)).squareRoot())
        }
        var remaining = min(max(phi, 0), 1) * lengths.reduce(0, +)
        for i in 0..<3 {
            if remaining <= lengths[i] || i == 2 {
                let f = min(remaining / lengths[i], 1)
                let a = vertices[i]
                let b = vertices[(i + 1) % 3]
                return (a.0 + f * (b.0 - a.0), a.1 + f * (b.1 - a.1))
            }
            remaining -= lengths[i]
        }
        return vertices[0]
    }

    /// Canvas rendering `R(dx, dy)` of a 28 × 28 image (intensities /255), bilinear,
    /// zero outside the image's support.
    static func render(_ image: UnsafeBufferPointer<UInt8>, dx: Double, dy: Double) -> [Double] {
        let n = canvas
        var out = [Double](repeating: 0, count: n * n)
        @inline(__always) func pixel(_ y: Int, _ x: Int) -> Double {
            (y < 0 || y >= 28 || x < 0 || x >= 28) ? 0 : Double(image[y * 28 + x]) / 255
        }
        for r in 0..<n {
            let y = Double(r - margin) - dy
            let y0 = Int(y.rounded(.down))
            let fy = y - Double(y0)
            for c in 0..<n {
                let x = Double(c - margin) - dx
                let x0 = Int(x.rounded(.down))
                let fx = x - Double(x0)
                out[r * n + c] =
                    (1 - fy) * ((1 - fx) * pixel(y0, x0) + fx * pixel(y0, x0 + 1))
                    + fy * ((1 - fx) * pixel(y0 + 1, x0) + fx * pixel(y0 + 1, x0 + 1))
            }
        }
        return out
    }

    /// The `timeBins` frames of one 784-pixel image, time-major, forward order
    /// (`reversed` gives `F'_k = F_{T−1−k}`, docs/ste.md "CI mode" item 4).
    public func frames(image: UnsafeBufferPointer<UInt8>, reversed: Bool = false) throws -> [UInt8] {
        guard image.count == 784 else {
            throw STEError.shapeMismatch(
                what: "synthetic event source image (28×28)", expected: 784, actual: image.count)
        }
        guard timeBins > 0 else { throw STEError.invalidTimeSteps(timeBins) }
        let plane = Self.canvas * Self.canvas
        let features = featuresPerFrame
        var out = [UInt8](repeating: 0, count: timeBins * features)
        var previous: [Double] = {
            let p = Self.offset(at: 0)
            return Self.render(image, dx: p.dx, dy: p.dy)
        }()
        for k in 0..<timeBins {
            let p = Self.offset(at: Double(k + 1) / Double(timeBins))
            let current = Self.render(image, dx: p.dx, dy: p.dy)
            let bin = reversed ? timeBins - 1 - k : k
            let base = bin * features
            for i in 0..<plane {
                let d = current[i] - previous[i]
                let on = d >= eventThreshold
                let off = d <= -eventThreshold
                if twoChannel {
                    out[base + i] = on ? 1 : 0
                    out[base + plane + i] = off ? 1 : 0
                } else {
                    out[base + i] = (on || off) ? 1 : 0
                }
            }
            previous = current
        }
        return out
    }
}
