import Foundation
import SynfireIO

/// Weights as `.npz`: `W1` (hidden x input), `W2` (output x hidden), `M` (hidden x output),
/// int16 chip units, readable by numpy (`np.load`).
public enum NBPWeightsFile {
    public static func archive(_ weights: NBPWeights) throws -> NPZArchive {
        let sizes = weights.sizes
        return NPZArchive([
            ("W1", try NDArray(shape: [sizes.hidden, sizes.input], int16: weights.w1)),
            ("W2", try NDArray(shape: [sizes.output, sizes.hidden], int16: weights.w2)),
            ("M", try NDArray(shape: [sizes.hidden, sizes.output], int16: weights.m)),
        ])
    }

    /// With `copies`, also W1c1, W1c2, W2c1, W2c2, W2Tp (paper layout, post x pre).
    public static func archive(_ weights: NBPWeights, copies: NBPChipMatrices?) throws -> NPZArchive {
        var archive = try archive(weights)
        guard let copies else { return archive }
        let sizes = weights.sizes
        archive["W1c1"] = try NDArray(shape: [sizes.hidden, sizes.input], int16: copies.w1c1)
        archive["W1c2"] = try NDArray(shape: [sizes.hidden, sizes.input], int16: copies.w1c2)
        archive["W2c1"] = try NDArray(shape: [sizes.output, sizes.hidden], int16: copies.w2c1)
        archive["W2c2"] = try NDArray(shape: [sizes.output, sizes.hidden], int16: copies.w2c2)
        archive["W2Tp"] = try NDArray(shape: [sizes.hidden, sizes.output], int16: copies.w2Tp)
        return archive
    }

    /// The eight matrices of a checkpoint that stored the copies, else nil.
    static func copies(from archive: NPZArchive, weights: NBPWeights) throws -> NBPChipMatrices? {
        let names = ["W1c1", "W1c2", "W2c1", "W2c2", "W2Tp"]
        guard names.allSatisfy({ archive[$0] != nil }) else { return nil }
        var values: [String: [Int16]] = [:]
        for name in names {
            guard let array = archive[name], let ints = array.int16Values else {
                throw NBPError.malformedFile(path: "checkpoint", reason: "\(name) is not int16")
            }
            values[name] = ints
        }
        let matrices = NBPChipMatrices(
            w1: weights.w1, w1c1: values["W1c1"]!, w1c2: values["W1c2"]!, w2: weights.w2, w2c1: values["W2c1"]!,
            w2c2: values["W2c2"]!, w2Tp: values["W2Tp"]!, m: weights.m)
        let expected = [
            matrices.w1c1.count == weights.w1.count, matrices.w1c2.count == weights.w1.count,
            matrices.w2c1.count == weights.w2.count, matrices.w2c2.count == weights.w2.count,
            matrices.w2Tp.count == weights.w2.count,
        ]
        if expected.contains(false) {
            throw NBPError.checkpointSizeMismatch(checkpoint: weights.sizes, expected: weights.sizes)
        }
        return matrices
    }

    public static func write(_ weights: NBPWeights, to path: String) throws {
        try archive(weights).write(to: path, compression: .deflated)
    }

    public static func read(_ path: String) throws -> NBPWeights {
        guard FileManager.default.fileExists(atPath: path) else { throw NBPError.missingFile(path) }
        return try weights(from: try NPZArchive.read(from: path), path: path)
    }

    static func weights(from archive: NPZArchive, path: String = "checkpoint") throws -> NBPWeights {
        guard let w1 = archive["W1"], w1.shape.count == 2, let w2 = archive["W2"], w2.shape.count == 2 else {
            throw NBPError.malformedFile(
                path: path, reason: "it needs 2-D arrays W1 (hidden x input) and W2 (output x hidden)")
        }
        let sizes = NBPSizes(input: w1.shape[1], hidden: w1.shape[0], output: w2.shape[0])
        if w2.shape[1] != sizes.hidden {
            throw NBPError.malformedFile(
                path: path, reason: "W2 has \(w2.shape[1]) columns but W1 has \(sizes.hidden) hidden rows")
        }
        func ints(_ name: String, _ shape: [Int]) throws -> [Int16] {
            let array = try archive.array(name)
            let values: [Double]
            switch array.storage {
            case .int8(let v): values = v.map(Double.init)
            case .int16(let v): values = v.map(Double.init)
            case .int32(let v): values = v.map(Double.init)
            case .uint8(let v): values = v.map(Double.init)
            case .float32(let v): values = v.map(Double.init)
            case .float64(let v): values = v
            }
            return try values.map { value in
                guard let small = Int16(exactly: value) else {
                    throw NBPError.weightOutOfRange(
                        matrix: name, value: Int(exactly: value.rounded()) ?? Int.max, variant: .chip)
                }
                return small
            }
        }
        let m = archive["M"] != nil ? try ints("M", [sizes.hidden, sizes.output]) : nil
        let weights = try NBPWeights(
            sizes: sizes, w1: try ints("W1", w1.shape), w2: try ints("W2", w2.shape), m: m)
        try weights.validate(variant: .chip)
        return weights
    }
}
