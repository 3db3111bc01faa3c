import Foundation
import NeuroChip
import Testing

@testable import SynfireNIR

@Suite struct ImportTests {
    @Test func lifLinearMapsToExactIntegers() throws {
        // dt 1e-4, tau 0.01, r 10: dv = 4096 * 0.01 = 41 (40.96), input gain b * r = 0.1.
        let result = try NIRImporter.importFile(path: try fixture("lif_linear"))
        let net = result.chip.network
        #expect(net.populations.count == 1)
        let p = net.populations[0]
        #expect(p.name == "lif" && p.size == 2 && p.du == 4096 && p.dv == 41)
        #expect(net.generators.map(\.name) == ["input"])
        #expect(net.connections.count == 1 && net.connections[0].pattern == .sparse)
        #expect(net.connections[0].pre == [0, 1, 1, 2] && net.connections[0].post == [0, 0, 1, 1])
        #expect(result.report.maxWeightRelError < 0.005)
        #expect(result.chip.interface.outputs == [NIRPort(name: "output", shape: [2], node: "lif")])
        #expect(result.chip.interface.dt == 1e-4)
    }

    @Test func sinabsStackComputesConvShapesItself() throws {
        // conv1: 3 x 2 kernel, padding (1, 0) on 10 x 10 -> 10 x 9 (nir 1.0.8 says otherwise).
        let result = try NIRImporter.importFile(path: try fixture("sinabs_cnn"), options: .init(dt: 1))
        let shapes = Dictionary(uniqueKeysWithValues: result.chip.interface.neurons.map { ($0.node, $0.shape) })
        #expect(shapes["iaf1"] == [4, 10, 9])
        #expect(shapes["iaf2"] == [4, 5, 4])
        #expect(shapes["iaf3"] == [5])
        #expect(result.compartments == 445)
        #expect(result.report.maxWeightRelError < 0.01)
    }

    @Test func rleakyNestedGraphKeepsItsRecurrentEdge() throws {
        let result = try NIRImporter.importFile(path: try fixture("rleaky"))
        let names = result.chip.network.connections.map(\.name)
        #expect(names.contains("rleaky.lif->rleaky.lif"))
        #expect(names.contains("input->rleaky.lif"))
        #expect(result.chip.interface.outputs.first?.node == "rleaky.lif")
    }

    @Test func olderFilesAreReadAndTheRelaxationIsReported() throws {
        let document = try NIRFile.read(path: try fixture("old_version"))
        #expect(document.version == "0.2.0")
        let result = try NIRImporter.convert(document)
        #expect(result.report.notes.contains { $0.contains("'out'") && $0.contains("type check") })
    }

    @Test func scalarParametersDelaysAndScale() throws {
        let result = try NIRImporter.importFile(path: try fixture("scalar_params"), options: .init(dt: 1e-3))
        let delayed = try #require(result.chip.network.connections.first { $0.target == "thr" })
        #expect(delayed.delay == 2)
        #expect(result.chip.network.populations.contains { $0.name == "if" && $0.dv == 0 })
    }

    @Test func affineBiasBecomesTheChipBias() throws {
        let result = try NIRImporter.importFile(path: try fixture("cubalif_affine"))
        let p = try #require(result.chip.network.populations.first)
        #expect(p.biasMantissa != 0)
        #expect(p.du == Quantiser.decay(1e-4 / 2e-3) && p.dv == Quantiser.decay(1e-4 / 1e-2))
        #expect(result.report.nodes.first { $0.node == "cuba" }?.biases != nil)
    }

    @Test func heterogeneousBiasesSplitANodeIntoPopulations() throws {
        var graph = Graphs.small()
        graph.nodes["w"] = NIRNode(
            type: .affine,
            parameters: ["weight": .float64([5, 0, 0, 5], shape: [2, 2]), "bias": .float64([0.1, 0.5])])
        let result = try NIRImporter.convert(NIRDocument(version: "1.0", graph: graph))
        #expect(result.chip.network.populations.map(\.name) == ["lif#0", "lif#1"])
        let placement = try #require(result.chip.interface.placement(of: "lif"))
        #expect(placement.elements == [[0], [1]])
    }

    @Test func conv1dAndIntegratorReadout() throws {
        // Conv1d 2 -> 3 channels, kernel 3, stride 2, padding 1 on length 10: length 5.
        let weights = (0..<18).map { Double($0 % 5) / 10 }
        let graph = NIRGraph(
            nodes: [
                "input": NIRNode(type: .input, parameters: ["shape": .int64([2, 10])]),
                "conv": NIRNode(
                    type: .conv1d,
                    parameters: [
                        "weight": .float64(weights, shape: [3, 2, 3]), "bias": .float64([0, 0, 0]),
                        "stride": .scalar(2), "padding": .scalar(1), "dilation": .scalar(1), "groups": .scalar(1),
                    ]),
                "acc": NIRNode(type: .integrator, parameters: ["r": .scalar(1000.0)]),
                "output": NIRNode(type: .output, parameters: ["shape": .int64([3, 5])]),
            ], edges: [NIREdge("input", "conv"), NIREdge("conv", "acc"), NIREdge("acc", "output")])
        let result = try NIRImporter.convert(NIRDocument(version: "1.0.8", graph: graph), options: .init(dt: 1e-3))
        #expect(result.chip.interface.placement(of: "acc")?.shape == [3, 5])
        #expect(result.graphNodes == 4)
        // Output 0 of channel 0 reads positions 0 and 1 of both channels (-1 is padding); the
        // weight on channel 1, position 1 is 0 and makes no synapse.
        let c = try #require(result.chip.network.connections.first)
        #expect(Set(zip(c.pre!, c.post!).filter { $0.1 == 0 }.map(\.0)) == [0, 1, 10])
        let run = try NIRRunner.run(result.chip, input: [Array(repeating: 1, count: 20)], steps: 2)
        // I integrates dt r x = the conv output; element 0: weights 0.1, 0.2 (channel 0) and
        // 0.4, 0.0 (channel 1) over inputs 0 and 1 -> 0.7.
        #expect(abs((run.traces["acc"]?[1][0] ?? 0) - 0.7) < 1e-3)
    }

    @Test func quantiserFollowsTheChipsWeightRule() {
        #expect(Quantiser.current(mantissa: 102, exponent: -2) == 1600)
        #expect(Quantiser.current(mantissa: -3, exponent: -7) == -64)
        #expect(Quantiser.current(mantissa: 130, exponent: 2) == 520 * 64)
        let (mode, e, m) = Quantiser.weights([520 * 64, 260 * 64])
        #expect(mode == .excitatory && Quantiser.current(mantissa: m[0], exponent: e) == 520 * 64)
        let (mixed, _, even) = Quantiser.weights([1000, -3000, 70000])
        #expect(mixed == .mixed && even.allSatisfy { $0 % 2 == 0 })
        let b = Quantiser.bias(-524288)
        #expect(b.mantissa << b.exponent == -524288)
    }
}
