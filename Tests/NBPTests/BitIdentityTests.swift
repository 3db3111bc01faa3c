import Foundation
import SynfireData
import Testing

@testable import NBP

@Suite("chip engine vs fast path: bit-identical weights and outputs")
struct BitIdentityTests {
    /// Embedded MNIST, centre 10x10 (crop margin 9) so the debug-build chip run stays quick.
    static func smallSet(count: Int) throws -> NBPEncodedSet {
        let loaded = try DatasetCatalog.loadEmbedded(.mnist, split: .train)
        return try NBPPreprocessing(cropMargin: 9).encode(loaded.dataset.prefix(count))
    }

    @Test("200 samples: all eight matrices equal after every sample, equal inference outputs, no gate violations")
    func chipMatchesFastPath() throws {
        let set = try BitIdentityTests.smallSet(count: 200)
        let sizes = NBPSizes(input: set.inputCount, hidden: 24, output: 10)
        var generator = SeededGenerator(seed: 5)
        let weights = try NBPWeights.heNormal(sizes: sizes, using: &generator)
        let chip = try NBPChipEngine(weights: weights, seed: 5)
        let fast = try NBPFastEngine(weights: weights, variant: .chip)
        var learned = 0
        for sample in 0..<set.count {
            let active = Array(set.indices[set.offsets[sample]..<set.offsets[sample + 1]])
            let label = Int(set.labels[sample])
            let before = fast.weights
            let chipOutcome = active.withUnsafeBufferPointer { chip.train(active: $0, label: label) }
            let fastOutcome = active.withUnsafeBufferPointer { fast.train(active: $0, label: label) }
            #expect(chipOutcome.outputBits == fastOutcome.outputBits, "sample \(sample): outputs")
            #expect(chipOutcome.argmaxInput == fastOutcome.argmaxInput, "sample \(sample): argmax of z")
            let differing = try chip.chipMatrices().differences(from: NBPChipMatrices(weights: fast.weights))
            #expect(differing.isEmpty, "sample \(sample): \(differing) differ")
            if fast.weights != before { learned += 1 }
            if !differing.isEmpty { break }
        }
        // The comparison means something only if weights actually changed along the way.
        #expect(learned > 50)
        #expect(chip.gateViolations == 0, "\(chip.violationsByPopulation)")
        let test = try BitIdentityTests.smallSet(count: 300).prefix(300)
        #expect(NBPTrainer.outputs(engine: chip, set: test) == NBPTrainer.outputs(engine: fast, set: test))
        let chipAccuracy = NBPTrainer.evaluate(engine: chip, set: test)
        let fastAccuracy = NBPTrainer.evaluate(engine: fast, set: test)
        #expect(chipAccuracy == fastAccuracy)
    }

    @Test(
        "hidden sums far above the gates' lift (24,000): no hidden spike in clean-up phases 8 and 12, chip equals fast")
    func largeHiddenSumsStayInPhase() throws {
        // The paper's circuit fires h1 in phase 12 once W1 x > 9216 and in phase 8 once > 17344
        // (x's replay arrives there); Synfire's circuit inhibits both phases with gi_hidden
        // (docs/nbp.md, "Circuit deviation: the hidden layer's clean-up phases").
        let sizes = NBPSizes(input: 120, hidden: 8, output: 4)
        var generator = SeededGenerator(seed: 17)
        let random = try NBPWeights.heNormal(sizes: sizes, using: &generator)
        let weights = try NBPWeights(
            sizes: sizes, w1: [Int16](repeating: 200, count: 8 * 120), w2: random.w2, m: random.m)
        let chip = try NBPChipEngine(weights: weights, seed: 17)
        let fast = try NBPFastEngine(weights: weights, variant: .chip)
        let active = (0..<120).map { Int32($0) }
        for label in [0, 1, 2, 3, 0] {
            let a = active.withUnsafeBufferPointer { chip.train(active: $0, label: label) }
            let b = active.withUnsafeBufferPointer { fast.train(active: $0, label: label) }
            #expect(a.outputBits == b.outputBits)
            #expect(try chip.chipMatrices().differences(from: NBPChipMatrices(weights: fast.weights)).isEmpty)
        }
        #expect(chip.gateViolations == 0, "\(chip.violationsByPopulation) by phase \(chip.violationsByPhase)")
    }

    @Test("output sums of 15,240 from the phase-7 hidden spikes: no output spike in phase 8, chip equals fast")
    func largeOutputSumsStayInPhase() throws {
        // Every hidden unit is on with b (a = 720) and learns in phase 7 (output 0 errs:
        // 0 < z0 <= 512); the other outputs get W2 h = 254 x 60 in phase 8, which the circuit's
        // connections leave to the bias alone.
        let sizes = NBPSizes(input: 120, hidden: 60, output: 4)
        var w2 = [Int16](repeating: 254, count: 4 * 60)
        for j in 0..<60 { w2[j] = 2 }
        let weights = try NBPWeights(sizes: sizes, w1: [Int16](repeating: 6, count: 60 * 120), w2: w2)
        let chip = try NBPChipEngine(weights: weights, seed: 19)
        let fast = try NBPFastEngine(weights: weights, variant: .chip)
        let active = (0..<120).map { Int32($0) }
        for _ in 0..<3 {
            let a = active.withUnsafeBufferPointer { chip.train(active: $0, label: 0) }
            let b = active.withUnsafeBufferPointer { fast.train(active: $0, label: 0) }
            #expect(a.outputBits == b.outputBits)
            #expect(try chip.chipMatrices().differences(from: NBPChipMatrices(weights: fast.weights)).isEmpty)
        }
        #expect(fast.weights.w1 != weights.w1, "the hidden layer learned in phase 7")
        #expect(chip.gateViolations == 0, "\(chip.violationsByPopulation) by phase \(chip.violationsByPhase)")
    }

    // The 10,000-sample MNIST check (chip vs fast after every sample, 0 gate violations)
    // runs on a release build: scripts/e2e, "nbp-chip-equals-fast-10000".
}

@Suite("learning-rate schedule: stochastic ±2 updates, chip vs fast path")
struct ScheduleBitIdentityTests {
    /// On 1, 2, 3 and 8 threads (the chip's cores split over them): the same updates as the
    /// fast path, and the same energy counters as one thread.
    @Test(
        "p = 2^-2: the chip's stochastic rounding and the fast path draw identical updates (all eight matrices)",
        arguments: [1, 2, 3, 8])
    func stochasticScheduleMatches(threads: Int) throws {
        let set = try BitIdentityTests.smallSet(count: threads == 1 ? 200 : 80)
        let sizes = NBPSizes(input: set.inputCount, hidden: 24, output: 10)
        var generator = SeededGenerator(seed: 9)
        let weights = try NBPWeights.heNormal(sizes: sizes, using: &generator)
        let chip = try NBPChipEngine(weights: weights, seed: 9, threads: threads)
        let oneThread = threads == 1 ? nil : try NBPChipEngine(weights: weights, seed: 9)
        let fast = try NBPStochasticEngine(weights: weights, seed: 9)
        let schedule = NBPLearningSchedule(initialExponent: 2)
        chip.beginEpoch(1, schedule: schedule)
        oneThread?.beginEpoch(1, schedule: schedule)
        fast.beginEpoch(1, schedule: schedule)
        var diverged = false
        for sample in 0..<set.count {
            let active = Array(set.indices[set.offsets[sample]..<set.offsets[sample + 1]])
            let label = Int(set.labels[sample])
            _ = active.withUnsafeBufferPointer { oneThread?.train(active: $0, label: label) }
            let a = active.withUnsafeBufferPointer { chip.train(active: $0, label: label) }
            let b = active.withUnsafeBufferPointer { fast.train(active: $0, label: label) }
            #expect(a.outputBits == b.outputBits, "sample \(sample): outputs")
            let chipMatrices = try chip.chipMatrices()
            let differing = chipMatrices.differences(from: fast.chipMatrices())
            #expect(differing.isEmpty, "sample \(sample): \(differing) differ")
            if !differing.isEmpty { break }
            if chipMatrices.w1 != chipMatrices.w1c1 { diverged = true }
        }
        // Independent draws per copy: the copies must have drifted apart by now, which is
        // what makes tracking all eight matrices necessary.
        #expect(diverged)
        #expect(chip.gateViolations == 0, "\(chip.violationsByPopulation)")
        if let oneThread {
            #expect(chip.trainingCounters == oneThread.trainingCounters, "energy counters on \(threads) threads")
            #expect(chip.wraps == oneThread.wraps)
        }
    }

    @Test("per-sample learning gate at p = 1/2: chip (in_skip vetoes d+/d-) equals the fast path, copies stay equal")
    func sampleGateMatches() throws {
        let set = try BitIdentityTests.smallSet(count: 200)
        let sizes = NBPSizes(input: set.inputCount, hidden: 24, output: 10)
        var generator = SeededGenerator(seed: 11)
        let weights = try NBPWeights.heNormal(sizes: sizes, using: &generator)
        let chip = try NBPChipEngine(weights: weights, seed: 11)
        let fast = try NBPFastEngine(weights: weights, variant: .chip)
        // p = 1 for epoch 1, then 1/2: epoch 2 uses the gate.
        let schedule = NBPLearningSchedule(constantEpochs: 1, halvingEvery: 4, gate: .sample)
        chip.beginEpoch(2, schedule: schedule)
        fast.beginEpoch(2, schedule: schedule)
        let gate = try #require(
            NBPTrainer.learningGate(
                count: set.count, seed: 11, epoch: 2, numerator: schedule.sampleGateNumerator(epoch: 2)))
        #expect(schedule.ruleExponent(epoch: 2) == 0)
        var skippedWithError = 0
        for sample in 0..<set.count {
            let active = Array(set.indices[set.offsets[sample]..<set.offsets[sample + 1]])
            let label = Int(set.labels[sample])
            let before = fast.weights
            let a = active.withUnsafeBufferPointer { chip.train(active: $0, label: label, learns: gate[sample]) }
            let b = active.withUnsafeBufferPointer { fast.train(active: $0, label: label, learns: gate[sample]) }
            #expect(a.outputBits == b.outputBits, "sample \(sample): outputs")
            let differing = try chip.chipMatrices().differences(from: NBPChipMatrices(weights: fast.weights))
            #expect(differing.isEmpty, "sample \(sample): \(differing) differ")
            if !differing.isEmpty { break }
            if !gate[sample] {
                #expect(fast.weights == before, "sample \(sample): a closed gate must not learn")
                if !a.exact { skippedWithError += 1 }
            }
        }
        // The veto was exercised on samples that would have learned, and both gate states occur.
        #expect(skippedWithError > 10)
        #expect(gate.filter { $0 }.count > 60 && gate.filter { !$0 }.count > 60)
        #expect(chip.gateViolations == 0, "\(chip.violationsByPopulation)")
    }

    @Test("training margin 128: the circuit's margin connections and the fast path agree (weights, o spikes)")
    func marginMatches() throws {
        let set = try BitIdentityTests.smallSet(count: 200)
        let sizes = NBPSizes(input: set.inputCount, hidden: 24, output: 10)
        var generator = SeededGenerator(seed: 13)
        let weights = try NBPWeights.heNormal(sizes: sizes, scale: 0.5, using: &generator)
        let chip = try NBPChipEngine(weights: weights, seed: 13, margin: 128)
        let fast = try NBPFastEngine(weights: weights, variant: .chip)
        fast.trainingMargin = 128
        let plain = try NBPFastEngine(weights: weights, variant: .chip)
        var marginOnlyErrors = 0
        for sample in 0..<set.count {
            let active = Array(set.indices[set.offsets[sample]..<set.offsets[sample + 1]])
            let label = Int(set.labels[sample])
            let reference = active.withUnsafeBufferPointer { plain.infer(active: $0, label: label) }
            let a = active.withUnsafeBufferPointer { chip.train(active: $0, label: label) }
            let b = active.withUnsafeBufferPointer { fast.train(active: $0, label: label) }
            #expect(a.outputBits == b.outputBits, "sample \(sample): o spikes in phase 3")
            let differing = try chip.chipMatrices().differences(from: NBPChipMatrices(weights: fast.weights))
            #expect(differing.isEmpty, "sample \(sample): \(differing) differ")
            if !differing.isEmpty { break }
            plain.load(fast.weights)
            // Samples right without the margin but wrong with it: the margin made them learn.
            if reference.exact && !b.exact { marginOnlyErrors += 1 }
        }
        #expect(marginOnlyErrors > 5)
        #expect(chip.gateViolations == 0, "\(chip.violationsByPopulation)")
        // Inference has no margin: both engines answer as the plain network does.
        let test = try BitIdentityTests.smallSet(count: 300).prefix(300)
        #expect(NBPTrainer.outputs(engine: chip, set: test) == NBPTrainer.outputs(engine: plain, set: test))
        #expect(NBPTrainer.outputs(engine: fast, set: test) == NBPTrainer.outputs(engine: plain, set: test))
    }

    @Test("p = 1: the eight-matrix engine equals the plain fast path")
    func constantRateMatchesFastPath() throws {
        let set = try BitIdentityTests.smallSet(count: 120)
        let sizes = NBPSizes(input: set.inputCount, hidden: 24, output: 10)
        var generator = SeededGenerator(seed: 3)
        let weights = try NBPWeights.heNormal(sizes: sizes, using: &generator)
        let plain = try NBPFastEngine(weights: weights, variant: .chip)
        let copies = try NBPStochasticEngine(weights: weights, seed: 3)
        let order = NBPTrainer.order(count: set.count, seed: 3, epoch: 1)
        _ = NBPTrainer.trainPass(engine: plain, set: set, order: order)
        _ = NBPTrainer.trainPass(engine: copies, set: set, order: order)
        #expect(copies.chipMatrices() == NBPChipMatrices(weights: plain.weights))
    }
}
