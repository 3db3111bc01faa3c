import Foundation
import Testing

@testable import ErrorPropSNN

func temporaryDirectory() -> String {
    NSTemporaryDirectory() + "errorprop-test-" + UUID().uuidString
}

@Test func runDirectoryRoundTripsConfigurationAndWeights() throws {
    var c = ErrorPropPreset.readoutOnly(seed: 5)
    c.task.trainPerClass = 3
    c.task.testPerClass = 3
    c.training.epochs = 1
    let data = try TaskDataset(parameters: c.task, masterSeed: c.masterSeed)
    let result = try train(configuration: c, dataset: data)
    #expect(result.history.count == 2 && result.presentations == 2 * 12 + 6)
    let path = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: path) }
    let run = try ErrorPropRun.create(at: path, configuration: c)
    for record in result.history { try run.appendMetrics(record) }
    try ErrorPropRun.writeArtifacts(result: result, data: data, run: run, wallSeconds: 1)
    for file in [
        "config.json", "metrics.jsonl", "weights.npz", "weights-initial.npz", "rasters.npz",
        "summary.json",
    ] {
        #expect(FileManager.default.fileExists(atPath: path + "/" + file), "\(file) missing")
    }
    #expect(FileManager.default.fileExists(atPath: path + "/plots/learning-curve.svg"))
    #expect(FileManager.default.fileExists(atPath: path + "/plots/raster-after-B.png"))
    let (loaded, network) = try ErrorPropRun.load(at: path)
    #expect(loaded == c)
    #expect(network == result.network)
    // A second run into the same directory is refused, leaving the first intact.
    #expect(throws: (any Error).self) { try ErrorPropRun.create(at: path, configuration: c) }
    #expect(try ErrorPropRun.load(at: path).1 == result.network)
}

@Test func loadingAMissingRunNamesTheFix() {
    let path = temporaryDirectory()
    do {
        _ = try ErrorPropRun.load(at: path)
        Issue.record("expected an error")
    } catch let error as ErrorPropError {
        #expect(error.description.contains(path))
        #expect(error.description.contains("synfire errorprop train --out"))
    } catch { Issue.record("unexpected \(error)") }
}

@Test func presetsAreValidAndQuickScalesTheHalfLife() throws {
    for wiring in InputWiring.allCases {
        try ErrorPropPreset.readoutOnly(wiring: wiring).validate()
        try ErrorPropPreset.hiddenLearning(wiring: wiring).validate()
    }
    let hidden = ErrorPropPreset.hiddenLearning()
    #expect(hidden.training.hiddenRate > 0 && hidden.training.learningRateHalfLife == 8)
    let quick = ErrorPropPreset.quick(hidden)
    #expect(quick.training.epochs == 12 && !quick.training.evaluateTrainSet)
    #expect(abs(quick.training.learningRateHalfLife - 3.2) < 1e-12)
    #expect(hidden.training.rateScale(epoch: 1) == 1 && hidden.training.rateScale(epoch: 9) == 0.5)
    #expect(ErrorPropPreset.readoutOnly().training.rateScale(epoch: 30) == 1)
}
