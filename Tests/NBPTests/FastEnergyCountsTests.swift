import EnergyModel
import Foundation
import SynfireData
import Testing

@testable import NBP

@Suite("fast path energy counts equal the chip engine's (issue 8)")
struct FastEnergyCountsTests {
    /// Runs both engines over the same samples in the Runner's order (a training pass, an
    /// evaluation, another training pass, another evaluation) and returns both run dirs.
    static func runBoth(
        set: NBPEncodedSet, test: NBPEncodedSet, hidden: Int, seed: UInt64, passes: [Range<Int>], margin: Int = 0
    ) throws -> (chip: String, fast: String, fastEngine: NBPFastEngine) {
        let sizes = NBPSizes(input: set.inputCount, hidden: hidden, output: 10)
        var generator = SeededGenerator(seed: seed)
        let weights = try NBPWeights.heNormal(sizes: sizes, using: &generator)
        let chip = try NBPChipEngine(weights: weights, seed: seed, margin: margin)
        chip.recordsEnergy = true
        let fast = try NBPFastEngine(weights: weights, variant: .chip)
        fast.trainingMargin = Int32(margin)
        try fast.enableEnergyCounts()
        for pass in passes {
            for engine in [chip, fast] as [NBPEngine] {
                _ = NBPTrainer.trainPass(engine: engine, set: set, order: Array(pass))
                _ = NBPTrainer.evaluate(engine: engine, set: test)
            }
            #expect(try chip.chipMatrices() == NBPChipMatrices(weights: fast.weights))
        }
        #expect(chip.gateViolations == 0)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("synfire-fast-energy-\(UUID())")
        let chipDir = root.appendingPathComponent("chip").path
        let fastDir = root.appendingPathComponent("fast").path
        for dir in [chipDir, fastDir] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try chip.writeEnergyCounts(to: chipDir)
        try fast.writeEnergyCounts(to: fastDir)
        return (chipDir, fastDir, fast)
    }

    /// Everything but the free-text description must be equal, file by file.
    static func expectSameCounts(_ chipDir: String, _ fastDir: String) throws {
        for name in [EnergyCounts.fileName, EnergyCounts.inferenceFileName] {
            let chip = try EnergyCounts.loadFile(chipDir + "/" + name)
            let fast = try EnergyCounts.loadFile(fastDir + "/" + name)
            #expect(chip.placement == fast.placement, "\(name): placement")
            #expect(chip.network == fast.network && chip.reference == fast.reference, "\(name): labels")
            #expect(firstDifference(chip.training, fast.training) == nil, "\(name): training counts")
            #expect(firstDifference(chip.inference, fast.inference) == nil, "\(name): inference counts")
            let same = chip.training == fast.training && chip.inference == fast.inference
            #expect(same, "\(name): some count differs (phases or sample totals)")
            // Guard against comparing two empty documents.
            #expect((chip.training?.samples ?? 0) + (chip.inference?.samples ?? 0) > 0)
        }
        let table = try CostTable.resolve("davies2018")
        let chipReport = EnergyReport(counts: try EnergyCounts.load(runDirectory: chipDir), table: table)
        let fastReport = EnergyReport(counts: try EnergyCounts.load(runDirectory: fastDir), table: table)
        let sameReport = try chipReport.jsonData() == fastReport.jsonData()
        #expect(sameReport, "the energy reports differ")
    }

    /// A short description of the first differing count (a full dump is unreadable).
    static func firstDifference(_ chip: ModeCounts?, _ fast: ModeCounts?) -> String? {
        guard let chip, let fast else { return chip == nil && fast == nil ? nil : "one mode is missing" }
        if chip.samples != fast.samples || chip.steps != fast.steps { return "samples/steps differ" }
        for (c, f) in zip(chip.phases ?? [], fast.phases ?? []) {
            for (cc, fc) in zip(c.cores, f.cores) where cc != fc {
                return "position \(c.stepInSample), core \(cc.core): chip \(cc.counts) vs fast \(fc.counts)"
            }
        }
        return nil
    }

    @Test("100-24-10 circuit: train 40, infer 30, train 20, infer 30 — identical counts files and report")
    func smallCircuitMatches() throws {
        let set = try BitIdentityTests.smallSet(count: 60)
        let test = try BitIdentityTests.smallSet(count: 90).prefix(30)
        let (chipDir, fastDir, fast) = try FastEnergyCountsTests.runBoth(
            set: set, test: test, hidden: 24, seed: 5, passes: [0..<40, 40..<60])
        #expect(fast.energyRecorder?.unresolvedInputs == 0)
        let training = try #require(try EnergyCounts.loadFile(fastDir + "/" + EnergyCounts.fileName).training)
        #expect(training.samples == 60 && training.partialSamples == 0 && training.stepsPerSample == 12)
        // Learning happened (processed synapses) and some compartments were idle, so the
        // equality below covers the data-dependent counters, not just constants.
        #expect(training.coreTotals.reduce(0) { $0 + $1.counts.plasticSynapseUpdatesProcessed } > 0)
        #expect(training.coreTotals.reduce(0) { $0 + $1.counts.inactiveCompartments } > 0)
        try FastEnergyCountsTests.expectSameCounts(chipDir, fastDir)
    }

    @Test("with a training margin (its two extra connections into o) the counts still match")
    func marginCircuitMatches() throws {
        let set = try BitIdentityTests.smallSet(count: 60)
        let test = try BitIdentityTests.smallSet(count: 90).prefix(30)
        let (chipDir, fastDir, fast) = try FastEnergyCountsTests.runBoth(
            set: set, test: test, hidden: 24, seed: 7, passes: [0..<40, 40..<60], margin: 64)
        #expect(fast.energyRecorder?.unresolvedInputs == 0)
        try FastEnergyCountsTests.expectSameCounts(chipDir, fastDir)
    }

    @Test("400-400-10 circuit on MNIST: 20 training and 20 inference samples give identical counts")
    func mnistCircuitMatches() throws {
        let loaded = try DatasetCatalog.loadEmbedded(.mnist, split: .train)
        let encoded = try NBPPreprocessing.standard(for: .mnist).encode(loaded.dataset.prefix(40))
        let set = encoded.prefix(20)
        let test = NBPEncodedSet(
            name: "test", binaryImages: (20..<40).flatMap { encoded.binaryImage(at: $0) },
            inputCount: encoded.inputCount, labels: Array(encoded.labels[20..<40]))
        #expect(set.inputCount == 400)
        let (chipDir, fastDir, fast) = try FastEnergyCountsTests.runBoth(
            set: set, test: test, hidden: 400, seed: 43, passes: [0..<20])
        #expect(fast.energyRecorder?.unresolvedInputs == 0)
        try FastEnergyCountsTests.expectSameCounts(chipDir, fastDir)
    }

    @Test("the reference variant refuses energy counts with a message naming the fix")
    func referenceVariantRefused() throws {
        var generator = SeededGenerator(seed: 1)
        let weights = try NBPWeights.heNormal(sizes: NBPSizes(input: 16, hidden: 9, output: 4), using: &generator)
        let fast = try NBPFastEngine(weights: weights, variant: .reference)
        #expect(throws: NBPError.self) { try fast.enableEnergyCounts() }
        do {
            try fast.enableEnergyCounts()
        } catch {
            #expect("\(error)".contains("--variant chip"))
        }
    }
}
