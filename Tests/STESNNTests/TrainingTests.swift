import Foundation
import SynfireData
import Testing

@testable import STESNN

@Suite struct TrainingTests {
    func embeddedSplits(limit: Int) throws -> DataSplits {
        let train = try DatasetCatalog.loadEmbedded(.mnist, split: .train).dataset
        let test = try DatasetCatalog.loadEmbedded(.mnist, split: .test).dataset
        return try DataSplits(trainSet: train, testSet: test, limit: limit)
    }

    /// Same seed → bit-identical parameters and metrics; another seed → different ones.
    @Test func trainingIsDeterministic() throws {
        let splits = try embeddedSplits(limit: 200)
        func run(seed: UInt64) throws -> ([ParameterBlock], [Double]) {
            let options = try STETrainingOptions(
                architecture: .mlp256, mode: .di, timeSteps: 2, epochs: 2, seed: seed, evaluationRuns: 1)
            let trainer = try STETrainer(options: options, splits: splits)
            let outcome = try trainer.train()
            return (outcome.parameters, outcome.history.map(\.trainLoss))
        }
        let a = try run(seed: 5)
        let b = try run(seed: 5)
        let c = try run(seed: 6)
        #expect(a.0 == b.0)
        #expect(a.1 == b.1)
        #expect(a.0 != c.0)
        // Training reduces the loss even on this tiny set.
        #expect(a.1[1] < a.1[0])
    }

    /// The embedded subset is split 5/6 training, 1/6 validation (as 50 000 / 10 000).
    @Test func splitsFollowTheSpec() throws {
        let train = try DatasetCatalog.loadEmbedded(.mnist, split: .train).dataset
        let test = try DatasetCatalog.loadEmbedded(.mnist, split: .test).dataset
        let splits = try DataSplits(trainSet: train, testSet: test, limit: nil)
        #expect(splits.validation.count == train.count / 6)
        #expect(splits.train.count == train.count - train.count / 6)
        #expect(splits.validation.labels.last == train.labels.last)
        #expect(STEPipeline.sweep(upTo: 16) == [1, 2, 4, 8, 16])
        #expect(STEPipeline.sweep(upTo: 5) == [1, 2, 4, 5])
    }

    /// End-to-end (slow; CI runs it with SYNFIRE_E2E=1): a short DI MLP-1024 run on the
    /// embedded subset (833 training images, 15 epochs = 135 updates) must clearly learn,
    /// and more time steps must not hurt.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SYNFIRE_E2E"] == "1"))
    func e2eShortTrainingRunsLearn() throws {
        let train = try DatasetCatalog.loadEmbedded(.mnist, split: .train).dataset
        let test = try DatasetCatalog.loadEmbedded(.mnist, split: .test).dataset
        let splits = try DataSplits(trainSet: train, testSet: test, limit: nil)
        let options = try STETrainingOptions(
            architecture: .mlp, mode: .di, timeSteps: 8, epochs: 15, seed: 1, evaluationRuns: 2)
        let trainer = try STETrainer(options: options, splits: splits)
        _ = try trainer.train()
        let result = try evaluateDI(
            network: trainer.network, images: splits.test, sweep: [1, 8], runs: 2, seed: 9)
        #expect((result.accuracy(at: 8) ?? 0) > 0.6)
        #expect((result.accuracy(at: 8) ?? 0) >= (result.accuracy(at: 1) ?? 1) - 0.01)
    }
}
