import Foundation
import NeuroChip
import SynfireIO
import Testing

@testable import EnergyModel

@Test func greedyPackingSpecExample() throws {
    // Greedy packing by synaptic memory (docs/energy.md, "Core mapping"): 400 compartments
    // x 400 plastic synapses x 32 bits -> 81 per core.
    let chip = CostTable.davies2018.chip
    let placement = try CoreMapper.greedy(
        [
            PopulationDemand(name: "in", compartments: 400, fixedSynapsesPerCompartment: 1),
            PopulationDemand(name: "hidden", compartments: 400, plasticSynapsesPerCompartment: 400),
            PopulationDemand(name: "out", compartments: 10, fixedSynapsesPerCompartment: 400),
        ], chip: chip)
    #expect(placement.populations[0].cores == [CoreShare(core: 0, count: 400)])
    #expect(placement.populations[1].cores.map(\.count) == [81, 81, 81, 81, 76])
    #expect(placement.populations[1].cores.map(\.core) == [1, 2, 3, 4, 5])
    #expect(placement.populations[2].cores == [CoreShare(core: 6, count: 10)])
    #expect(placement.coresUsed == 7)
    #expect(placement.tilesUsed(chip) == 2)
    #expect(placement.load(ofCore: 5)?.plasticSynapses == 76 * 400)
    #expect(placement.coreIndices(ofPopulation: "hidden")?.count == 400)
}

@Test func packingWithoutNewCorePerPopulationAndWithCap() throws {
    let chip = CostTable.davies2018.chip
    let shared = try CoreMapper.greedy(
        [
            PopulationDemand(name: "a", compartments: 1000),
            PopulationDemand(name: "b", compartments: 50),
        ],
        chip: chip, options: PackingOptions(newCorePerPopulation: false))
    #expect(
        shared.populations[1].cores == [
            CoreShare(core: 0, count: 24), CoreShare(core: 1, count: 26),
        ])
    let capped = try CoreMapper.greedy(
        [PopulationDemand(name: "a", compartments: 250)], chip: chip,
        options: PackingOptions(maxCompartmentsPerCoreOverride: 100))
    #expect(capped.populations[0].cores.map(\.count) == [100, 100, 50])
}

@Test func packingErrorsNameTheProblem() {
    let chip = CostTable.davies2018.chip
    #expect(
        throws: MappingError.compartmentTooLarge(
            population: "huge", bits: 40_000 * 32, limit: 1_048_576)
    ) {
        try CoreMapper.greedy(
            [
                PopulationDemand(
                    name: "huge", compartments: 1, plasticSynapsesPerCompartment: 40_000)
            ],
            chip: chip)
    }
    #expect(throws: MappingError.doesNotFitChip(neededCores: 130, chipCores: 128)) {
        try CoreMapper.greedy(
            [PopulationDemand(name: "big", compartments: 1024 * 129 + 1)], chip: chip)
    }
    do {
        _ = try CoreMapper.explicit(
            [PopulationDemand(name: "a", compartments: 2000)],
            shares: [
                "a": [CoreShare(core: 3, count: 1500), CoreShare(core: 200, count: 400)],
                "ghost": [],
            ],
            chip: chip)
        Issue.record("expected an error")
    } catch {
        guard case .invalidPlacement(let problems) = error else {
            Issue.record("\(error)")
            return
        }
        #expect(problems.count == 4, "\(problems)")
        #expect(problems.contains { $0.contains("core 3: 1500 compartments exceed") })
        #expect(problems.contains { $0.contains("core 200 is outside") })
        #expect(problems.contains { $0.contains("covers 1900 of 2000") })
        #expect(problems.contains { $0.contains("'ghost'") })
    }
}

/// Two cores, 3 steps per sample; core 1 is loaded unevenly across samples.
func smallRun(keepSampleTotals: Bool = false) -> EnergyCounts {
    let placement = CoreAllocation(
        populations: [
            PopulationPlacement(
                name: "p", cores: [CoreShare(core: 0, count: 10), CoreShare(core: 4, count: 10)])
        ],
        cores: [
            CoreLoad(core: 0, compartments: 10),
            CoreLoad(core: 4, compartments: 10, plasticSynapses: 50),
        ])
    var recorder = EnergyCountsRecorder(
        placement: placement, stepsPerSample: [.training: 3, .inference: 2],
        keepSampleTotals: keepSampleTotals)
    for sample in 0..<2 {
        for step in 0..<3 {
            var a = CoreStepCounts(
                activeCompartments: 2, inactiveCompartments: 8,
                spikesGenerated: 1, messagesOut: 1)
            a.addMessagePath(hopsEastWest: 1, hopsNorthSouth: 0)
            let b = CoreStepCounts(
                activeCompartments: 1, inactiveCompartments: 9,
                synapticOps: 100 * (sample + 1) * (step + 1),
                plasticSynapseUpdatesProcessed: 5, plasticSynapsesSwept: 50,
                learningEpochs: 1, messagesIn: 1)
            recorder.record(
                [CoreCounts(core: 0, counts: a), CoreCounts(core: 4, counts: b)], mode: .training,
                stepInSample: step)
        }
    }
    // 1.5 inference samples: the last one is partial.
    // Through the NeuroChip bridge: 128 per-core records as ChipSimulator reports them.
    var chipStep = Array(repeating: CoreStepCounts(), count: 128)
    chipStep[0] = CoreStepCounts(inactiveCompartments: 10)
    chipStep[4] = CoreStepCounts(activeCompartments: 3, inactiveCompartments: 7, synapticOps: 10)
    for _ in 0..<3 {
        recorder.record(chipStep: chipStep, mode: .inference)
    }
    return recorder.counts(description: "small", reference: "nbp")
}

@Test func recorderKeepsPhasesAndTotals() throws {
    let counts = smallRun()
    #expect(counts.validationProblems() == [])
    let training = try #require(counts.training)
    #expect(training.samples == 2 && training.partialSamples == 0 && training.steps == 6)
    #expect(training.coreTotals[1].counts.synapticOps == 100 * 6 + 200 * 6)
    #expect(training.phases?.map(\.samples) == [2, 2, 2])
    #expect(training.phases?[2].cores[1].counts.synapticOps == 300 + 600)
    let inference = try #require(counts.inference)
    #expect(inference.samples == 1 && inference.partialSamples == 1 && inference.steps == 3)
    #expect(inference.phases?.map(\.samples) == [2, 1])
}

@Test func reportFromPhasesByHand() throws {
    let report = EnergyReport(counts: smallRun(), table: .davies2018)
    let s = try #require(report.summary(.training))
    // Core 4 is critical every step; step k of the mean sample has 150 (k + 1) synaptic ops.
    // T_core(4) = 8.4 + 9 x 5.3 + 150 (k+1) x 3.5 + 50 x 6.1.
    // Cores 0 and 4 sit in tiles 0 and 1: two tiles.
    let syncTwoTiles = 113.0 + 352.0 / 5.0
    let mesh = 2.1 + 4.1
    var expectedLatency = 0.0
    for k in 1...3 {
        let core4 = 8.4 + 9 * 5.3 + 150.0 * Double(k) * 3.5 + 50 * 6.1
        expectedLatency += core4 + mesh + syncTwoTiles
    }
    #expect(close(s.meanLatencyNS, expectedLatency))
    let neuron: Double = (2 * 81 + 8 * 52) + (81 + 9 * 52)
    let perStepEnergy: Double = neuron + 50 * 120 + (1.7 + 3.0)
    let synaptic: Double = 150 * 6 * 23.6
    let expectedEnergy = 3 * perStepEnergy + synaptic
    #expect(close(s.meanEnergyPJ, expectedEnergy))
    #expect(close(s.energyPJ, 2 * expectedEnergy))
    #expect(close(s.meanEdpJs, expectedEnergy * expectedLatency * 1e-21))
    #expect(s.latencyBasis == "phases")
    #expect(close(s.learningSweepsPerSample, 3))
    #expect(report.chip.criticalCoreHistogram["4"] == 6 + 3)
    // The partial inference sample is flagged and means use samples that reached a step.
    let inf = try #require(report.summary(.inference))
    #expect(inf.partialSamples == 1)
    #expect(report.notes.contains { $0.contains("partial") })
    let inferenceStep: Double = 10 * 52 + 3 * 81 + 7 * 52 + 10 * 23.6
    #expect(close(inf.meanEnergyPJ, 2 * inferenceStep))
    #expect(close(report.run.energyPJ, 2 * expectedEnergy + 3 * inferenceStep))
}

@Test func totalsOnlyIsALowerBoundOnPhases() throws {
    var counts = smallRun()
    let withPhases = try #require(
        EnergyReport(counts: counts, table: .davies2018).summary(.training))
    counts.training?.phases = nil
    #expect(counts.validationProblems() == [])
    let report = EnergyReport(counts: counts, table: .davies2018)
    let totalsOnly = try #require(report.summary(.training))
    #expect(totalsOnly.latencyBasis == "totals")
    #expect(close(totalsOnly.meanEnergyPJ, withPhases.meanEnergyPJ))
    #expect(totalsOnly.meanLatencyNS <= withPhases.meanLatencyNS + 1e-9)
    #expect(report.notes.contains { $0.contains("lower bound") })
}

@Test func countsFileRoundTripAndValidation() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("energy-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let counts = smallRun()
    try counts.write(to: dir.appendingPathComponent(EnergyCounts.fileName))
    #expect(try EnergyCounts.load(runDirectory: dir.path) == counts)

    var broken = counts
    broken.training?.coreTotals[0].counts.activeCompartments += 1
    broken.training?.coreTotals[1].counts.spikesGenerated = 1000
    broken.inference?.coreTotals[0].counts.messagesOut = 4
    try broken.write(to: dir.appendingPathComponent(EnergyCounts.fileName))
    do {
        _ = try EnergyCounts.load(runDirectory: dir.path)
        Issue.record("expected an error")
    } catch {
        guard case .invalid(_, let problems) = error else {
            Issue.record("\(error)")
            return
        }
        #expect(
            problems.contains {
                $0.contains("training: core 0: activeCompartments + inactiveCompartments")
            })
        #expect(problems.contains { $0.contains("spikesGenerated 1000 > activeCompartments") })
        #expect(problems.contains { $0.contains("inference: messagesOut 4 != messagesIn 0") })
        #expect(problems.contains { $0.contains("phases of core 0 do not add up") })
    }
    #expect(throws: EnergyCountsError.missingFile(path: dir.appendingPathComponent("nope").path)) {
        try EnergyCounts.load(runDirectory: dir.appendingPathComponent("nope").path)
    }
}

@Test func textJSONAndChart() throws {
    let report = EnergyReport(counts: smallRun(), table: .davies2018)
    let text = report.text
    #expect(text.contains("Energy model: loihi-davies2018   cores used: 2   tiles used: 2"))
    #expect(text.contains("samples: 2 (training)"))
    // Without published figures there is nothing to compare (nBP's: NBPTests).
    #expect(!text.contains("Reference "))
    let json = try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any]
    for key in [
        "schemaVersion", "preset", "costTable", "placement", "chip", "run", "summaryByMode",
        "perCore", "comparison", "perPhase",
    ] {
        #expect(json?[key] != nil, "missing \(key)")
    }
    // The chart: one stacked bar per mode, one segment per energy category (neuron,
    // synaptic, learning, ...; docs/energy.md, "Report"), in the unit named.
    let plot = EnergyChart.plot(report)
    #expect(plot.categories.count == 2)
    #expect(plot.categories[0].hasPrefix("training (2 samples)"))
    let training = try #require(report.summary(.training)).meanEnergyByCategoryPJ.values
    let inference = try #require(report.summary(.inference)).meanEnergyByCategoryPJ.values
    let factor = plot.unit.hasPrefix("nJ") ? 1e3 : plot.unit.hasPrefix("µJ") ? 1e6 : 1
    #expect(zip(plot.values[0], training).allSatisfy { close($0 * factor, $1) })
    #expect(zip(plot.values[1], inference).allSatisfy { close($0 * factor, $1) })
    // Legend: "<category> <training value> / <inference value>" in the plot's unit.
    for (k, name) in EnergyByCategory.names.enumerated() {
        let expected =
            name + " " + String(format: "%.3g", training[k] / factor) + " / "
            + String(format: "%.3g", inference[k] / factor)
        #expect(plot.components[k] == expected)
    }
    #expect(plot.subtitle?.contains("latency/sample: training") == true)
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("energy-chart-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let files = try EnergyChart.write(report, to: directory + "/energy_chart.svg")
    #expect(files == ["png", "svg", "pdf"].map { directory + "/energy_chart." + $0 })
    let png = try #require(FileManager.default.contents(atPath: files[0]))
    #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    let svg = try String(contentsOfFile: files[1], encoding: .utf8)
    #expect(svg.contains("<svg"))
    let texts = DrawingRecorder(plot).strings
    for name in EnergyByCategory.names {
        #expect(texts.contains { $0.hasPrefix(name + " ") }, "legend lacks \(name)")
    }
    #expect(report.summaryLine.hasPrefix("energy [loihi-davies2018]: training "))
}

@Test func groupedNumbers() {
    #expect(UnitFormat.grouped(8_112_000) == "8,112,000")
    #expect(UnitFormat.grouped(156.305, decimals: 3) == "156.305")
    #expect(UnitFormat.grouped(-1234.5, decimals: 1) == "-1,234.5")
    #expect(UnitFormat.energy(0.59e9) == "590 µJ")
    #expect(UnitFormat.energy(2.5e6) == "2.5 µJ")
    #expect(UnitFormat.time(1.5e6) == "1.5 ms")
}

@Test func perSampleTotalsGiveTheSpread() throws {
    let counts = smallRun(keepSampleTotals: true)
    #expect(counts.validationProblems() == [])
    #expect(counts.training?.sampleTotals?.map(\.counts.synapticOps) == [600, 1200])
    #expect(counts.inference?.sampleTotals?.map(\.steps) == [2, 1])
    let report = EnergyReport(counts: counts, table: .davies2018)
    let neuron: Double = (2 * 81 + 8 * 52) + (81 + 9 * 52)
    let perStep: Double = neuron + 50 * 120 + (1.7 + 3.0)
    let s = try #require(report.summary(.training))
    #expect(close(try #require(s.minEnergyPJ), 3 * perStep + 600 * 23.6))
    #expect(close(try #require(s.maxEnergyPJ), 3 * perStep + 1200 * 23.6))
    #expect(report.samples.count == 4)
    #expect(report.samples.filter(\.partial).map(\.mode) == [.inference])
    let trainingSamples = report.samples.filter { $0.mode == .training }
    #expect(close(trainingSamples.map(\.energyPJ).reduce(0, +), s.energyPJ))
    #expect(close(trainingSamples[0].latencyNS, s.meanLatencyNS))
    #expect(report.text.contains("[min "))
    // Dropping a sample breaks the file's consistency, and the loader says so.
    var broken = counts
    broken.training?.sampleTotals?.removeLast()
    #expect(broken.validationProblems().contains { $0.contains("sampleTotals has 1 samples") })
}

@Test func aSampleCutAtTheStartIsPartial() throws {
    let placement = CoreAllocation(
        populations: [PopulationPlacement(name: "p", cores: [CoreShare(core: 0, count: 1)])],
        cores: [CoreLoad(core: 0, compartments: 1)])
    var recorder = EnergyCountsRecorder(placement: placement, stepsPerSample: [.inference: 3])
    let idle = [CoreCounts(core: 0, counts: CoreStepCounts(inactiveCompartments: 1))]
    for k in [1, 2, 0, 1, 2] { recorder.record(idle, mode: .inference, stepInSample: k) }
    let m = try #require(recorder.counts(description: "cut").inference)
    #expect(m.samples == 1 && m.partialSamples == 1 && m.steps == 5)
}

@Test func separateInferenceCircuitKeepsItsOwnPlacement() throws {
    // Training on cores 0 and 4 (smallRun); inference on a different circuit on core 9.
    let training = smallRun()
    let inferencePlacement = CoreAllocation(
        populations: [PopulationPlacement(name: "q", cores: [CoreShare(core: 9, count: 5)])],
        cores: [CoreLoad(core: 9, compartments: 5)])
    var recorder = EnergyCountsRecorder(
        placement: inferencePlacement, stepsPerSample: [.inference: 2])
    for _ in 0..<4 {
        recorder.record(
            [
                CoreCounts(
                    core: 9, counts: CoreStepCounts(activeCompartments: 1, inactiveCompartments: 4))
            ],
            mode: .inference)
    }
    let inference = recorder.counts(description: "inference circuit")
    var trainingOnly = training
    trainingOnly.inference = nil

    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("energy-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try trainingOnly.write(to: dir.appendingPathComponent(EnergyCounts.fileName))
    try inference.write(to: dir.appendingPathComponent(EnergyCounts.inferenceFileName))
    let loaded = try EnergyCounts.load(runDirectory: dir.path)
    #expect(loaded.validationProblems() == [])
    #expect(loaded.placement(for: .inference) == inferencePlacement)
    #expect(loaded.placement(for: .training) == training.placement)
    #expect(loaded == EnergyCounts.combining(training: trainingOnly, inference: inference))

    let report = EnergyReport(counts: loaded, table: .davies2018)
    let s = try #require(report.summary(.inference))
    #expect(s.coresUsed == 1 && s.tilesUsed == 1 && s.samples == 2)
    #expect(close(s.meanEnergyPJ, 2 * (81 + 4 * 52)))
    #expect(close(s.meanLatencyNS, 2 * (8.4 + 4 * 5.3 + 113)))  // one tile: 113 ns barrier
    #expect(report.perCore.filter { $0.mode == .inference }.map(\.core) == [9])
    #expect(report.perCore.filter { $0.mode == .training }.map(\.core) == [0, 4])
}
