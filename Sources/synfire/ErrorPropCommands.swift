import ArgumentParser
import ErrorPropSNN
import Foundation

/// `synfire errorprop ...`: the error-propagation SNN (Cartiglia, Haessig, Indiveri 2021).
struct ErrorPropCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "errorprop",
        abstract: "Error-propagation SNN: spiking error neurons and local learning of spike timing.",
        subcommands: [ErrorPropTrainCommand.self]
    )
}

struct ErrorPropTrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train on the equal-rate timing task and report held-out accuracy.")

    @Option(help: "Master seed of every random stream.") var seed: UInt64 = SpecRandom.defaultMasterSeed
    @Option(help: "Epochs.") var epochs: Int?
    @Option(help: "Input wiring: sparse or dense.") var wiring: String = "sparse"
    @Option(help: "Output learning rate.") var etaO: Double?
    @Option(help: "Hidden learning rate.") var etaH: Double?
    @Option(help: "Learning-rate half-life in epochs (0 = constant).") var halfLife: Double?
    @Option(help: "Teacher rate (Hz).") var teacherRate: Double?
    @Option(help: "Wrong teacher rate (Hz).") var wrongTeacherRate: Double?
    @Option(help: "Gate: voltage or postTrace.") var gate: String?
    @Option(help: "Error-neuron bias (pA).") var errorBias: Double?
    @Flag(help: "No lateral inhibition.") var noLateral = false
    @Flag(help: "Skip train-set evaluation.") var noTrainEval = false
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        var c = ErrorPropConfiguration()
        c.masterSeed = seed
        c.network.inputWiring = InputWiring(rawValue: wiring) ?? .sparse
        if let epochs { c.training.epochs = epochs }
        if let etaO { c.training.outputRate = etaO }
        if let etaH { c.training.hiddenRate = etaH }
        if let halfLife { c.training.learningRateHalfLife = halfLife }
        if let teacherRate { c.training.teacherRate = teacherRate }
        if let wrongTeacherRate { c.training.wrongTeacherRate = wrongTeacherRate }
        if let gate { c.network.gate = HiddenGate(rawValue: gate) ?? .voltage }
        if let errorBias { c.network.errorNeuron.biasCurrent = errorBias * 1e-12 }
        if noLateral { c.network.lateralInhibition = false }
        if noTrainEval { c.training.evaluateTrainSet = false }
        let start = Date()
        let result = try train(configuration: c) { r in
            logLine(
                String(
                    format: "epoch %2d test %.3f train %@ rates A %.1f/%.1f B %.1f/%.1f err %.1f %.1f %.1f %.1f dIn %.4f dOut %.4f",
                    r.epoch, r.testAccuracy, r.trainAccuracy.map { String(format: "%.3f", $0) } ?? "-",
                    r.meanOutputRates[0][0], r.meanOutputRates[0][1], r.meanOutputRates[1][0],
                    r.meanOutputRates[1][1], r.meanErrorRates[0], r.meanErrorRates[1], r.meanErrorRates[2],
                    r.meanErrorRates[3], r.meanAbsDeltaInput, r.meanAbsDeltaOutput))
        }
        logLine(String(format: "wall %.1f s", Date().timeIntervalSince(start)))
        if json {
            try printJSONResult([
                "test_accuracy": JSONValue.number(result.finalTestAccuracy),
                "count_only_accuracy": .number(result.countOnlyAccuracy),
                "epochs": .integer(result.epochsRun),
                "hidden_learning": .bool(c.training.hiddenRate > 0),
            ])
        }
    }
}
