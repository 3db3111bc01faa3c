// Step 2 of import: the inlined graph as a real-valued network of neuron nodes. Every
// chain of linear nodes (Linear, Affine, Scale, Conv, pooling, Flatten, Delay,
// pass-throughs) between two neuron nodes (or a graph input and a neuron node) is
// multiplied out into explicit synapses (pre, post, weight, delay in steps); the biases
// of Affine and Conv nodes become a constant input per neuron.

/// One synapse of the real-valued network.
struct RealSynapse: Equatable {
    var pre: Int32
    var post: Int32
    var weight: Double
    var delay: Int32
}

/// All synapses from one source node (graph input or neuron node) into one neuron node.
struct RealProjection {
    var source: Int
    var target: Int
    var synapses: [RealSynapse]
    /// Names of the weight-bearing nodes on the way (for the quantisation report).
    var via: Set<String>
}

/// A linear node as a sparse operator on flattened vectors: for every input element the
/// (output, weight) pairs it feeds, plus an optional delay per output and bias per output.
struct LinearOperator {
    var start: [Int]
    var outputs: [Int32]
    var weights: [Double]
    var delays: [Int32]?
    var bias: [Double]?
    var carriesWeights: Bool

    init(inputCount: Int, pairs: [(Int, Int, Double)], delays: [Int32]? = nil, bias: [Double]? = nil, weights: Bool) {
        var counts = [Int](repeating: 0, count: inputCount + 1)
        for p in pairs { counts[p.0 + 1] += 1 }
        for k in 0..<inputCount { counts[k + 1] += counts[k] }
        var fill = counts
        var outs = [Int32](repeating: 0, count: pairs.count)
        var ws = [Double](repeating: 0, count: pairs.count)
        for p in pairs {
            outs[fill[p.0]] = Int32(p.1)
            ws[fill[p.0]] = p.2
            fill[p.0] += 1
        }
        start = counts
        outputs = outs
        self.weights = ws
        self.delays = delays
        self.bias = bias
        carriesWeights = weights
    }

    static func identity(_ n: Int, delays: [Int32]? = nil) -> LinearOperator {
        LinearOperator(inputCount: n, pairs: (0..<n).map { ($0, $0, 1) }, delays: delays, weights: false)
    }

    func apply(_ synapses: [RealSynapse]) -> [RealSynapse] {
        var out: [RealSynapse] = []
        out.reserveCapacity(synapses.count)
        for s in synapses {
            let k = Int(s.post)
            for e in start[k]..<start[k + 1] {
                let j = outputs[e]
                out.append(
                    RealSynapse(
                        pre: s.pre, post: j, weight: s.weight * weights[e], delay: s.delay + (delays?[Int(j)] ?? 0)))
            }
        }
        return out
    }

    func apply(constant input: [Double], outputCount: Int) -> [Double] {
        var out = bias ?? [Double](repeating: 0, count: outputCount)
        for k in input.indices where input[k] != 0 {
            for e in start[k]..<start[k + 1] { out[Int(outputs[e])] += input[k] * weights[e] }
        }
        return out
    }
}

/// The neuron nodes, their incoming projections and constant inputs.
struct RealNetwork {
    var graph: FlatGraph
    var projections: [RealProjection] = []
    /// Constant input per neuron of every neuron node (nil: none).
    var constantInput: [Int: [Double]] = [:]
    var notes: [String] = []

    init(graph: FlatGraph, dt: Double) throws {
        self.graph = graph
        var operators: [Int: LinearOperator] = [:]
        for k in graph.nodes.indices where Self.isLinear(graph.nodes[k]) {
            operators[k] = try Self.linearOperator(graph, k, dt: dt, notes: &notes)
        }
        for k in graph.nodes.indices where graph.nodes[k].isGraphInput || graph.nodes[k].type.isNeuron {
            let n = graph.shapes[k].reduce(1, *)
            let start = (0..<n).map { RealSynapse(pre: Int32($0), post: Int32($0), weight: 1, delay: 0) }
            var merged: [Int: RealProjection] = [:]
            try expand(from: k, at: k, synapses: start, via: [], path: [], operators: operators, into: &merged)
            for target in merged.keys.sorted() {
                var p = merged[target]!
                p.synapses = Self.merge(p.synapses)
                projections.append(p)
            }
        }
        var memo: [Int: [Double]] = [:]
        for k in graph.nodes.indices where graph.nodes[k].type.isNeuron {
            let n = graph.shapes[k].reduce(1, *)
            var total = [Double](repeating: 0, count: n)
            for p in graph.predecessors[k] where operators[p] != nil {
                let c = try constant(p, operators: operators, memo: &memo, visiting: [])
                for j in 0..<n { total[j] += c[j] }
            }
            if total.contains(where: { $0 != 0 }) { constantInput[k] = total }
        }
    }

    static func isLinear(_ n: FlatNode) -> Bool {
        !n.type.isNeuron && !n.isGraphInput && !n.isGraphOutput
    }

    private func expand(
        from source: Int, at node: Int, synapses: [RealSynapse], via: Set<String>, path: [Int],
        operators: [Int: LinearOperator], into merged: inout [Int: RealProjection]
    ) throws {
        for next in graph.successors[node] {
            let n = graph.nodes[next]
            if n.type.isNeuron || n.isGraphOutput {
                if n.isGraphOutput {
                    guard via.isEmpty, synapses.allSatisfy({ $0.pre == $0.post && $0.weight == 1 && $0.delay == 0 })
                    else {
                        throw NIRError.unmappable(
                            node: n.name, field: "input",
                            reason:
                                "it reads '\(graph.nodes[node].name)', a continuous value; the chip sends only spikes, so end the graph with a neuron node"
                        )
                    }
                    continue
                }
                merged[next, default: RealProjection(source: source, target: next, synapses: [], via: [])]
                    .synapses += synapses
                merged[next]!.via.formUnion(via)
                continue
            }
            if path.contains(next) {
                let loop = (path.drop { $0 != next } + [next]).map { graph.nodes[$0].name }
                throw NIRError.unmappable(
                    node: n.name, field: "edges",
                    reason:
                        "the loop \(loop.joined(separator: " -> ")) has no neuron in it: an instantaneous cycle that no step delay breaks"
                )
            }
            let op = operators[next]!
            try expand(
                from: source, at: next, synapses: op.apply(synapses),
                via: op.carriesWeights ? via.union([n.name]) : via, path: path + [next], operators: operators,
                into: &merged)
        }
    }

    private func constant(
        _ k: Int, operators: [Int: LinearOperator], memo: inout [Int: [Double]], visiting: Set<Int>
    ) throws -> [Double] {
        if let known = memo[k] { return known }
        let inputCount = graph.predecessors[k].first.map { graph.shapes[$0].reduce(1, *) } ?? 0
        var input = [Double](repeating: 0, count: inputCount)
        for p in graph.predecessors[k] where operators[p] != nil && !visiting.contains(p) {
            let c = try constant(p, operators: operators, memo: &memo, visiting: visiting.union([k]))
            for j in c.indices where j < inputCount { input[j] += c[j] }
        }
        let value = operators[k]!.apply(constant: input, outputCount: graph.shapes[k].reduce(1, *))
        memo[k] = value
        return value
    }

    /// Sums synapses with the same (pre, post, delay) and drops those that sum to zero;
    /// the result is sorted by post, then pre.
    static func merge(_ synapses: [RealSynapse]) -> [RealSynapse] {
        let sorted = synapses.sorted { ($0.post, $0.pre, $0.delay) < ($1.post, $1.pre, $1.delay) }
        var out: [RealSynapse] = []
        for s in sorted {
            if let last = out.last, last.pre == s.pre, last.post == s.post, last.delay == s.delay {
                out[out.count - 1].weight += s.weight
            } else {
                out.append(s)
            }
        }
        return out.filter { $0.weight != 0 }
    }

    static func linearOperator(_ g: FlatGraph, _ k: Int, dt: Double, notes: inout [String]) throws -> LinearOperator {
        let n = g.nodes[k]
        let inputCount = g.predecessors[k].first.map { g.shapes[$0].reduce(1, *) } ?? g.shapes[k].reduce(1, *)
        let outputCount = g.shapes[k].reduce(1, *)
        let input = g.predecessors[k].first.map { g.shapes[$0] }
        switch n.type {
        case .affine, .linear:
            let w = try n.node.dataset("weight", node: n.name)
            let (rows, columns) = (w.shape[0], w.shape[1])
            var pairs: [(Int, Int, Double)] = []
            for j in 0..<rows {
                for i in 0..<columns where w.numbers[j * columns + i] != 0 {
                    pairs.append((i, j, w.numbers[j * columns + i]))
                }
            }
            let bias = n.type == .affine ? try n.node.perNeuron("bias", count: rows, node: n.name) : nil
            return LinearOperator(inputCount: columns, pairs: pairs, bias: bias, weights: true)
        case .scale:
            let s = try n.node.perNeuron("scale", count: outputCount, node: n.name)
            return LinearOperator(inputCount: outputCount, pairs: s.enumerated().map { ($0, $0, $1) }, weights: true)
        case .conv1d, .conv2d:
            let conv = try ConvGeometry(n.node, name: n.name, input: input)
            var pairs: [(Int, Int, Double)] = []
            conv.forEachSynapse { pairs.append(($0, $1, $2)) }
            let bias = conv.bias.contains { $0 != 0 } ? conv.biasPerOutput : nil
            return LinearOperator(inputCount: conv.inputCount, pairs: pairs, bias: bias, weights: true)
        case .sumPool2d, .avgPool2d:
            let pool = try PoolGeometry(n.node, name: n.name, input: input)
            var pairs: [(Int, Int, Double)] = []
            pool.forEachSynapse { pairs.append(($0, $1, $2)) }
            return LinearOperator(inputCount: inputCount, pairs: pairs, weights: pool.average)
        case .delay:
            let seconds = try n.node.perNeuron("delay", count: outputCount, node: n.name)
            let steps = try seconds.map { d -> Int32 in
                let s = d / dt
                guard d >= 0, abs(s - s.rounded()) <= 1e-6 * max(1, abs(s)) else {
                    throw NIRError.unmappable(
                        node: n.name, field: "delay",
                        reason: "\(d) s is not a whole number of steps of dt = \(dt) s; choose --dt to divide it")
                }
                return Int32(s.rounded())
            }
            return .identity(outputCount, delays: steps)
        default:
            // Flatten and the pass-through Input/Output of nested graphs.
            return .identity(outputCount)
        }
    }
}
