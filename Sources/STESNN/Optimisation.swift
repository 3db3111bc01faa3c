import Foundation

/// Squared hinge loss with ±1 targets (docs/ste.md "DI mode", "CI mode"):
/// `L = mean_{r,k} max(0, 1 − t_{r,k}·y_{r,k})²` over all rows (time steps × samples)
/// and classes. `targets[r·K + k]` is +1 or −1.
public enum SquaredHinge {
    public static func loss(outputs: [Float], targets: [Float]) -> (loss: Double, gradient: [Float]) {
        precondition(outputs.count == targets.count)
        var gradient = [Float](repeating: 0, count: outputs.count)
        let scale = 1 / Float(outputs.count)
        var total = 0.0
        for i in outputs.indices {
            let margin = max(0, 1 - targets[i] * outputs[i])
            total += Double(margin * margin)
            gradient[i] = -2 * targets[i] * margin * scale
        }
        return (total / Double(max(outputs.count, 1)), gradient)
    }

    /// ±1 targets for `labels` (class k gets +1, the others −1), `classes` per row.
    public static func targets(labels: [Int], classes: Int) -> [Float] {
        var t = [Float](repeating: -1, count: labels.count * classes)
        for (r, label) in labels.enumerated() { t[r * classes + label] = 1 }
        return t
    }
}

/// Exponential learning-rate decay (docs/ste.md "DI mode", "CI mode"): epoch `e` (0-based) trains with
/// `start · (end/start)^(e/E)`, so the rate after the last of `E` epochs is `end`.
public struct LearningRateSchedule: Codable, Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var epochs: Int

    public init(start: Double, end: Double, epochs: Int) {
        self.start = start
        self.end = end
        self.epochs = epochs
    }

    public static func di(epochs: Int) -> LearningRateSchedule {
        LearningRateSchedule(start: 1e-3, end: 1e-5, epochs: epochs)
    }

    public static func ci(epochs: Int) -> LearningRateSchedule {
        LearningRateSchedule(start: 1e-3, end: 1e-6, epochs: epochs)
    }

    /// Rate in force after `completedEpochs` epochs (= the rate of epoch index
    /// `completedEpochs`).
    public func rate(afterEpochs completedEpochs: Int) -> Double {
        if completedEpochs >= epochs { return end }
        return start * pow(end / start, Double(completedEpochs) / Double(epochs))
    }
}

/// Adam (β1 = 0.9, β2 = 0.999, ε = 1e-8; docs/ste.md "DI mode") with the usual bias correction
/// folded into the step size.
public struct AdamOptimiser: Sendable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public private(set) var step = 0
    private var firstMoments: [[Float]]
    private var secondMoments: [[Float]]

    public init(shapes: [Int]) {
        firstMoments = shapes.map { [Float](repeating: 0, count: $0) }
        secondMoments = firstMoments
    }

    public init(for parameters: [ParameterBlock]) {
        self.init(shapes: parameters.flatMap { [$0.weights.count, $0.biases.count] })
    }

    public mutating func update(
        _ parameters: inout [ParameterBlock], gradients: [ParameterBlock], learningRate: Double
    ) {
        step += 1
        let correction =
            learningRate * (1 - pow(Double(beta2), Double(step))).squareRoot()
            / (1 - pow(Double(beta1), Double(step)))
        let alpha = Float(correction)
        for b in parameters.indices {
            apply(&parameters[b].weights, gradients[b].weights, slot: 2 * b, alpha: alpha)
            apply(&parameters[b].biases, gradients[b].biases, slot: 2 * b + 1, alpha: alpha)
        }
    }

    private mutating func apply(_ values: inout [Float], _ grads: [Float], slot: Int, alpha: Float) {
        let b1 = beta1
        let b2 = beta2
        let eps = epsilon
        values.withUnsafeMutableBufferPointer { p in
            grads.withUnsafeBufferPointer { g in
                firstMoments[slot].withUnsafeMutableBufferPointer { m in
                    secondMoments[slot].withUnsafeMutableBufferPointer { v in
                        for i in 0..<p.count {
                            let gi = g[i]
                            m[i] = b1 * m[i] + (1 - b1) * gi
                            v[i] = b2 * v[i] + (1 - b2) * gi * gi
                            p[i] -= alpha * m[i] / (v[i].squareRoot() + eps)
                        }
                    }
                }
            }
        }
    }
}
