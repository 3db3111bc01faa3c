import Foundation
import SynfireArrays
import SynfireIO
import Testing

@testable import SynfireNIR

/// A fixture's path; a missing fixture fails the test that asks for it.
func fixture(_ name: String) throws -> String {
    let url = try #require(
        Bundle.module.url(forResource: name, withExtension: "nir", subdirectory: "Fixtures"),
        "fixture \(name).nir is missing; regenerate with python3 scripts/nir_fixtures.py")
    return url.path
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("synfire-nir-\(UUID())").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Small graphs built in Swift (what a framework would write).
enum Graphs {
    static func vector(_ values: [Double]) -> HDF5Dataset { .float64(values) }

    static func lif(_ n: Int, tau: Double = 0.01, threshold: Double = 1) -> NIRNode {
        NIRNode(
            type: .lif,
            parameters: [
                "tau": vector(Array(repeating: tau, count: n)), "r": vector(Array(repeating: 1, count: n)),
                "v_leak": vector(Array(repeating: 0, count: n)),
                "v_threshold": vector(Array(repeating: threshold, count: n)),
            ])
    }

    static func linear(_ rows: Int, _ columns: Int, _ values: [Double]) -> NIRNode {
        NIRNode(type: .linear, parameters: ["weight": .float64(values, shape: [rows, columns])])
    }

    static func io(_ type: NIRNodeType, _ n: Int) -> NIRNode {
        NIRNode(type: type, parameters: ["shape": .int64([n])])
    }

    /// input(2) -> w -> lif(2) -> output.
    static func small(lif node: NIRNode = lif(2)) -> NIRGraph {
        NIRGraph(
            nodes: [
                "input": io(.input, 2), "w": linear(2, 2, [5, 0, 0, 5]), "lif": node, "output": io(.output, 2),
            ],
            edges: [NIREdge("input", "w"), NIREdge("w", "lif"), NIREdge("lif", "output")])
    }
}

enum Spikes {
    /// Writes `spikes` (T x inputs) as SPIKES.npz with an int32 array.
    static func write(_ rows: [[Int]], to path: String) throws {
        let flat = rows.flatMap { $0.map { Int32($0) } }
        try NPZArchive([("spikes", try NDArray(shape: [rows.count, rows.first?.count ?? 0], int32: flat))])
            .write(to: path)
    }
}
