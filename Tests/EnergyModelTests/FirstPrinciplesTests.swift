import Foundation
import NeuroChip
import Testing

@testable import EnergyModel

@Test func firstPrinciplesIsLinearInTheCounts() {
    let phase = ChipPhaseCounts(
        activeCompartments: 10, inactiveCompartments: 90, synapticOps: 1000,
        plasticSynapsesSwept: 2000, learningEpochs: 2, spikesGenerated: 5, messages: 5,
        hopsEastWest: 5, hopsNorthSouth: 0)
    let input = FirstPrinciplesInput(
        mode: .training, phases: [phase, phase], coresUsed: 4, tilesUsed: 1, learningCores: 2)
    let e = FirstPrinciples.estimate(input, table: .davies2018, reference: NoReference())
    let neuron: Double = 10 * 81 + 90 * 52
    let perPhase: Double = neuron + 1000 * 23.6 + 2000 * 120 + 5 * (1.7 + 3.0)
    #expect(close(e.energyPerSamplePJ, 2 * perPhase))
    // Busiest core: half of the sweep plus a quarter of the rest, then mesh and barrier.
    let other: Double = 10 * 8.4 + 90 * 5.3 + 1000 * 3.5
    let step: Double = 2000 * 6.1 / 2 + other / 4 + (2.1 + 4.1) + 113
    #expect(close(e.latencyPerSampleNS, 2 * step))
}

/// Figures of a run that was never published: the estimate's arithmetic does not depend on them.
struct NoReference: EnergyReference {
    var name: String { "none" }
    func compare(_ summary: ModeSummary, table: CostTable) -> ReferenceComparison {
        ReferenceComparison(
            reference: name, mode: summary.mode, paper: (summary.meanEnergyPJ, summary.meanLatencyNS),
            model: (summary.meanEnergyPJ, summary.meanLatencyNS), tolerance: 1, gapTerms: [])
    }
    func stepLabels(mode: RunMode, stepsPerSample: Int) -> [String]? { nil }
}
