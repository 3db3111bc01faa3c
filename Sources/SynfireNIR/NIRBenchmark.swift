// `synfire bench nir`: an N-MNIST-style CNN as a NIR graph (2 x 34 x 34 event input,
// three Conv2d + IF layers, an Affine read-out; about 100k neurons), written to a file,
// imported and run for one inference. Weights are random
// and seeded, scaled so every layer fires a few percent of the time.

import EnergyModel
import Foundation
import NeuroChip
import SynfireRandom

public struct NIRBenchmarkResult: Codable, Sendable {
    public var neurons: Int
    public var synapses: Int
    public var steps: Int
    public var writeSeconds: Double
    public var importSeconds: Double
    /// Building the simulator from the description (once per network).
    public var buildSeconds: Double
    /// The 300 steps of one inference, input injection and output reading included.
    public var secondsPerInference: Double
    public var inputSpikes: Int
    public var spikesPerLayer: [String: Int]
    public var synapticOps: Int
    public var energyPerInferenceJ: Double
    public var latencyPerInferenceS: Double
    public var coresUsed: Int
}

public enum NIRBenchmark {
    static func normal<G: RandomNumberGenerator>(_ n: Int, mean: Double, std: Double, _ g: inout G) -> [Double] {
        (0..<n).map { _ in
            let u = Double.random(in: Double.ulpOfOne..<1, using: &g)
            let v = Double.random(in: 0..<1, using: &g)
            return mean + std * (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
    }

    /// The CNN: conv 2->60 (34 x 34), conv 60->30 stride 2 (17 x 17), conv 30->60 (17 x 17),
    /// the last two in 6 groups, IF after each, Affine to 10 IF outputs; 95,380 neurons,
    /// about 3M synapses, which fit one chip's 128 cores and their synapse memory.
    /// dt = 1e-3, r = 1 / dt.
    public static func cnn(seed: UInt64) -> NIRGraph {
        var g = SplitMix64(seed: seed)
        func conv(_ cin: Int, _ cout: Int, _ size: Int, stride: Int, groups: Int, mean: Double, std: Double) -> NIRNode
        {
            NIRNode(
                type: .conv2d,
                parameters: [
                    "weight": .float32(
                        normal(cout * cin / groups * 9, mean: mean, std: std, &g), shape: [cout, cin / groups, 3, 3]),
                    "bias": .float32(Array(repeating: 0, count: cout)), "stride": .int64([stride, stride]),
                    "padding": .int64([1, 1]), "dilation": .int64([1, 1]), "groups": .scalar(groups),
                    "input_shape": .int64([size, size]),
                ])
        }
        func neurons(_ shape: [Int]) -> NIRNode {
            let n = shape.reduce(1, *)
            return NIRNode(
                type: .integrateAndFire,
                parameters: [
                    "r": .float32(Array(repeating: 1000, count: n), shape: shape),
                    "v_threshold": .float32(Array(repeating: 1, count: n), shape: shape),
                    "v_reset": .float32(Array(repeating: 0, count: n), shape: shape),
                ])
        }
        let nodes: [(String, NIRNode)] = [
            ("input", NIRNode(type: .input, parameters: ["shape": .int64([2, 34, 34])])),
            ("conv1", conv(2, 60, 34, stride: 1, groups: 1, mean: 0.12, std: 0.2)), ("if1", neurons([60, 34, 34])),
            ("conv2", conv(60, 30, 34, stride: 2, groups: 6, mean: 0.03, std: 0.1)), ("if2", neurons([30, 17, 17])),
            ("conv3", conv(30, 60, 17, stride: 1, groups: 6, mean: 0.05, std: 0.15)), ("if3", neurons([60, 17, 17])),
            ("flatten", NIRNode(type: .flatten, parameters: ["start_dim": .scalar(0), "end_dim": .scalar(-1)])),
            (
                "fc",
                NIRNode(
                    type: .affine,
                    parameters: [
                        "weight": .float32(normal(10 * 17340, mean: 0.002, std: 0.02, &g), shape: [10, 17340]),
                        "bias": .float32(Array(repeating: 0, count: 10)),
                    ])
            ),
            ("if4", neurons([10])), ("output", NIRNode(type: .output, parameters: ["shape": .int64([10])])),
        ]
        var graph = NIRGraph(metadata: HDF5Group(["dt": .dataset(.scalar(1e-3))]))
        for (name, node) in nodes { graph.nodes[name] = node }
        graph.edges = zip(nodes.dropLast(), nodes.dropFirst()).map { NIREdge($0.0, $1.0) }
        return graph
    }

    /// Writes, imports and runs the CNN for `steps` steps on random events at `rate`.
    public static func run(steps: Int = 300, rate: Double = 0.02, seed: UInt64 = 1, directory: String) throws
        -> NIRBenchmarkResult
    {
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        let path = (directory as NSString).appendingPathComponent("nmnist-cnn.nir")
        let graph = cnn(seed: seed)
        let write = try clock.measure { try NIRFile.write(graph, to: path) }
        var imported: NIRImportResult?
        let load = try clock.measure { imported = try NIRImporter.importFile(path: path) }
        let chip = imported!.chip
        var g = SplitMix64(seed: seed ^ 0x5EED)
        let input = (0..<steps).map { _ in (0..<2312).map { _ in Double.random(in: 0..<1, using: &g) < rate ? 1 : 0 } }
        var result: NIRRunResult?
        let run = try clock.measure { result = try NIRRunner.run(chip, input: input, steps: steps) }
        let r = result!
        let report = EnergyReport(counts: r.energyCounts, table: .davies2018)
        let summary = report.summary(.inference)
        var perLayer: [String: Int] = [:]
        for (name, counts) in zip(chip.network.populations.map(\.name), r.totals.perPopulation) {
            perLayer[name, default: 0] += counts.spikesGenerated
        }
        return NIRBenchmarkResult(
            neurons: imported!.compartments, synapses: imported!.synapses, steps: steps,
            writeSeconds: seconds(write), importSeconds: seconds(load), buildSeconds: seconds(run) - r.stepSeconds,
            secondsPerInference: r.stepSeconds, inputSpikes: input.joined().reduce(0, +), spikesPerLayer: perLayer,
            synapticOps: r.totals.chip.synapticOps, energyPerInferenceJ: (summary?.meanEnergyPJ ?? 0) * 1e-12,
            latencyPerInferenceS: (summary?.meanLatencyNS ?? 0) * 1e-9, coresUsed: report.chip.coresUsed)
    }
}
