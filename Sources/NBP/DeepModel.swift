import Foundation
import SynfireArrays
import SynfireIO

/// Layer sizes of an nBP network with any number of hidden layers: input, hidden..., output
/// (`--sizes 400,400,400,10`). One hidden layer is the paper's network (`NBPSizes`).
public struct NBPLayerSizes: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// n0 (input), n1 ... nH (hidden), nH+1 (output).
    public let units: [Int]

    public init(_ units: [Int]) throws(NBPError) {
        self.units = units
        try validate()
    }

    public init(_ sizes: NBPSizes) {
        units = [sizes.input, sizes.hidden, sizes.output]
    }

    /// Parses `400,400,400,10` (commas or dashes).
    public static func parse(_ text: String) throws(NBPError) -> NBPLayerSizes {
        let parts = text.split(whereSeparator: { $0 == "," || $0 == "-" }).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count >= 3, parts.allSatisfy({ $0 != nil }) else {
            throw .invalidOption(
                "--sizes '\(text)' is not a list of layer sizes: give input, one or more hidden layers and output, "
                    + "e.g. 400,400,400,10 (docs/nbp.md, \"Deeper networks\")")
        }
        return try NBPLayerSizes(parts.map { $0! })
    }

    /// Number of hidden layers H.
    public var hiddenLayers: Int { units.count - 2 }
    /// Number of weight matrices L = H + 1; W_l maps layer l - 1 to layer l.
    public var weightLayers: Int { units.count - 1 }
    public var input: Int { units[0] }
    public var output: Int { units[units.count - 1] }

    /// The one-hidden-layer sizes, nil for a deeper network.
    public var single: NBPSizes? {
        hiddenLayers == 1 ? NBPSizes(input: units[0], hidden: units[1], output: units[2]) : nil
    }

    public var description: String { units.map(String.init).joined(separator: "-") }

    /// The maximum hidden layers; every layer is bounded as `NBPSizes.maximum` bounds it.
    public static let maximumHiddenLayers = 8

    public func validate() throws(NBPError) {
        let limit = NBPSizes.maximum
        let invalid = NBPError.invalidOption(
            "layer sizes \(description) are invalid: give 1...\(NBPLayerSizes.maximumHiddenLayers) hidden layers, "
                + "every layer with at least one unit and at most \(limit.input) inputs, \(limit.hidden) hidden "
                + "units per layer and \(limit.output) outputs (e.g. 400,400,400,10)")
        guard (1...NBPLayerSizes.maximumHiddenLayers).contains(units.count - 2) else { throw invalid }
        guard (1...limit.input).contains(units[0]), (1...limit.output).contains(units[units.count - 1]) else {
            throw invalid
        }
        guard units.dropFirst().dropLast().allSatisfy({ (1...limit.hidden).contains($0) }) else { throw invalid }
    }
}

/// The trained state of a network with any depth, in the paper's layout: `w[l - 1]` is W_l
/// (n_l x n_{l-1}, post x pre), `m[l - 1]` is W_l's negative backward copy M_l
/// (n_{l-1} x n_l), used for l >= 2. One hidden layer holds exactly `NBPWeights`' W1, W2, M.
public struct NBPDeepWeights: Equatable, Sendable {
    public var sizes: NBPLayerSizes
    public var w: [[Int16]]
    /// M_l for l = 2 ... L (index l - 2).
    public var m: [[Int16]]

    public init(sizes: NBPLayerSizes, w: [[Int16]], m: [[Int16]]? = nil) throws(NBPError) {
        guard w.count == sizes.weightLayers else {
            throw .weightShapeMismatch(matrix: "W", expected: sizes.weightLayers, got: w.count)
        }
        for l in 1...sizes.weightLayers where w[l - 1].count != sizes.units[l] * sizes.units[l - 1] {
            throw .weightShapeMismatch(
                matrix: "W\(l)", expected: sizes.units[l] * sizes.units[l - 1], got: w[l - 1].count)
        }
        self.sizes = sizes
        self.w = w
        if let m {
            guard m.count == sizes.weightLayers - 1 else {
                throw .weightShapeMismatch(matrix: "M", expected: sizes.weightLayers - 1, got: m.count)
            }
            for l in 2...sizes.weightLayers where m[l - 2].count != w[l - 1].count {
                throw .weightShapeMismatch(matrix: NBPDeepWeights.mName(l, of: sizes), expected: w[l - 1].count, got: m[l - 2].count)
            }
            self.m = m
        } else {
            self.m = (2...sizes.weightLayers).map { l in
                NBPWeights.negatedTranspose(w[l - 1], rows: sizes.units[l], columns: sizes.units[l - 1])
            }
        }
    }

    public init(_ weights: NBPWeights) {
        sizes = NBPLayerSizes(weights.sizes)
        w = [weights.w1, weights.w2]
        m = [weights.m]
    }

    /// The one-hidden-layer weights, nil for a deeper network.
    public var single: NBPWeights? {
        guard let one = sizes.single else { return nil }
        return try? NBPWeights(sizes: one, w1: w[0], w2: w[1], m: m[0])
    }

    /// The papers' initialisation for every layer, drawn W1 first: one hidden layer gives
    /// exactly `NBPWeights.heNormal`'s weights for the same generator.
    public static func heNormal<G: RandomNumberGenerator>(
        sizes: NBPLayerSizes, scale factor: Double = 1, using generator: inout G
    ) throws(NBPError) -> NBPDeepWeights {
        let w = (1...sizes.weightLayers).map { l in
            NBPWeights.heNormalDraw(
                count: sizes.units[l] * sizes.units[l - 1], fanSum: sizes.units[l] + sizes.units[l - 1],
                scale: factor, using: &generator)
        }
        return try NBPDeepWeights(sizes: sizes, w: w)
    }

    /// Name of M_l in files and reports: `M` for the output layer's (as with one hidden
    /// layer), `M2`, `M3`, ... below it.
    public static func mName(_ l: Int, of sizes: NBPLayerSizes) -> String { l == sizes.weightLayers ? "M" : "M\(l)" }

    /// `.npz` with W1 ... WL (post x pre) and the M matrices, int16 chip units.
    public func archive() throws -> NPZArchive {
        var entries: [(String, NDArray)] = []
        for l in 1...sizes.weightLayers {
            entries.append(("W\(l)", try NDArray(shape: [sizes.units[l], sizes.units[l - 1]], int16: w[l - 1])))
        }
        for l in 2...sizes.weightLayers {
            entries.append(
                (NBPDeepWeights.mName(l, of: sizes), try NDArray(shape: [sizes.units[l - 1], sizes.units[l]], int16: m[l - 2])))
        }
        return NPZArchive(entries)
    }
}

extension NBPWeights {
    /// One He-normal matrix in chip units (docs/nbp.md, "Initialisation").
    static func heNormalDraw<G: RandomNumberGenerator>(count: Int, fanSum: Int, scale factor: Double, using generator: inout G)
        -> [Int16]
    {
        let scale = (2.0 / Double(fanSum)).squareRoot() * 1024 * factor
        var values = [Int16](repeating: 0, count: count)
        for index in 0..<count {
            let value = min(240, max(-240, gaussian(&generator) * scale))
            // Truncate toward zero, then toward zero again to the even grid.
            let truncated = Int(value.rounded(.towardZero))
            values[index] = Int16(truncated - truncated % 2)
        }
        return values
    }
}
