// An nBP run directory as a chip description that other tools can read (docs/nir.md,
// Export). The inference circuit opens each layer for one step with a gate spike; the
// gate's current plus the layer's bias is a constant lift in that step, so a layer
// fires iff W x > threshold - lift, and the input layer x fires exactly when its input
// pixel does. The export keeps those facts and drops the gate chain: input -> W1 -> h1
// -> W2 -> o (every W_k of weights.npz, in order), memoryless compartments with the
// lift as bias. The lifts are read from the inference circuit, not restated here.

import Foundation
import NBP
import NeuroChip
import SynfireArrays
import SynfireIO

public enum NBPExport {
    /// W1, W2, ... of weights.npz (post x pre, int16), in order of k.
    public static func matrices(runDirectory: String) throws -> [(name: String, rows: Int, columns: Int, values: [Int])]
    {
        let path = (runDirectory as NSString).appendingPathComponent("weights.npz")
        guard FileManager.default.fileExists(atPath: path) else {
            throw NIRError.badSource(path: path, reason: "missing; pass an nBP run directory (synfire nbp train --out)")
        }
        let archive = try NPZArchive.read(from: path)
        let layers = archive.names.compactMap { name -> Int? in
            guard name.hasPrefix("W"), let k = Int(name.dropFirst()), k >= 1 else { return nil }
            return k
        }.sorted()
        guard !layers.isEmpty, layers == Array(1...layers.count) else {
            throw NIRError.badSource(path: path, reason: "holds no W1, W2, ... matrices in order (\(archive.names))")
        }
        return try layers.map { k in
            let array = try archive.array("W\(k)")
            guard array.shape.count == 2, let values = array.int16Values else {
                throw NIRError.badSource(path: path, reason: "W\(k) is not a 2-d int16 matrix")
            }
            return ("W\(k)", array.shape[0], array.shape[1], values.map(Int.init))
        }
    }

    /// The gate-free inference network of an nBP run.
    public static func network(runDirectory: String) throws -> NIRChipNetwork {
        try network(layers: try matrices(runDirectory: runDirectory))
    }

    /// The gate-free inference network of matrices W1, W2, ... (post x pre mantissas).
    public static func network(layers: [(name: String, rows: Int, columns: Int, values: [Int])]) throws
        -> NIRChipNetwork
    {
        guard !layers.isEmpty else { throw NIRError.badSource(path: "weights.npz", reason: "no weight matrices") }
        for k in 1..<layers.count where layers[k].columns != layers[k - 1].rows {
            throw NIRError.badSource(
                path: "weights.npz",
                reason:
                    "\(layers[k].name) has \(layers[k].columns) inputs but \(layers[k - 1].name) has \(layers[k - 1].rows) outputs"
            )
        }
        let sizes = NBPSizes(input: layers[0].columns, hidden: layers[0].rows, output: layers.last!.rows)
        let circuit = try NBPCircuit.inference(sizes: sizes)
        let zeros = [
            "W1": [Int](repeating: 0, count: sizes.input * sizes.hidden),
            "W2": [Int](repeating: 0, count: sizes.hidden * sizes.output),
        ]
        let reference = try circuit.networkDescription(matrices: zeros, plastic: false)
        let hiddenLift = try lift(of: "h1", in: reference, circuit: circuit)
        let outputLift = try lift(of: "o", in: reference, circuit: circuit)
        try checkInputLayer(reference, circuit: circuit)
        let threshold = reference.populations.first { $0.name == "h1" }!.vthMantissa
        var network = NetworkDescription()
        network.generators = [SpikeGeneratorSpec(name: "input", size: sizes.input)]
        var source = "input"
        for (k, layer) in layers.enumerated() {
            let last = k == layers.count - 1
            let name = last ? "o" : "h\(k + 1)"
            let (m, e) = Quantiser.bias(Double(last ? outputLift : hiddenLift))
            network.populations.append(
                PopulationSpec(name: name, size: layer.rows, biasMantissa: m, biasExponent: e, vthMantissa: threshold))
            network.connections.append(
                ConnectionSpec(
                    name: layer.name, source: source, target: name, pattern: .allToAll, weights: layer.values,
                    exponent: 0, signMode: .mixed))
            source = name
        }
        var interface = NIRChipInterface.default(for: network)
        interface.outputs = [NIRPort(name: "output", shape: [sizes.output], node: "o")]
        return NIRChipNetwork(network: network, interface: interface)
    }

    /// Bias plus the current of the gate connection into `population` (chip units).
    static func lift(of population: String, in network: NetworkDescription, circuit: NBPCircuit) throws -> Int {
        guard let p = network.populations.first(where: { $0.name == population }) else {
            throw NIRError.badSource(path: "nBP inference circuit", reason: "no population \(population)")
        }
        let gates = Set(circuit.populations.filter(\.isGate).map(\.name))
        let gate = network.connections.filter { $0.target == population && gates.contains($0.source) }
        guard gate.count == 1, let w = gate[0].weight else {
            throw NIRError.badSource(path: "nBP inference circuit", reason: "\(population) is not opened by one gate")
        }
        return (p.biasMantissa << p.biasExponent) + Quantiser.current(mantissa: w, exponent: gate[0].exponent)
    }

    /// x fires in its phase iff its pixel's generator fired: input + lift > vth >= lift.
    static func checkInputLayer(_ network: NetworkDescription, circuit: NBPCircuit) throws {
        let lift = try lift(of: "x", in: network, circuit: circuit)
        let vth = network.populations.first { $0.name == "x" }!.vthMantissa << 6
        guard let c = network.connections.first(where: { $0.source == "input" && $0.target == "x" }), let w = c.weight
        else { throw NIRError.badSource(path: "nBP inference circuit", reason: "no input -> x connection") }
        let drive = Quantiser.current(mantissa: w, exponent: c.exponent)
        guard lift <= vth, lift + drive > vth else {
            throw NIRError.badSource(
                path: "nBP inference circuit", reason: "x does not copy its input; the export would differ")
        }
    }
}
