import Foundation
import NeuroChip
import Testing

@testable import EnergyModel

/// A generator drives population `a` one-to-one; `a` feeds `b` through a plastic
/// all-to-all connection; `b` is forced onto a second, distant core.
func bridgeNetwork() -> NetworkDescription {
    var net = NetworkDescription(seed: 3)
    net.populations = [
        PopulationSpec(name: "a", size: 6, du: 4096, dv: 4096, vthMantissa: 100, refractory: 1),
        PopulationSpec(name: "b", size: 4, du: 4096, dv: 4096, vthMantissa: 100, refractory: 1),
    ]
    net.generators = [SpikeGeneratorSpec(name: "in", size: 6)]
    net.connections = [
        ConnectionSpec(
            name: "drive", source: "in", target: "a", pattern: .oneToOne, weight: 255, exponent: 7,
            signMode: .excitatory),
        ConnectionSpec(
            name: "W", source: "a", target: "b", pattern: .allToAll,
            weights: Array(repeating: 254, count: 24), exponent: 7, signMode: .mixed,
            learning: LearningSpec(rule: "dw = 2*x0*y0", epoch: 1)),
    ]
    net.mapping = CoreMappingSpec(placement: [
        "a": [CorePlacement(core: 0, count: 6)], "b": [CorePlacement(core: 40, count: 4)],
    ])
    return net
}

@Test func placementFromTheSimulator() throws {
    let chip = try ChipSimulator(bridgeNetwork())
    let allocation = CoreAllocation(coreMap: chip.coreMap, network: chip.network)
    #expect(
        allocation.cores == [
            CoreLoad(core: 0, compartments: 6, fixedSynapses: 6, plasticSynapses: 0),
            CoreLoad(core: 40, compartments: 4, fixedSynapses: 0, plasticSynapses: 24),
        ])
    #expect(allocation.populations.map(\.name) == ["a", "b"])
    #expect(allocation.tilesUsed(CostTable.davies2018.chip) == 2)
}

@Test func simulatorCountersFeedTheReport() throws {
    let chip = try ChipSimulator(bridgeNetwork())
    var recorder = EnergyCountsRecorder(simulator: chip, stepsPerSample: [.training: 3])
    for step in 0..<6 {
        if step % 3 == 0 { try chip.inject(generator: "in", channels: [0, 2, 5]) }
        chip.step()
        recorder.recordLastStep(of: chip, mode: .training)
    }
    let counts = recorder.counts(description: "bridge test")
    #expect(counts.validationProblems() == [])
    let training = try #require(counts.training)
    #expect(training.samples == 2 && training.steps == 6)
    // The chip's own totals and the recorder's agree core by core.
    for c in training.coreTotals {
        #expect(c.counts == chip.totals.perCore[c.core], "core \(c.core)")
    }
    let total = training.chipTotals
    #expect(total.activeCompartments + total.inactiveCompartments == 6 * 10)
    #expect(total.plasticSynapsesSwept == 6 * 24)  // every step sweeps all plastic synapses
    // Messages from core 0 (tile 0) to core 40 (tile 10, at (2, 1)) price 2 EW + 1 NS hops.
    if total.messagesOut > 0 {
        let report = EnergyReport(counts: counts, table: .davies2018)
        let phases = try #require(report.perPhase["training"])
        #expect(phases.contains { close($0.meshNS, 2.1 + 2 * 4.1 + 6.5) })
    }
    #expect(total.messagesOut > 0)
}
