import EnergyModel
import Foundation
import NeuroChip
import SynfireData
import Testing

@testable import NBP

// nBP's published figures, the first-principles input built from the circuit's facts, and
// the phase names of per-step reports (docs/energy.md, "Comparison with the nBP paper").

@Test func nbpPopulationsHoldHalfAMillionPlasticSynapses() {
    let demands = NBPFirstPrinciples.populations(
        mode: .training, inputs: 400, hidden: 400, outputs: 10)
    let plastic = demands.reduce(0) { $0 + $1.compartments * $1.plasticSynapsesPerCompartment }
    #expect(plastic == 500_000)  // the paper's training circuit
}

@Test func firstPrinciplesTrainingMatchesTheDocumentedArithmetic() throws {
    let input = NBPFirstPrinciples.defaultInput(mode: .training)
    #expect(input.phases.count == 12)
    let estimate = NBPFirstPrinciples.estimate(input, table: .davies2018)
    // 500,000 swept x 12 steps x 120 pJ = 0.72 mJ, 1.22x the paper.
    #expect(close(estimate.energyByCategoryPJ.learning, 0.72e9))
    #expect(close(estimate.serialLearningNS, 6.0e6 * 6.1))
    #expect(estimate.energyPerSamplePJ > 0.72e9 && estimate.energyPerSamplePJ < 0.75e9)
    #expect(estimate.comparison.energyWithinTolerance)
    #expect(abs(estimate.comparison.energyRatio - 1.22) < 0.05)
    // Spread over ~80 cores as the authors did: ~0.4-0.5 ms of learning per sample.
    var spread = input
    spread.learningCores = 80
    let spreadEstimate = NBPFirstPrinciples.estimate(spread, table: .davies2018)
    #expect(spreadEstimate.latencyByTermNS.coreWork > 0.38e6)
    #expect(spreadEstimate.latencyByTermNS.coreWork < 0.5e6)
}

@Test func firstPrinciplesInferenceIsMicrojoules() {
    let estimate = NBPFirstPrinciples.estimate(
        NBPFirstPrinciples.defaultInput(mode: .inference), table: .davies2018)
    #expect(estimate.stepsPerSample == 4)
    #expect(estimate.energyByCategoryPJ.learning == 0)
    // order 1-3 µJ; forward synaptic ops 76 x 400 + 200 x 10.
    #expect(estimate.energyPerSamplePJ > 0.5e6 && estimate.energyPerSamplePJ < 3.75e6)
    #expect(estimate.energyByCategoryPJ.synaptic >= Double(76 * 400 + 200 * 10) * 23.6)
}

@Test func gapTermsNameTheTermThatDiffers() throws {
    // Learning concentrated on 5 cores: far slower than the paper -> the critical core.
    var slow = NBPFirstPrinciples.defaultInput(mode: .training)
    slow.learningCores = 5
    let slowEstimate = NBPFirstPrinciples.estimate(slow, table: .davies2018)
    #expect(!slowEstimate.comparison.latencyWithinTolerance)
    let load = try #require(slowEstimate.comparison.gapTerms.first { $0.name == "criticalCoreLoad" })
    #expect(close(try #require(load.estimateNS), slowEstimate.latencyPerSampleNS - 1.5e6))
    #expect(load.note.contains("100,000 plastic synapses on one core"))
    // Inference below the paper's energy: the static power that would close the gap.
    let inference = NBPFirstPrinciples.estimate(
        NBPFirstPrinciples.defaultInput(mode: .inference), table: .davies2018)
    let staticGap = try #require(inference.comparison.gapTerms.first { $0.name == "staticPower" })
    #expect(close(try #require(staticGap.estimatePJ), 2.5e6 - inference.energyPerSamplePJ))
    #expect(inference.comparison.gapTerms.contains { $0.name == "hostAndManagement" })
    #expect(inference.comparison.verdict.hasPrefix("GAP: "))
}

@Test func perStepNamesTheNBPPhases() throws {
    // A 12-step training sample and a 4-step inference sample with the nBP reference.
    let placement = CoreAllocation(
        populations: [PopulationPlacement(name: "x", cores: [CoreShare(core: 0, count: 4)])],
        cores: [CoreLoad(core: 0, compartments: 4)])
    var recorder = EnergyCountsRecorder(placement: placement, stepsPerSample: [.training: 12, .inference: 4])
    for k in 0..<12 {
        recorder.record(
            [
                CoreCounts(
                    core: 0, counts: CoreStepCounts(activeCompartments: 1, inactiveCompartments: 3, synapticOps: k))
            ],
            mode: .training, stepInSample: k)
    }
    for k in 0..<4 {
        recorder.record(
            [CoreCounts(core: 0, counts: CoreStepCounts(activeCompartments: 4))], mode: .inference, stepInSample: k)
    }
    let counts = recorder.counts(description: "nbp-shaped", reference: "nbp")
    let report = EnergyReport(counts: counts, table: .davies2018, reference: NBPEnergyReference(), includePerStep: true)
    let training = try #require(report.perStep?["training"])
    #expect(training.count == 12)
    #expect(training[1].label == "phase 1: x fires (input layer)")
    #expect(training[7].label?.contains("W1 += 2") == true)
    #expect(report.perStep?["inference"]?.map(\.label) == NBPEnergyReference().stepLabels(mode: .inference, stepsPerSample: 4))
    #expect(report.perStepText.contains("phase 11: W1 -= 2"))
    // With --reference none the labels are dropped (they describe the nBP circuit).
    let unlabelled = EnergyReport(counts: counts, table: .davies2018, reference: nil, includePerStep: true)
    #expect(unlabelled.perStep?["training"]?.allSatisfy { $0.label == nil } == true)
}

func close(_ a: Double, _ b: Double, relative: Double = 1e-9) -> Bool {
    abs(a - b) <= relative * max(abs(a), abs(b), 1e-300)
}

@Test func reportOfAChipRunComparesWithThePaper() throws {
    // The counts of a small chip run name the nBP figures; the report resolves them.
    let set = try BitIdentityTests.smallSet(count: 6)
    var generator = SeededGenerator(seed: 3)
    let weights = try NBPWeights.heNormal(
        sizes: NBPSizes(input: set.inputCount, hidden: 12, output: 10), using: &generator)
    let chip = try NBPChipEngine(weights: weights)
    try chip.recordEnergyCounts()
    for index in 0..<set.count { _ = chip.train(set.sample(index)) }
    _ = NBPTrainer.evaluate(engine: chip, set: set)
    let counts = try #require(
        EnergyCounts.combining(training: chip.energyCounts.training, inference: chip.energyCounts.inference))
    #expect(counts.reference.map(NBPEnergyReference.matches) == true)
    let text = EnergyReport(counts: counts, table: .davies2018, reference: NBPEnergyReference()).text
    #expect(text.contains("Reference nBP Table 1 (training)"))
    #expect(text.contains("GAP:"))
}

@Test func stepLabelsFollowTheDepth() throws {
    // One hidden layer: the paper's 12 phases; two: 21, with W2's update and the carry of
    // h2's error into h1 by W2Tp and M2.
    let reference = NBPEnergyReference()
    let one = try #require(reference.stepLabels(mode: .training, stepsPerSample: 12))
    #expect(one[5] == "phase 5: W2, W2Tp += 2; M += 2 (reward)")
    #expect(one[0] == "phase 12/0: input spikes sent; outputs cleared")
    let two = try #require(reference.stepLabels(mode: .training, stepsPerSample: 21))
    #expect(two.count == 21)
    #expect(two[3] == "phase 3: hidden h2, hm2, hp2; h1 stored")
    #expect(two[6] == "phase 6: W3, W3Tp += 2; M += 2 (reward)")
    #expect(two[8] == "phase 8: W2 += 2 (reward); error stored")
    #expect(two[14] == "phase 14: W2Tp += 2; M2 += 2 (reward)")
    #expect(two[20] == "phase 20: W1 -= 2")
    #expect(reference.stepLabels(mode: .inference, stepsPerSample: 5)?.last == "phase 4: output o")
    #expect(reference.stepLabels(mode: .training, stepsPerSample: 13) == nil)
}
