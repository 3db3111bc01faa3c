// IOBenchmark: throughput of SynfireIO's file paths, for `synfire bench io`.
//
// API
//   let result = try IOBenchmark.run(directory: tmp, elements: 4_000_000, repeats: 3)
//   result.figures  // [String: Double]: npz write/read MB/s (stored, deflated),
//                   // checkpoint save+load seconds, PNG+SVG seconds for a learning curve
//
// Best of `repeats` runs; files go to `directory` and are removed afterwards.

import Foundation
import SynfireArrays

public enum IOBenchmark {
    public struct Result: Sendable {
        public var figures: [String: Double]
    }

    public static func run(directory: String, elements: Int, repeats: Int) throws -> Result {
        try AtomicFile.createDirectory(directory)
        // Weight-like data: smooth values with noise, which deflate compresses only mildly.
        var state: UInt64 = 0x5EED
        let values: [Float] = (0..<elements).map { i in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return sinf(Float(i) * 0.001) + Float(state >> 40) / Float(1 << 24) * 0.01
        }
        let archive = NPZArchive([("w", .vector(.float32(values)))])
        let megabytes = Double(elements * 4) / 1e6
        var figures: [String: Double] = ["megabytes": megabytes]

        func best(_ body: () throws -> Void) rethrows -> Double {
            var fastest = Double.infinity
            for _ in 0..<max(1, repeats) {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return fastest
        }

        for compression in NPZCompression.allCases {
            let path = directory + "/bench-\(compression.rawValue).npz"
            let encode = try best { _ = try archive.encoded(compression: compression) }
            let write = try best { try archive.write(to: path, compression: compression) }
            figures["npz_\(compression.rawValue)_encode_MBps"] = megabytes / encode
            let read = try best { _ = try NPZArchive.read(from: path) }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            figures["npz_\(compression.rawValue)_write_MBps"] = megabytes / write
            figures["npz_\(compression.rawValue)_read_MBps"] = megabytes / read
            figures["npz_\(compression.rawValue)_file_MB"] = Double(size) / 1e6
            try? FileManager.default.removeItem(atPath: path)
        }

        let runPath = directory + "/bench-run-\(getpid())"
        try? FileManager.default.removeItem(atPath: runPath)
        let run = try RunDirectory.create(
            at: runPath, config: RunConfig(command: "bench io", seed: 1, parameters: [:]))
        let state1 = TrainingState(
            epoch: 0, sampleIndex: 0, rngState: [1, 2, 3, 4], arrays: archive)
        figures["checkpoint_save_seconds"] = try best { try run.saveCheckpoint(state1) }
        figures["checkpoint_load_seconds"] = try best { _ = try run.loadCheckpoint() }
        try? FileManager.default.removeItem(atPath: runPath)

        let plot = LearningCurvePlot(
            title: "benchmark",
            series: [.init(name: "train", values: (0..<50).map { 0.5 + Double($0) / 120 })],
            target: .init(value: 0.9, label: "target"))
        figures["plot_png_seconds"] = best { _ = plot.pngData() }
        figures["plot_svg_seconds"] = best { _ = plot.svgText() }
        return Result(figures: figures)
    }
}
