import NeuroChip
import Testing

@testable import NBP

@Suite("nBP circuit on the NeuroChip simulator against the golden vectors")
struct ChipEngineGoldenTests {
    @Test("golden: the chip circuit reproduces W1, W2, M after every sample and the chip_spikes raster")
    func goldenChipCircuit() throws {
        let golden = try NBPGolden.load()
        let engine = try NBPChipEngine(weights: golden.initialWeights())
        var raster: [Int: [String: [Int]]] = [:]
        engine.spikeObserver = { step, spikes in
            if !spikes.isEmpty { raster[step] = spikes }
        }
        let fast = try NBPFastEngine(weights: golden.initialWeights(), variant: .chip)
        for (index, expected) in golden.chip.enumerated() {
            let active = NBPFastEngine.activeIndices(golden.inputs[index])
            _ = active.withUnsafeBufferPointer { engine.train(active: $0, label: golden.labels[index]) }
            _ = fast.train(input: golden.inputs[index], label: golden.labels[index])
            let matrices = try engine.chipMatrices()
            #expect(matrices.w1 == expected.W1_after.flatMap { $0 }, "sample \(index): W1")
            #expect(matrices.w2 == expected.W2_after.flatMap { $0 }, "sample \(index): W2")
            #expect(matrices.m == expected.M_after.flatMap { $0 }, "sample \(index): M")
            #expect(matrices.differences(from: NBPChipMatrices(weights: fast.weights)) == [], "sample \(index)")
        }
        // Every step the golden file lists, population by population (indices sorted).
        #expect(!golden.chipSpikes.isEmpty)
        for (step, populations) in golden.chipSpikes.sorted(by: { $0.key < $1.key }) {
            let observed = raster[step] ?? [:]
            #expect(observed == populations, "step \(step)")
        }
        // Steps the file covers must not show extra activity either.
        let covered = golden.chipSpikes.keys
        for step in (covered.min() ?? 0)...(covered.max() ?? 0) where golden.chipSpikes[step] == nil {
            #expect(raster[step] == nil, "step \(step) has spikes the golden raster does not list")
        }
        #expect(engine.gateViolations == 0, "\(engine.violationsByPopulation)")
    }
}
