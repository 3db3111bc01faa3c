// Step 1 of import: nested NIRGraphs are inlined (node `b` of subgraph `a` becomes `a.b`;
// the subgraph's own Input and Output nodes become pass-through nodes), edges are
// resolved to the inlined names, and every node's output shape is computed from the
// graph inputs (conv and pool shapes from kernel, stride, padding and dilation).

/// A node of the inlined graph.
struct FlatNode {
    var name: String
    var node: NIRNode
    /// An Input or Output of a nested graph: passes its input through.
    var isPassThrough: Bool
    var type: NIRNodeType { node.type }
    var isGraphInput: Bool { type == .input && !isPassThrough }
    var isGraphOutput: Bool { type == .output && !isPassThrough }
}

struct FlatGraph {
    /// Nodes in a stable order (file order: names sorted per level, depth first).
    var nodes: [FlatNode] = []
    var index: [String: Int] = [:]
    var edges: [NIREdge] = []
    var predecessors: [[Int]] = []
    var successors: [[Int]] = []
    /// Output shape of every node.
    var shapes: [[Int]] = []
    var relaxations: [String] = []

    init(_ graph: NIRGraph) throws {
        try inline(graph, prefix: "", outermost: true)
        predecessors = Array(repeating: [], count: nodes.count)
        successors = Array(repeating: [], count: nodes.count)
        for e in edges {
            let s = index[e.source]!
            let t = index[e.target]!
            successors[s].append(t)
            predecessors[t].append(s)
        }
        for (k, n) in nodes.enumerated() {
            if n.isGraphInput && !predecessors[k].isEmpty {
                throw NIRError.badEdge(node: n.name, reason: "an Input node receives an edge; inputs have no sources")
            }
            if n.isGraphOutput && !successors[k].isEmpty {
                throw NIRError.badEdge(node: n.name, reason: "an Output node sends an edge; outputs are sinks")
            }
            if !n.isGraphInput && predecessors[k].isEmpty {
                throw NIRError.badEdge(node: n.name, reason: "no edge reaches this node; connect it or remove it")
            }
        }
        guard nodes.contains(where: \.isGraphInput) else {
            throw NIRError.badEdge(node: "graph", reason: "the graph has no Input node")
        }
        try inferShapes()
    }

    private mutating func inline(_ graph: NIRGraph, prefix: String, outermost: Bool) throws {
        for name in graph.nodes.keys.sorted() {
            let node = graph.nodes[name]!
            if node.type == .graph, let sub = node.subgraph {
                try inline(sub, prefix: prefix + name + ".", outermost: false)
            } else {
                index[prefix + name] = nodes.count
                nodes.append(
                    FlatNode(
                        name: prefix + name, node: node,
                        isPassThrough: !outermost && (node.type == .input || node.type == .output)))
            }
        }
        for edge in graph.edges {
            let sources = try resolve(edge.source, in: graph, prefix: prefix, entering: false)
            let targets = try resolve(edge.target, in: graph, prefix: prefix, entering: true)
            for s in sources {
                for t in targets where !edges.contains(NIREdge(s, t)) { edges.append(NIREdge(s, t)) }
            }
        }
    }

    /// Inlined names an edge endpoint stands for: a subgraph means its Input nodes (edge
    /// target) or Output nodes (edge source); `sub.node` reaches inside.
    private func resolve(_ name: String, in graph: NIRGraph, prefix: String, entering: Bool) throws -> [String] {
        if let node = graph.nodes[name] {
            guard node.type == .graph, let sub = node.subgraph else { return [prefix + name] }
            let wanted: NIRNodeType = entering ? .input : .output
            let ends = sub.nodes.keys.sorted().filter { sub.nodes[$0]!.type == wanted }
            guard !ends.isEmpty else {
                throw NIRError.badEdge(
                    node: prefix + name, reason: "the subgraph has no \(wanted.rawValue) node for this edge")
            }
            return try ends.flatMap { try resolve($0, in: sub, prefix: prefix + name + ".", entering: entering) }
        }
        if let dot = name.firstIndex(of: "."), let sub = graph.nodes[String(name[..<dot])]?.subgraph {
            let rest = String(name[name.index(after: dot)...])
            return try resolve(rest, in: sub, prefix: prefix + String(name[..<dot]) + ".", entering: entering)
        }
        throw NIRError.badEdge(node: prefix + name, reason: "the edge names a node that does not exist")
    }

    // MARK: shapes

    private mutating func inferShapes() throws {
        var known = [[Int]?](repeating: nil, count: nodes.count)
        var changed = true
        while changed {
            changed = false
            for k in nodes.indices where known[k] == nil {
                let incoming = predecessors[k].compactMap { known[$0] }
                if nodes[k].isGraphInput || !incoming.isEmpty {
                    known[k] = try outputShape(k, input: incoming.first)
                    changed = true
                }
            }
            if !changed, let k = nodes.indices.first(where: { known[$0] == nil && nodes[$0].type.isNeuron }) {
                // A loop reached from no input yet: neurons know their own size.
                known[k] = try outputShape(k, input: nil)
                changed = true
            }
        }
        if let k = known.firstIndex(where: { $0 == nil }) {
            throw NIRError.badEdge(node: nodes[k].name, reason: "no path from an Input reaches this node")
        }
        shapes = known.map { $0! }
        for k in nodes.indices {
            let counts = Set(predecessors[k].map { shapes[$0].reduce(1, *) })
            if counts.count > 1 {
                throw NIRError.badEdge(
                    node: nodes[k].name, reason: "its inputs have different sizes \(counts.sorted()); they must match")
            }
        }
    }

    private mutating func outputShape(_ k: Int, input: [Int]?) throws -> [Int] {
        let n = nodes[k]
        let name = n.name
        let node = n.node
        let inputCount = input?.reduce(1, *)
        func expect(_ count: Int, _ field: String) throws {
            if let inputCount, inputCount != count {
                throw NIRError.badField(
                    node: name, field: field,
                    reason: "expects \(count) inputs but the incoming edge carries \(inputCount) (shape \(input!))")
            }
        }
        switch n.type {
        case .input:
            if n.isPassThrough, let input { return input }
            guard let shape = node.writtenShape("shape") ?? node.declaredInputShape else {
                throw NIRError.missingField(node: name, field: "shape")
            }
            return shape
        case .output:
            let declared = node.writtenShape("shape") ?? node.declaredOutputShape
            guard let input else { return declared ?? [] }
            if let declared, declared != input {
                guard declared.reduce(1, *) == input.reduce(1, *) else {
                    throw NIRError.badField(
                        node: name, field: "shape", reason: "declares \(declared) but receives \(input)")
                }
                relaxations.append(
                    "node '\(name)': shape \(declared) differs from the incoming \(input) (same size); nir.read's type check would refuse this"
                )
            }
            return input
        case .affine, .linear:
            let w = try node.dataset("weight", node: name)
            guard w.shape.count == 2 else {
                throw NIRError.badField(
                    node: name, field: "weight", reason: "shape \(w.shape); expected (outputs, inputs)")
            }
            try expect(w.shape[1], "weight")
            if n.type == .affine {
                let b = try node.dataset("bias", node: name)
                guard b.count == w.shape[0] || b.count == 1 else {
                    throw NIRError.badField(
                        node: name, field: "bias", reason: "has \(b.count) entries for \(w.shape[0]) outputs")
                }
            }
            return [w.shape[0]]
        case .conv1d, .conv2d:
            return try ConvGeometry(node, name: name, input: input).outputShape
        case .sumPool2d, .avgPool2d:
            return try PoolGeometry(node, name: name, input: input).outputShape
        case .flatten:
            guard let input else { throw NIRError.badEdge(node: name, reason: "Flatten without an input") }
            return try flattenShape(input, node: node, name: name)
        case .graph:
            throw NIRError.badField(node: name, field: "type", reason: "a NIRGraph without nodes")
        default:
            // Neurons, Scale, Threshold, Delay: one value per element of their parameters.
            let field = n.type.requiredFields.first!
            let own = try node.dataset(field, node: name)
            if let input {
                guard own.count == 1 || own.count == inputCount! else {
                    throw NIRError.badField(
                        node: name, field: field,
                        reason:
                            "shape \(own.shape) does not match the incoming \(input); give a scalar, (1,) or (\(inputCount!),)"
                    )
                }
                return input
            }
            return own.shape.isEmpty ? [1] : own.shape
        }
    }

    private func flattenShape(_ input: [Int], node: NIRNode, name: String) throws -> [Int] {
        let rank = input.count
        var start = try node.integers("start_dim", rank: 1, node: name, default: 1)[0]
        var end = try node.integers("end_dim", rank: 1, node: name, default: -1)[0]
        // NIR counts dimensions without the batch; exporters differ on whether start_dim
        // 1 means the first or second of them. Flattening never reorders elements, so
        // out-of-range values are clamped to the input's rank.
        if start < 0 { start += rank }
        if end < 0 { end += rank }
        start = min(max(start, 0), max(rank - 1, 0))
        end = min(max(end, start), max(rank - 1, 0))
        guard rank > 0 else { return input }
        return Array(input[..<start]) + [input[start...end].reduce(1, *)] + Array(input[(end + 1)...])
    }
}
