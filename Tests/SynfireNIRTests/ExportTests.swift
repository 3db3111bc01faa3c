import Foundation
import NBP
import NeuroChip
import STESNN
import SynfireData
import Testing

@testable import SynfireNIR

@Suite struct ExportTests {
    /// Every pattern, both decays at 0, negative exponents, per-synapse delays, refractory,
    /// voltage limits, a learning rule, probes and a placement: nothing NIR cannot say is lost.
    static func everything() -> NIRChipNetwork {
        var net = NetworkDescription(seed: 99)
        net.generators = [SpikeGeneratorSpec(name: "in", size: 3, spikeTimes: [[1], [], [2, 4]])]
        net.populations = [
            PopulationSpec(
                name: "a", size: 3, du: 0, dv: 410, biasMantissa: -17, biasExponent: 5, vthMantissa: 300, refractory: 3),
            PopulationSpec(name: "b", size: 2, du: 1024, dv: 0, vthMantissa: 0, vmin: -1000, vmax: 90000),
        ]
        net.connections = [
            ConnectionSpec(
                name: "in->a", source: "in", target: "a", pattern: .oneToOne, weights: [3, 255, 0], exponent: -3,
                signMode: .excitatory),
            ConnectionSpec(
                name: "a->b", source: "a", target: "b", pattern: .allToAll, weights: [2, -4, 6, 8, -10, 12],
                exponent: 2, delay: 3),
            ConnectionSpec(
                name: "a->a", source: "a", target: "a", pattern: .sparse, weights: [-5, -255], exponent: 7,
                delays: [0, 5], signMode: .inhibitory, pre: [0, 2], post: [1, 1]),
            ConnectionSpec(
                name: "b->a", source: "b", target: "a", pattern: .oneToAll, weight: 100, exponent: 0,
                signMode: .excitatory),
            ConnectionSpec(
                name: "in->b", source: "in", target: "b", pattern: .allToAll, weights: [0, 2, 4, 6, 8, 10],
                learning: LearningSpec(rule: "dw = 2*x0*y0", epoch: 2)),
        ]
        net.probes = [ProbeSpec(name: "bv", kind: .v, target: "b")]
        net.mapping = CoreMappingSpec(newCorePerPopulation: false, maxCompartmentsPerCore: 512)
        var interface = NIRChipInterface.default(for: net)
        interface.dt = 2e-3
        return NIRChipNetwork(network: net, interface: interface)
    }

    @Test func descriptionRoundTripsIdentically() throws {
        let chip = Self.everything()
        _ = try ChipSimulator(chip.network)  // a valid description
        let path = try temporaryDirectory() + "/everything.nir"
        try NIRExporter.write(chip, to: path)
        let back = try NIRImporter.importFile(path: path)
        #expect(back.report.exact)
        #expect(back.chip == chip)
    }

    @Test(arguments: ["rleaky", "sinabs_cnn", "cubalif_affine"])
    func importedFixtureRoundTripsIdentically(_ name: String) throws {
        let imported = try NIRImporter.importFile(
            path: try fixture(name), options: .init(dt: name == "sinabs_cnn" ? 1 : nil))
        let path = try temporaryDirectory() + "/\(name).nir"
        try NIRExporter.write(imported.chip, to: path)
        let back = try NIRImporter.importFile(path: path)
        #expect(back.report.exact)
        #expect(back.chip == imported.chip)
    }

    @Test func editedParametersAreQuantisedAgainNotTrusted() throws {
        let chip = try NIRImporter.importFile(path: try fixture("rleaky")).chip
        var graph = try NIRExporter.graph(chip)
        graph.nodes["input->rleaky.lif"]!.parameters["weight"]!.numbers[0] += 1
        let back = try NIRImporter.convert(NIRDocument(version: "1.0.8", graph: graph))
        #expect(!back.report.exact)
    }

    @Test func nbpExportClassifiesTheEmbeddedTestSetAsBefore() throws {
        var generator = SystemRandomNumberGenerator()
        let weights = try NBPWeights.heNormal(sizes: .mnist, using: &generator)
        let layers = [
            ("W1", 400, 400, weights.w1.map(Int.init)), ("W2", 10, 400, weights.w2.map(Int.init)),
        ]
        let chip = try NBPExport.network(layers: layers)
        let path = try temporaryDirectory() + "/nbp.nir"
        try NIRExporter.write(chip, to: path)
        let imported = try NIRImporter.importFile(path: path)
        #expect(imported.chip == chip)
        let test = try NBPDatasets.load(
            .mnist, split: .test, dataDirectory: "/nonexistent", preprocessing: .standard(for: .mnist), limit: nil)
        let result = try NBPExportCheck.compare(
            engine: try NBPFastEngine(weights: weights, variant: .chip), chip: imported.chip, set: test.set,
            embedded: true)
        #expect(result.samples == test.set.count && result.samples > 0)
        #expect(result.mismatches == 0)
    }

    @Test func steMLPExportsAffineAndThresholdNodes() throws {
        let spec = try NetworkSpec(
            name: "tiny", inputFeatures: 4,
            layers: [.dense(inputs: 4, outputs: 3), .spike(units: 3), .dense(inputs: 3, outputs: 2)],
            neuron: IFNeuron(threshold: 1, carry: 0), outputThreshold: 0, initialisation: .heUniform)
        let json = """
            [{"layerIndex": 0, "weights": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], "biases": [0.5, 0, -0.5]},
             {"layerIndex": 2, "weights": [0, 0.5, 1, 1.5, 2, 2.5], "biases": [0, 1]}]
            """
        let blocks = try JSONDecoder().decode([ParameterBlock].self, from: Data(json.utf8))
        let graph = try STEExport.graph(spec: spec, parameters: blocks)
        #expect(graph.nodes["layer0"]?.type == .affine)
        #expect(graph.nodes["layer1"]?.type == .threshold)
        #expect(graph.nodes["readout"]?.type == .threshold)
        // STE stores [fanIn, fanOut]; NIR wants (outputs, inputs): w[o][i] = ste[i * 3 + o].
        let w = try #require(graph.nodes["layer0"]?.parameters["weight"])
        #expect(w.shape == [3, 4])
        let entry: Double = w.numbers[6]  // row 1, column 2
        #expect(entry == 7)
        let path = try temporaryDirectory() + "/ste.nir"
        try NIRFile.write(graph, to: path)
        let imported = try NIRImporter.importFile(path: path)
        #expect(imported.compartments == 3 + 2)
    }

    @Test func steConvolutionExportsConv2dAndFlatten() throws {
        let spec = try NetworkSpec(
            name: "conv", inputFeatures: 16,
            layers: [
                .convolution(height: 4, width: 4, channelsIn: 1, channelsOut: 2, kernel: 3), .spike(units: 8),
                .dense(inputs: 8, outputs: 2),
            ], neuron: IFNeuron(threshold: 1, carry: 0), outputThreshold: 0, initialisation: .heUniform)
        let json = """
            [{"layerIndex": 0, "weights": [\((0..<18).map { "\($0)" }.joined(separator: ", "))], "biases": [0, 1]},
             {"layerIndex": 2, "weights": [\((0..<16).map { "\($0)" }.joined(separator: ", "))], "biases": [0, 0]}]
            """
        let blocks = try JSONDecoder().decode([ParameterBlock].self, from: Data(json.utf8))
        let graph = try STEExport.graph(spec: spec, parameters: blocks)
        #expect(graph.nodes["layer0"]?.type == .conv2d && graph.nodes["layer2_flatten"]?.type == .flatten)
        // STE [ky, kx, in, out]: out 1, ky 0, kx 2 is index (0 * 3 + 2) * 2 + 1 = 5.
        let w = try #require(graph.nodes["layer0"]?.parameters["weight"])
        let entry: Double = w.numbers[(1 * 3 + 0) * 3 + 2]
        #expect(w.shape == [2, 1, 3, 3] && entry == 5)
        let path = try temporaryDirectory() + "/conv.nir"
        try NIRFile.write(graph, to: path)
        let imported = try NIRImporter.importFile(path: path)
        #expect(imported.chip.interface.placement(of: "layer1")?.shape == [2, 2, 2])
    }

    @Test func steMaxPoolingIsRefusedNamingTheLayer() throws {
        let spec = try NetworkSpec.standard(.cnn, mode: .di)
        let error = #expect(throws: NIRError.self) { try STEExport.graph(spec: spec, parameters: []) }
        #expect(error?.description.contains("layer1") == true)
    }

    @Test func channelMajorOrderMatchesNIRsFlatten() {
        // (y, x, c) storage of a 2 x 1 x 2 map: NIR position (c, y, x) = (1, 1, 0) is STE index 3.
        #expect(STEExport.channelMajorOrder(2, 1, 2) == [0, 2, 1, 3])
    }
}
