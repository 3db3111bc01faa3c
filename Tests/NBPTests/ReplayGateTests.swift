import Foundation
import SynfireData
import Testing

@testable import NBP

@Suite("replay gates: vetoed replays of x (W1) and of h (W2), chip vs fast path")
struct ReplayGateTests {
    /// Trains `samples` samples of the small set with the chip engine and the fast path
    /// under `schedule` (epoch 1), comparing all eight matrices after every sample; returns
    /// the fast engine, the chip engine, and how many samples changed any weight.
    /// The first `samples` of the small set and a 24-hidden-unit initialisation (scale 0.5).
    static func setUp(seed: UInt64, samples: Int) throws -> (set: NBPEncodedSet, weights: NBPWeights) {
        let set = try BitIdentityTests.smallSet(count: samples)
        var generator = SeededGenerator(seed: seed)
        let weights = try NBPWeights.heNormal(
            sizes: NBPSizes(input: set.inputCount, hidden: 24, output: 10), scale: 0.5, using: &generator)
        return (set, weights)
    }

    static func trainBoth(schedule: NBPLearningSchedule, seed: UInt64, samples: Int) throws
        -> (fast: NBPFastEngine, chip: NBPChipEngine, learned: Int)
    {
        let (set, weights) = try setUp(seed: seed, samples: samples)
        let chip = try NBPChipEngine(weights: weights, seed: seed, margin: 64, replayGate: true)
        let fast = try NBPFastEngine(weights: weights, variant: .chip)
        fast.trainingMargin = 64
        chip.beginEpoch(1, schedule: schedule)
        fast.beginEpoch(1, schedule: schedule)
        var replay = try #require(NBPTrainer.replayGate(seed: seed, epoch: 1, schedule: schedule, hidden: 24))
        var learned = 0
        for sample in 0..<set.count {
            let active = Array(set.indices[set.offsets[sample]..<set.offsets[sample + 1]])
            let label = Int(set.labels[sample])
            let before = fast.weights
            let outcomes = active.withUnsafeBufferPointer { active in
                replay.withGates(active: active, learns: true) { gates in
                    (
                        chip.train(active: active, label: label, gates: gates),
                        fast.train(active: active, label: label, gates: gates)
                    )
                }
            }
            #expect(outcomes.0.outputBits == outcomes.1.outputBits, "sample \(sample): outputs")
            let chipMatrices = try chip.chipMatrices()
            let differing = chipMatrices.differences(from: NBPChipMatrices(weights: fast.weights))
            #expect(differing.isEmpty, "sample \(sample): \(differing) differ")
            if !differing.isEmpty { break }
            if fast.weights != before { learned += 1 }
        }
        #expect(chip.gateViolations == 0, "\(chip.violationsByPopulation)")
        return (fast, chip, learned)
    }

    @Test("input and hidden replay gates at p = 1/2: the chip's vetoes equal the fast path, copies stay equal")
    func replayGateMatches() throws {
        let schedule = NBPLearningSchedule(initialExponent: 1, gate: .replay)
        #expect(schedule.ruleExponent(epoch: 1) == 0)
        let run = try ReplayGateTests.trainBoth(schedule: schedule, seed: 21, samples: 120)
        #expect(run.learned > 30)
        // The gates changed what was learned: the same samples without them end elsewhere.
        let (set, weights) = try ReplayGateTests.setUp(seed: 21, samples: 120)
        let ungated = try NBPFastEngine(weights: weights, variant: .chip)
        ungated.trainingMargin = 64
        for sample in 0..<set.count {
            let active = Array(set.indices[set.offsets[sample]..<set.offsets[sample + 1]])
            _ = active.withUnsafeBufferPointer { ungated.train(active: $0, label: Int(set.labels[sample])) }
        }
        #expect(ungated.weights.w1 != run.fast.weights.w1)
        #expect(ungated.weights.w2 != run.fast.weights.w2)
    }

    @Test("input replay gate only (p = 1/4): W1 is gated on the chip as in the fast path")
    func inputGateMatches() throws {
        let schedule = NBPLearningSchedule(initialExponent: 2, gate: .input)
        #expect(schedule.hiddenGateNumerator(epoch: 1) == 65536)
        let run = try ReplayGateTests.trainBoth(schedule: schedule, seed: 23, samples: 80)
        #expect(run.learned > 20)
    }

    @Test("replay draws: ascending subsets of the active inputs, reproducible per (seed, epoch), about p of them")
    func drawsAreSubsets() throws {
        let schedule = NBPLearningSchedule(initialExponent: 1, gate: .replay)
        let active: [Int32] = Array(stride(from: 3, to: 400, by: 2))
        func draw(seed: UInt64, epoch: Int) throws -> ([Int32], [Int32], [UInt8], [UInt8]) {
            var gate = try #require(NBPTrainer.replayGate(seed: seed, epoch: epoch, schedule: schedule, hidden: 50))
            return active.withUnsafeBufferPointer { active in
                gate.withGates(active: active, learns: true) { gates in
                    (
                        Array(gates.potentiationReplay!), Array(gates.depressionReplay!),
                        Array(gates.potentiationHidden!), Array(gates.depressionHidden!)
                    )
                }
            }
        }
        let first = try draw(seed: 7, epoch: 3)
        let again = try draw(seed: 7, epoch: 3)
        #expect(first == again)
        let other = try draw(seed: 7, epoch: 4)
        #expect(first.0 != other.0)
        for subset in [first.0, first.1] {
            #expect(subset == subset.sorted())
            #expect(Set(subset).isSubset(of: Set(active)))
            #expect(subset.count > 70 && subset.count < 130, "about half of 199")
        }
        #expect(first.0 != first.1, "phases 7 and 11 draw on their own")
        #expect(first.2.count == 50 && first.2.allSatisfy { $0 <= 1 })
        #expect(NBPTrainer.replayGate(seed: 7, epoch: 3, schedule: .constant, hidden: 50) == nil)
    }

    @Test("a replay gate that keeps no input leaves W1 untouched while W2 still learns")
    func closedInputReplayFreezesW1() throws {
        let (set, weights) = try ReplayGateTests.setUp(seed: 3, samples: 60)
        let fast = try NBPFastEngine(weights: weights, variant: .chip)
        var replay = NBPReplayGate(seed: 3, epoch: 1, inputNumerator: 0, hiddenNumerator: 65536, hidden: 24)
        for sample in 0..<set.count {
            let active = Array(set.indices[set.offsets[sample]..<set.offsets[sample + 1]])
            _ = active.withUnsafeBufferPointer { active in
                replay.withGates(active: active, learns: true) {
                    fast.train(active: active, label: Int(set.labels[sample]), gates: $0)
                }
            }
        }
        #expect(fast.weights.w1 == weights.w1)
        #expect(fast.weights.w2 != weights.w2)
    }

    @Test("the replay gates refuse the reference variant with a named message")
    func referenceVariantRefused() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("synfire-replay-\(UUID())").path
        var options = NBPTrainOptions(out: out)
        options.variant = .reference
        options.schedule = NBPLearningSchedule(initialExponent: 1, gate: .replay)
        #expect {
            try NBPRunner.train(options) { _ in }
        } throws: { error in
            "\(error)".contains("--variant chip")
        }
        #expect(!FileManager.default.fileExists(atPath: out), "no run directory for a refused run")
    }
}
