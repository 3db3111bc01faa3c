import Foundation
import NeuroChip
import SynfireArrays
import SynfireData
import SynfireIO

/// The readers that take bytes from outside, each as one entry point for libFuzzer
/// (`scripts/fuzz`) and for the corpus replay of `swift test`, so both exercise exactly
/// the same code. A reader may reject its input with an error (that is its job); it must
/// never trap, hang or allocate without bound (docs/robustness.md).
public enum FuzzTarget: String, CaseIterable, Sendable {
    case idx, gzip, csv, npz, network, rule, runconfig

    /// Feeds `bytes` to the reader; returns whether it accepted them.
    @discardableResult
    public func run(_ bytes: [UInt8]) -> Bool {
        do {
            try feed(bytes)
            return true
        } catch {
            // Touch the message too: building it must not trap either.
            _ = "\(error)"
            return false
        }
    }

    private func feed(_ bytes: [UInt8]) throws {
        let path = "fuzz-input." + rawValue
        switch self {
        case .idx:
            let array = try IDXReader.parse(
                bytes, path: path, expectedMagic: [IDXReader.imagesMagic, IDXReader.labelsMagic])
            precondition(array.values.count == array.shape.reduce(1, *), "IDX payload does not match its shape")
        case .gzip:
            _ = try Gzip.decompress(bytes, path: path, limit: 1 << 24)
        case .csv:
            // The first byte picks a small row width so that valid rows are reachable.
            guard let first = bytes.first else { return }
            let table = try CSVReader.parse(Array(bytes.dropFirst()), path: path, pixelsPerRow: 1 + Int(first % 8))
            precondition(table.pixels.count == table.labels.count * table.pixelsPerRow, "CSV table is ragged")
        case .npz:
            let archive = try NPZArchive(bytes: bytes, path: path)
            for name in archive.names { _ = try archive.array(name) }
        case .network:
            let network = try NetworkDescriptionReader.decode(Data(bytes), file: path)
            try network.checkRun(steps: 16)
            // Compiling allocates every synapse; skip descriptions that opt out of the
            // chip's synaptic-memory check (they may legally hold 2^28 synapses).
            if !network.mapping.ignoreSynapticMemory { _ = try ChipSimulator(network) }
        case .rule:
            let set = try LearningRuleParser.parseSet(String(decoding: bytes, as: UTF8.self))
            // The normalized form must parse to the same rules.
            let reparsed = try LearningRuleParser.parseSet(set.normalized)
            precondition(reparsed == set, "normalized rule '\(set.normalized)' parses differently")
        case .runconfig:
            // One input, two readers: config.json and metrics.jsonl content.
            _ = try? RunConfig.decode(Data(bytes), file: "config.json")
            let metrics = try RunDirectory.parseMetrics(bytes, file: "metrics.jsonl")
            _ = LearningCurvePlot(metrics: metrics, title: "fuzz")
        }
    }
}
