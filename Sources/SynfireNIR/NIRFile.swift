// NIR's HDF5 layout (what nir.write produces): a `version` string and a `node` group
// holding the top NIRGraph; every node group has a `type` string and its parameters as
// datasets; a NIRGraph has `nodes` (one group per node) and `edges` (N x 2 strings);
// `metadata` groups are free-form. Older exports add `input_type` / `output_type`
// groups; those shapes are kept as hints.

import Foundation

public enum NIRFile {
    /// Version string written into files.
    public static let writtenVersion = "1.0.8"

    public static func read(path: String) throws -> NIRDocument {
        let root: HDF5Group
        do { root = try HDF5Reader.read(path: path) } catch HDF5Error.cannotOpen {
            throw NIRError.notNIR(path: path, reason: "it is not a readable HDF5 file (missing, truncated or corrupt)")
        } catch HDF5Error.unreadable(_, let object, let reason) {
            throw NIRError.notNIR(path: path, reason: "'\(object)' cannot be read (\(reason)); the file is damaged")
        }
        guard let top = root.group("node") else {
            throw NIRError.notNIR(path: path, reason: "it has no 'node' group")
        }
        var relaxations: [String] = []
        let version = root.dataset("version")?.strings.first
        if version == nil { relaxations.append("the file has no version string; read as NIR 1.0") }
        let node = try parseNode(top, name: "node", relaxations: &relaxations)
        guard node.type == .graph, let graph = node.subgraph else {
            throw NIRError.notNIR(path: path, reason: "its top node is a \(node.type.rawValue), not a NIRGraph")
        }
        return NIRDocument(version: version, graph: graph, relaxations: relaxations)
    }

    static func parseNode(_ group: HDF5Group, name: String, relaxations: inout [String]) throws -> NIRNode {
        guard let typeName = group.dataset("type")?.strings.first else {
            throw NIRError.missingField(node: name, field: "type")
        }
        guard let type = NIRNodeType(rawValue: typeName) else {
            throw NIRError.unknownNodeType(node: name, type: typeName)
        }
        var node = NIRNode(type: type, metadata: group.group("metadata") ?? HDF5Group())
        for field in type.requiredFields where group.children[field] == nil {
            throw NIRError.missingField(node: name, field: field)
        }
        let known = Set(type.requiredFields + type.optionalFields + ["type", "metadata"])
        for field in group.sortedNames where !known.contains(field) {
            relaxations.append("node '\(name)': ignored field '\(field)', which \(type.rawValue) does not define")
        }
        for (field, child) in group.children where field != "type" {
            guard case .dataset(let d) = child else { continue }
            if !d.isString, let bad = d.numbers.first(where: { !$0.isFinite }) {
                throw NIRError.badField(
                    node: name, field: field, reason: "holds \(bad); parameters must be finite numbers")
            }
            node.parameters[field] = d
        }
        node.declaredInputShape = shape(in: group.group("input_type"))
        node.declaredOutputShape = shape(in: group.group("output_type"))
        if type == .graph {
            node.subgraph = try parseGraph(group, name: name, relaxations: &relaxations)
            node.parameters["edges"] = nil
        }
        return node
    }

    /// The single shape of an `input_type` / `output_type` group (older files).
    static func shape(in group: HDF5Group?) -> [Int]? {
        guard let group, group.children.count == 1, let d = group.dataset(group.sortedNames[0]), !d.isString
        else { return nil }
        return d.numbers.map { Int($0) }
    }

    static func parseGraph(_ group: HDF5Group, name: String, relaxations: inout [String]) throws -> NIRGraph {
        guard let nodesGroup = group.group("nodes") else { throw NIRError.missingField(node: name, field: "nodes") }
        var graph = NIRGraph(metadata: group.group("metadata") ?? HDF5Group())
        for child in nodesGroup.sortedNames {
            guard let g = nodesGroup.group(child) else {
                throw NIRError.badField(node: name, field: "nodes/\(child)", reason: "is a dataset, not a node group")
            }
            graph.nodes[child] = try parseNode(g, name: qualified(name, child), relaxations: &relaxations)
        }
        guard let edges = group.dataset("edges") else { throw NIRError.missingField(node: name, field: "edges") }
        if edges.count > 0 {
            guard edges.isString, edges.shape.count == 2, edges.shape[1] == 2 else {
                throw NIRError.badField(
                    node: name, field: "edges",
                    reason: "shape \(edges.shape) of \(edges.element.rawValue); expected N x 2 node names")
            }
            for k in 0..<edges.shape[0] {
                graph.edges.append(NIREdge(edges.strings[2 * k], edges.strings[2 * k + 1]))
            }
        }
        return graph
    }

    static func qualified(_ parent: String, _ child: String) -> String {
        parent == "node" ? child : parent + "." + child
    }

    // MARK: writing

    /// Writes `graph` in nir.write's layout (atomically).
    public static func write(_ graph: NIRGraph, to path: String) throws {
        var root = HDF5Group()
        root["version"] = .dataset(.string(writtenVersion))
        root["node"] = .group(group(of: NIRNode(type: .graph, metadata: graph.metadata, subgraph: graph)))
        try HDF5Writer.write(root, to: path)
    }

    static func group(of node: NIRNode) -> HDF5Group {
        var g = HDF5Group()
        g["type"] = .dataset(.string(node.type.rawValue))
        for (field, value) in node.parameters { g[field] = .dataset(value) }
        if !node.metadata.children.isEmpty { g["metadata"] = .group(node.metadata) }
        if let sub = node.subgraph {
            var nodes = HDF5Group()
            for (name, child) in sub.nodes { nodes[name] = .group(group(of: child)) }
            g["nodes"] = .group(nodes)
            g["edges"] = .dataset(
                HDF5Dataset(
                    shape: sub.edges.isEmpty ? [0] : [sub.edges.count, 2], element: .string,
                    strings: sub.edges.flatMap { [$0.source, $0.target] }))
        }
        return g
    }
}
