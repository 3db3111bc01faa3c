import Foundation
import NeuroChip
import Testing

@testable import EnergyModel

/// A worked example: one step on three explicitly placed cores, cores 0 and 1 in tile 0,
/// core 40 in tile 10 at (2, 1); its energy and latency under both cost-table presets are
/// computed by hand below (docs/energy.md, "Latency and energy per step").
enum WorkedExample {
    static let placement = CoreAllocation(
        populations: [
            PopulationPlacement(name: "a", cores: [CoreShare(core: 0, count: 100)]),
            PopulationPlacement(name: "b", cores: [CoreShare(core: 1, count: 200)]),
            PopulationPlacement(name: "c", cores: [CoreShare(core: 40, count: 10)]),
        ],
        cores: [
            CoreLoad(core: 0, compartments: 100),
            CoreLoad(core: 1, compartments: 200, fixedSynapses: 4000),
            CoreLoad(core: 40, compartments: 10, plasticSynapses: 300),
        ])

    static func cores(chip: ChipLayout = CostTable.davies2018.chip) -> [CoreCounts] {
        var core0 = CoreStepCounts(
            activeCompartments: 20, inactiveCompartments: 80, spikesGenerated: 20,
            messagesOut: 40)
        var core1 = CoreStepCounts(
            activeCompartments: 50, inactiveCompartments: 150, synapticOps: 4000,
            spikesGenerated: 10, messagesOut: 10, messagesIn: 20)
        let core40 = CoreStepCounts(
            activeCompartments: 10, inactiveCompartments: 0, synapticOps: 300,
            plasticSynapseUpdatesProcessed: 120, plasticSynapsesSwept: 300, learningEpochs: 1,
            spikesGenerated: 2, messagesIn: 30)
        for _ in 0..<20 {
            let near = chip.hops(fromCore: 0, toCore: 1)
            core0.addMessagePath(hopsEastWest: near.eastWest, hopsNorthSouth: near.northSouth)
            let far = chip.hops(fromCore: 0, toCore: 40)
            core0.addMessagePath(hopsEastWest: far.eastWest, hopsNorthSouth: far.northSouth)
        }
        for _ in 0..<10 {
            let far = chip.hops(fromCore: 1, toCore: 40)
            core1.addMessagePath(hopsEastWest: far.eastWest, hopsNorthSouth: far.northSouth)
        }
        return [
            CoreCounts(core: 0, counts: core0), CoreCounts(core: 1, counts: core1),
            CoreCounts(core: 40, counts: core40),
        ]
    }
}

func close(_ a: Double, _ b: Double, relative: Double = 1e-9) -> Bool {
    abs(a - b) <= relative * max(abs(a), abs(b), 1e-300)
}

@Test func workedExampleGeometry() {
    let chip = CostTable.davies2018.chip
    #expect(chip.hops(fromCore: 0, toCore: 40) == (2, 1))
    #expect(chip.hops(fromCore: 0, toCore: 1) == (0, 0))
    #expect(chip.tile(ofCore: 40) == 10)
    #expect(chip.coordinates(ofTile: 10) == (2, 1))
    #expect(WorkedExample.placement.tilesUsed(chip) == 2)
    #expect(chip.cores == 128)
}

@Test func workedExampleDavies2018() {
    let estimator = EnergyEstimator(table: .davies2018, placement: WorkedExample.placement)
    let cost = estimator.step(WorkedExample.cores())
    // The davies2018 preset's per-operation costs times the counts, by hand.
    let neuron: Double = 20 * 81 + 80 * 52 + 50 * 81 + 150 * 52 + 10 * 81
    #expect(close(cost.energy.neuron, neuron))
    #expect(close(cost.energy.neuron, 18_440))
    #expect(close(cost.energy.synaptic, 4_300 * 23.6))
    #expect(close(cost.energy.learning, 36_000))
    #expect(cost.energy.spikeIO == 0)
    let mesh: Double = 20 * 1.7 + 30 * (1.7 + 2 * 3.0 + 4.0)
    #expect(close(cost.energy.mesh, mesh))
    #expect(cost.energy.sync == 0 && cost.energy.static == 0)
    #expect(close(cost.energyPJ, 156_305))
    #expect(close(cost.coreBusyNS[0], 592))
    #expect(close(cost.coreBusyNS[1], 15_215))
    #expect(close(cost.coreBusyNS[2], 2_964))
    #expect(cost.criticalCore == 1)
    #expect(close(cost.latency.coreWork, 15_215))
    #expect(close(cost.latency.mesh, 16.8))
    let sync: Double = 113 + (465 - 113) * 1.0 / 5.0
    #expect(close(cost.latency.sync, sync))
    #expect(close(cost.latencyNS, 15_415.2))
    #expect(close(cost.edpPJNS, 2.409473e9, relative: 1e-6))
    #expect(close(cost.edpPJNS, 156_305 * 15_415.2))
}

@Test func workedExampleSanafe() {
    let estimator = EnergyEstimator(
        table: CostTablePreset.sanafe.table, placement: WorkedExample.placement)
    let cost = estimator.step(WorkedExample.cores())
    // The sanafe preset's per-operation costs times the counts, by hand.
    #expect(close(cost.energy.neuron, 17_600))
    #expect(close(cost.energy.synaptic, 152_650))
    #expect(close(cost.energy.learning, 36_000))
    let spikeIO: Double = 32 * 69.3 + 50 * 111
    #expect(close(cost.energy.spikeIO, spikeIO))
    #expect(close(cost.energy.spikeIO, 7_767.6))
    #expect(close(cost.energy.mesh, 306))
    #expect(close(cost.energyPJ, 214_323.6))
    #expect(close(cost.coreBusyNS[0], 1_478))
    let core1: Double = 50 * 9.7 + 150 * 6.0 + 4000 * 3.8 + 10 * 30 + 10 * 5.1 + 20 * 16
    #expect(close(cost.coreBusyNS[1], core1))
    #expect(close(cost.coreBusyNS[1], 17_256))
    #expect(close(cost.coreBusyNS[2], 3_607))
    #expect(close(cost.latency.mesh, 14.7))
    #expect(close(cost.latency.sync, 1_000))
    #expect(close(cost.latencyNS, 18_270.7))
    #expect(close(cost.edpPJNS * 1e-21, 3.915842e-12, relative: 1e-6))
}

@Test func processedModeChargesEvaluatedSynapsesOnly() throws {
    var table = CostTable.davies2018
    table.learningCountMode = .processed
    let cost = EnergyEstimator(table: table, placement: WorkedExample.placement)
        .step(WorkedExample.cores())
    #expect(close(cost.energy.learning, 120 * 120))
    let core40: Double = 10 * 8.4 + 300 * 3.5 + 120 * 6.1
    #expect(close(cost.coreBusyNS[2], core40))
}

@Test func staticPowerIsItsOwnCategory() {
    var table = CostTable.davies2018
    table.staticPower.chipPowerMW = 10
    table.staticPower.perUsedCorePowerMW = 0.5
    let cost = EnergyEstimator(table: table, placement: WorkedExample.placement)
        .step(WorkedExample.cores())
    // Static energy = (chip power + per-used-core power x cores used) x step duration
    // (docs/energy.md, "Cost tables"): (10 mW + 0.5 mW x 3 cores) x 15,415.2 ns.
    #expect(close(cost.energy.static, 11.5 * 15_415.2))
    #expect(close(cost.energyPJ, 156_305 + 11.5 * 15_415.2))
}

@Test func workedExampleThroughReportMatchesStep() throws {
    var recorder = EnergyCountsRecorder(
        placement: WorkedExample.placement, stepsPerSample: [.inference: 1])
    recorder.record(WorkedExample.cores(), mode: .inference)
    let counts = recorder.counts(description: "worked example")
    #expect(counts.validationProblems() == [])
    let report = EnergyReport(counts: counts, table: .davies2018)
    let s = try #require(report.summary(.inference))
    #expect(s.samples == 1 && s.steps == 1)
    #expect(close(s.meanEnergyPJ, 156_305))
    #expect(close(s.meanLatencyNS, 15_415.2))
    #expect(close(s.meanEdpJs, 2.409473e-12, relative: 1e-6))
    #expect(close(report.run.edpJs, 2.409473e-12, relative: 1e-6))
    #expect(report.chip.criticalCoreHistogram == ["1": 1])
    #expect(report.perCore.map(\.timesCritical) == [0, 1, 0])
    #expect(close(report.perCore[1].busyNS, 15_215))
    #expect(report.perCore[2].x == 2 && report.perCore[2].y == 1)
}
