import Foundation
import NeuroChip
import Testing

@testable import EnergyModel

@Test func nbpPopulationsHoldHalfAMillionPlasticSynapses() {
    let demands = FirstPrinciples.nbpPopulations(
        mode: .training, inputs: 400, hidden: 400, outputs: 10)
    let plastic = demands.reduce(0) { $0 + $1.compartments * $1.plasticSynapsesPerCompartment }
    #expect(plastic == 500_000)  // energy-model.md §7.1
}

@Test func firstPrinciplesTrainingMatchesSpecArithmetic() throws {
    let input = FirstPrinciples.nbpDefaultInput(mode: .training)
    #expect(input.phases.count == 12)
    let estimate = FirstPrinciples.estimate(input, table: .davies2018)
    // §7.2: 500,000 swept x 12 steps x 120 pJ = 0.72 mJ, 1.22x the paper.
    #expect(close(estimate.energyByCategoryPJ.learning, 0.72e9))
    #expect(close(estimate.serialLearningNS, 6.0e6 * 6.1))
    #expect(estimate.energyPerSamplePJ > 0.72e9 && estimate.energyPerSamplePJ < 0.75e9)
    #expect(estimate.comparison.energyWithinTolerance)
    #expect(abs(estimate.comparison.energyRatio - 1.22) < 0.05)
    // Spread over ~80 cores as the authors did: ~0.4-0.5 ms of learning per sample.
    var spread = input
    spread.learningCores = 80
    let spreadEstimate = FirstPrinciples.estimate(spread, table: .davies2018)
    #expect(spreadEstimate.latencyByTermNS.coreWork > 0.38e6)
    #expect(spreadEstimate.latencyByTermNS.coreWork < 0.5e6)
}

@Test func firstPrinciplesInferenceIsMicrojoules() {
    let estimate = FirstPrinciples.estimate(
        FirstPrinciples.nbpDefaultInput(mode: .inference), table: .davies2018)
    #expect(estimate.stepsPerSample == 4)
    #expect(estimate.energyByCategoryPJ.learning == 0)
    // §7.2: order 1-3 µJ; forward synaptic ops 76 x 400 + 200 x 10.
    #expect(estimate.energyPerSamplePJ > 0.5e6 && estimate.energyPerSamplePJ < 3.75e6)
    #expect(estimate.energyByCategoryPJ.synaptic >= Double(76 * 400 + 200 * 10) * 23.6)
}

@Test func firstPrinciplesIsLinearInTheCounts() {
    let phase = ChipPhaseCounts(
        activeCompartments: 10, inactiveCompartments: 90, synapticOps: 1000,
        plasticSynapsesSwept: 2000, learningEpochs: 2, spikesGenerated: 5, messages: 5,
        hopsEastWest: 5, hopsNorthSouth: 0)
    let input = FirstPrinciplesInput(
        mode: .training, phases: [phase, phase], coresUsed: 4, tilesUsed: 1, learningCores: 2)
    let e = FirstPrinciples.estimate(input, table: .davies2018)
    let neuron: Double = 10 * 81 + 90 * 52
    let perPhase: Double = neuron + 1000 * 23.6 + 2000 * 120 + 5 * (1.7 + 3.0)
    #expect(close(e.energyPerSamplePJ, 2 * perPhase))
    // Busiest core: half of the sweep plus a quarter of the rest, then mesh and barrier.
    let other: Double = 10 * 8.4 + 90 * 5.3 + 1000 * 3.5
    let step: Double = 2000 * 6.1 / 2 + other / 4 + (2.1 + 4.1) + 113
    #expect(close(e.latencyPerSampleNS, 2 * step))
}

@Test func gapTermsNameTheTermThatDiffers() throws {
    // Learning concentrated on 5 cores: far slower than the paper -> the critical core.
    var slow = FirstPrinciples.nbpDefaultInput(mode: .training)
    slow.learningCores = 5
    let slowEstimate = FirstPrinciples.estimate(slow, table: .davies2018)
    #expect(!slowEstimate.comparison.latencyWithinTolerance)
    let load = try #require(slowEstimate.comparison.gapTerms.first { $0.name == "criticalCoreLoad" })
    #expect(close(try #require(load.estimateNS), slowEstimate.latencyPerSampleNS - 1.5e6))
    #expect(load.note.contains("100,000 plastic synapses on one core"))
    // Inference below the paper's energy: the static power that would close the gap.
    let inference = FirstPrinciples.estimate(
        FirstPrinciples.nbpDefaultInput(mode: .inference), table: .davies2018)
    let staticGap = try #require(inference.comparison.gapTerms.first { $0.name == "staticPower" })
    #expect(close(try #require(staticGap.estimatePJ), 2.5e6 - inference.energyPerSamplePJ))
    #expect(inference.comparison.gapTerms.contains { $0.name == "hostAndManagement" })
    #expect(inference.comparison.verdict.hasPrefix("GAP: "))
}
