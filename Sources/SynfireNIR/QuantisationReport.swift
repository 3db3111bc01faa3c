// What importing cost in accuracy, per node, and what was assumed (docs/nir.md,
// Quantisation report). Weights: |chip current - real current| / the largest |real
// current| of the same chip connection. Decays: relative error of dt / tau. Thresholds
// and biases: relative error of the chip value against the scaled real value.

import Foundation

/// The errors of one graph node.
public struct NodeQuantisation: Codable, Sendable, Equatable {
    public var node: String
    public var type: String
    public var populations: [String]?
    public var weights: ErrorSummary?
    public var decays: ErrorSummary?
    public var thresholds: ErrorSummary?
    public var biases: ErrorSummary?
}

public struct QuantisationReport: Codable, Sendable, Equatable {
    public var nodes: [NodeQuantisation]
    /// Connection name -> weight errors of its synapses.
    public var connections: [String: ErrorSummary]
    public var maxWeightRelError: Double
    public var meanWeightRelError: Double
    /// dt, spike amplitude, reset, threshold comparison, when recurrent edges deliver.
    public var assumptions: [String]
    /// What reading the file relaxed, and approximations the mapping made.
    public var notes: [String]
    /// True when the file carried Synfire's own integer details and they were used as is.
    public var exact: Bool

    /// Plain-text table for the terminal.
    public var text: String {
        var lines = ["Quantisation (relative errors: largest / mean)"]
        func cell(_ s: ErrorSummary?) -> String {
            guard let s, s.count > 0 else { return "-" }
            return "\(format(s.max)) / \(format(s.mean))"
        }
        lines.append(
            pad("node", 22) + pad("type", 10) + pad("weights", 22) + pad("decays", 22) + pad("thresholds", 22)
                + "biases")
        for n in nodes {
            lines.append(
                pad(n.node, 22) + pad(n.type, 10) + pad(cell(n.weights), 22) + pad(cell(n.decays), 22)
                    + pad(cell(n.thresholds), 22) + cell(n.biases))
        }
        lines.append("largest weight error \(format(maxWeightRelError)), mean \(format(meanWeightRelError))")
        lines += assumptions.map { "assumed: " + $0 }
        lines += notes.map { "note: " + $0 }
        return lines.joined(separator: "\n")
    }

    private func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : s.padding(toLength: n, withPad: " ", startingAt: 0)
    }

    private func format(_ x: Double) -> String {
        x == 0 ? "0" : (x >= 0.01 ? String(format: "%.4f", x) : String(format: "%.2e", x))
    }
}
