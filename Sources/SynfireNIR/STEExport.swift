// An STE run directory (DI mode) as a NIR graph (docs/nir.md, Export). A DI neuron
// clears its membrane every step and spikes when this step's input reaches θ: that is
// NIR's Threshold node, not an IF node (an IF keeps its membrane between steps). Dense
// layers become Affine nodes (weights transposed to (outputs, inputs)), convolutions
// Conv2d nodes in NIR's (channels, height, width) layout; the dense layer after a
// convolution gets its input columns reordered from Synfire's height x width x channels
// to NIR's channels x height x width. Max pooling has no NIR node and is refused.

import Foundation
import STESNN
import SynfireIO

public enum STEExport {
    public static func graph(runDirectory: String) throws -> NIRGraph {
        let (directory, options) = try STERunDirectory.open(at: runDirectory)
        let spec = try options.networkSpec()
        let network = try ModelArchive.load(spec: spec, from: directory.file("weights.npz"))
        return try graph(spec: spec, parameters: network.parameters)
    }

    public static func graph(spec: NetworkSpec, parameters: [ParameterBlock]) throws -> NIRGraph {
        guard spec.neuron.carry == 0 else {
            throw NIRError.unmappable(
                node: spec.name, field: "mode", reason: "only DI networks (membrane cleared every step) export")
        }
        if let k = spec.layers.firstIndex(where: { if case .maxPool = $0 { return true } else { return false } }) {
            throw NIRError.unmappable(
                node: "layer\(k)", field: "maxPool",
                reason: "NIR has no max-pooling node; export an architecture without it")
        }
        let blocks = Dictionary(uniqueKeysWithValues: parameters.map { ($0.layerIndex, $0) })
        func block(_ index: Int) throws -> ParameterBlock {
            guard let b = blocks[index] else {
                throw NIRError.missingField(node: "layer\(index)", field: "weights")
            }
            return b
        }
        var graph = NIRGraph()
        var last = "input"
        var shape = [spec.inputFeatures]
        var spatial: (height: Int, width: Int, channels: Int)?
        if case .convolution(let h, let w, let c, _, _)? = spec.layers.first {
            shape = [c, h, w]
            spatial = (h, w, c)
        }
        graph.nodes["input"] = NIRNode(type: .input, parameters: ["shape": .int64(shape)])
        func add(_ name: String, _ node: NIRNode) {
            graph.nodes[name] = node
            graph.edges.append(NIREdge(last, name))
            last = name
        }
        for (index, layer) in spec.layers.enumerated() {
            let name = "layer\(index)"
            switch layer {
            case .dropout, .maxPool: continue
            case .spike(let units):
                add(
                    name,
                    NIRNode(
                        type: .threshold,
                        parameters: [
                            "threshold": .float64(Array(repeating: Double(spec.neuron.threshold), count: units))
                        ]))
            case .dense(let inputs, let outputs):
                if spatial != nil {
                    add(
                        name + "_flatten",
                        NIRNode(
                            type: .flatten,
                            parameters: ["start_dim": .scalar(0), "end_dim": .scalar(-1), "input_type": .int64(shape)]))
                }
                let order = spatial.map { channelMajorOrder($0.height, $0.width, $0.channels) } ?? Array(0..<inputs)
                add(name, affine(try block(index), inputs: inputs, outputs: outputs, order: order))
                spatial = nil
                shape = [outputs]
            case .convolution(let h, let w, let ci, let co, let k):
                add(
                    name, convolution(try block(index), height: h, width: w, channelsIn: ci, channelsOut: co, kernel: k)
                )
                shape = [co, h - k + 1, w - k + 1]
                spatial = (h - k + 1, w - k + 1, co)
            }
        }
        let outputs = spec.outputFeatures
        add(
            "readout",
            NIRNode(
                type: .threshold,
                parameters: ["threshold": .float64(Array(repeating: Double(spec.outputThreshold), count: outputs))]))
        add("output", NIRNode(type: .output, parameters: ["shape": .int64([outputs])]))
        graph.metadata = HDF5Group([
            "synfire_source": .dataset(.string("ste \(spec.name), DI")),
            "synfire_firing_rule": .dataset(
                .string("Synfire's DI inference fires at u >= threshold; NIR's Threshold compares u > threshold")),
        ])
        return graph
    }

    /// A dense layer: STE's [fanIn, fanOut] weights as NIR's (outputs, inputs), input
    /// column i taken from STE input `order[i]`.
    static func affine(_ block: ParameterBlock, inputs: Int, outputs: Int, order: [Int]) -> NIRNode {
        var weight = [Double](repeating: 0, count: inputs * outputs)
        for i in 0..<inputs {
            for o in 0..<outputs { weight[o * inputs + i] = Double(block.weights[order[i] * outputs + o]) }
        }
        return NIRNode(
            type: .affine,
            parameters: [
                "weight": .float32(weight, shape: [outputs, inputs]), "bias": .float32(block.biases.map(Double.init)),
            ])
    }

    /// A valid, stride-1 convolution: STE's [k, k, in, out] weights as NIR's (out, in, k, k).
    static func convolution(
        _ block: ParameterBlock, height: Int, width: Int, channelsIn ci: Int, channelsOut co: Int, kernel k: Int
    ) -> NIRNode {
        var weight = [Double](repeating: 0, count: k * k * ci * co)
        for ky in 0..<k {
            for kx in 0..<k {
                for c in 0..<ci {
                    for o in 0..<co {
                        weight[((o * ci + c) * k + ky) * k + kx] = Double(
                            block.weights[((ky * k + kx) * ci + c) * co + o])
                    }
                }
            }
        }
        return NIRNode(
            type: .conv2d,
            parameters: [
                "weight": .float32(weight, shape: [co, ci, k, k]), "bias": .float32(block.biases.map(Double.init)),
                "stride": .int64([1, 1]), "padding": .int64([0, 0]), "dilation": .int64([1, 1]), "groups": .scalar(1),
                "input_shape": .int64([height, width]),
            ])
    }

    /// For NIR's (c, y, x) flattening: the Synfire (y, x, c) index of each position.
    static func channelMajorOrder(_ h: Int, _ w: Int, _ c: Int) -> [Int] {
        var order = [Int](repeating: 0, count: h * w * c)
        for ch in 0..<c {
            for y in 0..<h {
                for x in 0..<w { order[(ch * h + y) * w + x] = (y * w + x) * c + ch }
            }
        }
        return order
    }
}
