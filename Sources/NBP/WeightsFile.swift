import Foundation
import SynfireArrays
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
        do {
            try sizes.validate()
        } catch {
            throw NBPError.badWeightFile(path: path, reason: "\(error)")
        }
        if w2.shape[1] != sizes.hidden {
            throw NBPError.malformedFile(
                path: path, reason: "W2 has \(w2.shape[1]) columns but W1 has \(sizes.hidden) hidden rows")
        }
        if let m = archive["M"], m.shape != [sizes.hidden, sizes.output] {
            throw NBPError.badWeightFile(
                path: path,
                reason: "M has shape \(m.shape) but must be hidden x output = [\(sizes.hidden), \(sizes.output)] "
                    + "(the negative backward copy, -W2 transposed); store it in that layout or leave M out")
        }
        let m = archive["M"] != nil ? try weightValues(archive, "M", path: path) : nil
        let weights = try NBPWeights(
            sizes: sizes, w1: try weightValues(archive, "W1", path: path),
            w2: try weightValues(archive, "W2", path: path), m: m)
        do {
            try weights.validate(variant: .chip)
        } catch {
            throw NBPError.badWeightFile(path: path, reason: "\(error)")
        }
        return weights
    }

    /// The entries of `name` as chip weights: integers in the chip variant's range; the
    /// first that is not (NaN, a fraction, out of range) is named with its index and the file.
    static func weightValues(_ archive: NPZArchive, _ name: String, path: String) throws -> [Int16] {
        let array = try archive.array(name)
        let values = array.storage.doubles
        let range = Double(NBPVariant.chip.weightMin)...Double(NBPVariant.chip.weightMax)
        var result = [Int16]()
        result.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            guard range.contains(value), let small = Int16(exactly: value) else {
                throw NBPError.badWeightFile(
                    path: path,
                    reason: "\(name)[\(index)] = \(value) is not an integer in [\(NBPVariant.chip.weightMin), "
                        + "\(NBPVariant.chip.weightMax)] — weights must be chip units; round and clip them before importing")
            }
            result.append(small)
        }
        return result
    }
}
