import Foundation
import Testing

@testable import SynfireNIR

/// Every way a graph can be wrong gets an error naming the node and the field.
@Suite struct BadInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var graph: NIRGraph
        var node: String
        var field: String
        var options = NIRImportOptions()
        var testDescription: String { label }
    }

    static let cases: [Case] = {
        var missing = Graphs.lif(2)
        missing.parameters["v_threshold"] = nil
        var wrongShape = Graphs.lif(2)
        wrongShape.parameters["tau"] = .float64([0.01, 0.01, 0.01])
        var nan = Graphs.lif(2)
        nan.parameters["r"] = .float64([1, .nan])
        var infinite = Graphs.lif(2)
        infinite.parameters["v_leak"] = .float64([0, .infinity])
        var loop = Graphs.small()
        loop.nodes["w2"] = Graphs.linear(2, 2, [1, 0, 0, 1])
        loop.edges += [NIREdge("w", "w2"), NIREdge("w2", "w")]
        var badWeight = Graphs.small()
        badWeight.nodes["w"] = Graphs.linear(2, 3, [1, 0, 0, 1, 0, 0])
        var delay = Graphs.small()
        delay.nodes["d"] = NIRNode(type: .delay, parameters: ["delay": .float64([1.5e-4, 1.5e-4])])
        delay.edges = [NIREdge("input", "w"), NIREdge("w", "d"), NIREdge("d", "lif"), NIREdge("lif", "output")]
        var continuous = Graphs.small()
        continuous.nodes["w3"] = Graphs.linear(2, 2, [1, 0, 0, 1])
        continuous.edges = [NIREdge("input", "w"), NIREdge("w", "lif"), NIREdge("lif", "w3"), NIREdge("w3", "output")]
        return [
            Case(label: "missing dataset", graph: Graphs.small(lif: missing), node: "lif", field: "v_threshold"),
            Case(label: "wrong shape", graph: Graphs.small(lif: wrongShape), node: "lif", field: "tau"),
            Case(label: "NaN", graph: Graphs.small(lif: nan), node: "lif", field: "r"),
            Case(label: "infinity", graph: Graphs.small(lif: infinite), node: "lif", field: "v_leak"),
            Case(label: "loop without a neuron", graph: loop, node: "w", field: "edges"),
            Case(label: "weights of the wrong width", graph: badWeight, node: "w", field: "weight"),
            Case(label: "delay not a whole number of steps", graph: delay, node: "d", field: "delay"),
            Case(label: "output reads a continuous value", graph: continuous, node: "output", field: "input"),
            Case(
                label: "time constant shorter than dt", graph: Graphs.small(lif: Graphs.lif(2, tau: 1e-5)), node: "lif",
                field: "tau"),
        ]
    }()

    @Test(arguments: cases)
    func refusedNamingNodeAndField(_ c: Case) throws {
        // Through a real file: the writer, the reader and the importer all take part.
        let path = try temporaryDirectory() + "/bad.nir"
        try NIRFile.write(c.graph, to: path)
        let error = #expect(throws: NIRError.self) { try NIRImporter.importFile(path: path, options: c.options) }
        let text = error?.description ?? ""
        #expect(text.contains("'\(c.node)'"), "\(text)")
        #expect(text.contains(c.field), "\(text)")
    }

    @Test func unknownNodeTypeIsNamed() throws {
        var root = HDF5Group()
        root["version"] = .dataset(.string("1.0.8"))
        var graph = NIRFile.group(of: NIRNode(type: .graph, subgraph: Graphs.small()))
        var nodes = try #require(graph.group("nodes"))
        var odd = try #require(nodes.group("lif"))
        odd["type"] = .dataset(.string("Spiky"))
        nodes["lif"] = .group(odd)
        graph["nodes"] = .group(nodes)
        root["node"] = .group(graph)
        let path = try temporaryDirectory() + "/unknown.nir"
        try HDF5Writer.write(root, to: path)
        let error = #expect(throws: NIRError.self) { try NIRFile.read(path: path) }
        #expect(error == .unknownNodeType(node: "lif", type: "Spiky"))
    }

    @Test func inputSpikesOfTheWrongShapeAreRefused() throws {
        let dir = try temporaryDirectory()
        let path = dir + "/in.npz"
        try Spikes.write([[0, 1, 1]], to: path)
        let error = #expect(throws: NIRError.self) { try NIRRunner.loadInput(path: path, inputs: 2) }
        #expect(error?.description.contains("(T, 2)") == true)
        try Spikes.write([[0, -1]], to: path)
        #expect(throws: NIRError.self) { try NIRRunner.loadInput(path: path, inputs: 2) }
    }
}
