// The nBP export's promise, checked: the exported file, imported back and run on the
// chip simulator, fires the same output units as the run's own inference (NBPFastEngine)
// on every test sample. The imported network is memoryless, so samples go through it
// back to back, one per step; sample i's outputs appear `layers` steps later.

import Foundation
import NBP
import NeuroChip
import SynfireData
import SynfireIO

public struct NBPExportCheckResult: Sendable, Equatable {
    public var samples: Int
    public var mismatches: Int
    public var firstMismatch: Int?
    /// Fraction of samples whose first firing output is the label (nBP's argmax rule).
    public var accuracy: Double
    public var embeddedData: Bool
}

public enum NBPExportCheck {
    /// Compares over the run's test set (its dataset, binarisation threshold and variant).
    public static func verify(
        runDirectory: String, nirFile: String, dataDirectory: String?, limit: Int?
    ) throws -> NBPExportCheckResult {
        let run = try RunDirectory.open(at: runDirectory)
        let weights = try NBPWeightsFile.read((runDirectory as NSString).appendingPathComponent("weights.npz"))
        let name = try NBPDatasets.name(run.config.datasets.first?.name ?? "mnist")
        var threshold = 129
        if case .int(let t)? = run.config.parameters["threshold"] { threshold = t }
        var variant = NBPVariant.chip
        if case .string(let v)? = run.config.parameters["variant"], let parsed = NBPVariant(rawValue: v) {
            variant = parsed
        }
        let test = try NBPDatasets.load(
            name, split: .test, dataDirectory: dataDirectory,
            preprocessing: .standard(for: name, threshold: threshold), limit: limit)
        let engine = try NBPFastEngine(weights: weights, variant: variant)
        let imported = try NIRImporter.importFile(path: nirFile)
        return try compare(
            engine: engine, chip: imported.chip, set: test.set, embedded: test.raw.isEmbedded)
    }

    /// Output bits of `engine` against the chip run of `chip` on every sample of `set`.
    public static func compare(
        engine: NBPFastEngine, chip: NIRChipNetwork, set: NBPEncodedSet, embedded: Bool
    ) throws -> NBPExportCheckResult {
        let expected = NBPTrainer.outputs(engine: engine, set: set)
        let layers = chip.network.connections.count
        var input = [[Int]](repeating: [], count: set.count)
        for sample in 0..<set.count {
            var row = [Int](repeating: 0, count: set.inputCount)
            for k in set.offsets[sample]..<set.offsets[sample + 1] { row[Int(set.indices[k])] = 1 }
            input[sample] = row
        }
        let result = try NIRRunner.run(chip, input: input, steps: set.count + layers)
        var mismatches = 0
        var first: Int?
        var correct = 0
        for sample in 0..<set.count {
            let row = result.spikes[sample + layers]
            var bits: UInt64 = 0
            for (k, fired) in row.enumerated() where fired != 0 && k < 64 { bits |= 1 << UInt64(k) }
            if bits != expected[sample] {
                mismatches += 1
                if first == nil { first = sample }
            }
            if (row.firstIndex(of: 1) ?? 0) == Int(set.labels[sample]) { correct += 1 }
        }
        return NBPExportCheckResult(
            samples: set.count, mismatches: mismatches, firstMismatch: first,
            accuracy: Double(correct) / Double(max(set.count, 1)), embeddedData: embedded)
    }
}
