// The files of a chip run (`synfire chip run --out DIR`, docs/neurochip.md "Run output"):
// probes as .npz (or JSON) and the per-core counters as JSON, each written atomically
// (temporary file, then rename), so a reader never sees a partial file.

import Foundation
import SynfireArrays

/// How probes are written.
public enum ProbeFormat: String, CaseIterable, Sendable {
    /// `probes.npz`: per probe NAME, `NAME.steps` (int32, the sampled steps) and either
    /// `NAME.offsets` + `NAME.indices` (spikes: the indices fired at sample k are
    /// `indices[offsets[k] ..< offsets[k + 1]]`) or `NAME.values` (u, v, weights: one row
    /// per sample), all int32.
    case npz
    /// `probes.json`: the `ProbeRecord` list (name, kind, target, steps, data).
    case json

    public var fileName: String { self == .npz ? "probes.npz" : "probes.json" }
}

public enum RunOutput {
    public static let countersFile = "counters.json"

    /// Writes the probes and `counters.json` into `directory` (created if needed).
    /// Returns the paths written.
    @discardableResult
    public static func write(_ chip: ChipSimulator, to directory: String, probes format: ProbeFormat) throws
        -> [String]
    {
        try AtomicFile.createDirectory(directory)
        let probes = directory + "/" + format.fileName
        switch format {
        case .npz:
            try probeArchive(chip.probeRecords).write(to: probes)
        case .json:
            try AtomicFile.write(data: jsonData(chip.probeRecords), to: probes)
        }
        let counters = directory + "/" + countersFile
        try AtomicFile.write(data: countersJSON(chip), to: counters)
        return [probes, counters]
    }

    /// Probe records as arrays (see `ProbeFormat.npz`).
    public static func probeArchive(_ records: [ProbeRecord]) throws -> NPZArchive {
        var arrays: [(String, NDArray)] = []
        for record in records {
            arrays.append((record.name + ".steps", try NDArray(shape: [record.steps.count], int32: int32(record.steps))))
            if record.kind == .spikes {
                var offsets: [Int32] = [0]
                var indices: [Int32] = []
                for sample in record.data {
                    indices += int32(sample)
                    offsets.append(Int32(indices.count))
                }
                arrays.append((record.name + ".offsets", try NDArray(shape: [offsets.count], int32: offsets)))
                arrays.append((record.name + ".indices", try NDArray(shape: [indices.count], int32: indices)))
            } else {
                let width = record.data.first?.count ?? 0
                let values = record.data.flatMap { int32($0) }
                arrays.append(
                    (record.name + ".values", try NDArray(shape: [record.data.count, width], int32: values)))
            }
        }
        return NPZArchive(arrays)
    }

    /// Today's probes.json layout: the records, keys sorted.
    public static func jsonData(_ records: [ProbeRecord]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(records)
    }

    /// Totals of every used core, keyed by the core's number.
    public static func countersJSON(_ chip: ChipSimulator) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let perCore = Dictionary(
            uniqueKeysWithValues: chip.coreMap.usedCores.map { (String($0), chip.totals.perCore[$0]) })
        return try encoder.encode(perCore)
    }

    private static func int32(_ values: [Int]) -> [Int32] { values.map { Int32(truncatingIfNeeded: $0) } }
}
