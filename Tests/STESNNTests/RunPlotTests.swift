import Foundation
import SynfireIO
import Testing

@testable import STESNN

/// The learning curve lands in the run directory as plots/learning_curve.{png,svg,pdf},
/// drawn by SynfireIO.
@Test func learningCurveIsWrittenAsPNGSVGAndPDF() throws {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("ste-plots-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let options = try STETrainingOptions(architecture: .mlp, mode: .di, timeSteps: 16, epochs: 2)
    let run = try STERunDirectory.create(at: directory, options: options, datasets: [])
    let history = [
        EpochReport(
            epoch: 1, learningRate: 1e-3, trainLoss: 0.5, trainAccuracy: 0.81, validationLoss: 0.4,
            validationError: 0.12, seconds: 1, samplesPerSecond: 100),
        EpochReport(
            epoch: 2, learningRate: 1e-3, trainLoss: 0.3, trainAccuracy: 0.93, validationLoss: 0.3,
            validationError: 0.07, seconds: 1, samplesPerSecond: 100),
    ]
    let summary = STERunSummary(
        architecture: "mlp", mode: "di", network: "MLP-1024", parameters: 1, epochs: 2, bestEpoch: 2,
        seed: 1, timeSteps: 16, trainImages: 10, testImages: 10, testAccuracy: 0.9, trainAccuracy: 0.93,
        evaluationRuns: 1, accuracyByTimeSteps: [], ci: nil, energy: nil, trainSeconds: 2,
        trainSamplesPerSecond: 100, datasetNotice: nil)
    try STEPipeline.writePlots(history: history, summary: summary, runDirectory: run)
    let plots = directory + "/plots/"
    #expect(
        try FileManager.default.contentsOfDirectory(atPath: plots).sorted() == [
            "learning_curve.pdf", "learning_curve.png", "learning_curve.svg",
        ])
    let png = try #require(FileManager.default.contents(atPath: plots + "learning_curve.png"))
    #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    let svg = try String(contentsOfFile: plots + "learning_curve.svg", encoding: .utf8)
    #expect(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"))
    let texts = DrawingRecorder(STEPipeline.learningCurve(history: history, summary: summary)).strings
    #expect(texts.contains("MLP-1024: training"))
    #expect(texts.contains("validation (1 frame) (last 93.00%)"))
}
