import Foundation
import SynfireArrays
import SynfireIO

/// Spike rasters of one presentation with the teacher on and plasticity off, for the
/// "before/after learning" figures: input, hidden, output and error neurons.
public struct PresentationRaster: Sendable, Equatable {
    public var label: Int
    public var input: [SpikeEvent]
    public var neurons: [NeuronSpike]
    public var teacherSteps: [[Int]]
}

/// Records rasters for the first test sample of each class (teacher of its class on,
/// every neuron simulated, weights untouched).
public func recordRasters(
    network: ErrorPropNetwork, data: TaskDataset, training: TrainingParameters
) -> [PresentationRaster] {
    (0..<2).compactMap { label in
        guard let sample = data.test.first(where: { $0.label == label }) else { return nil }
        var scratch = network
        let options = PresentationOptions(
            teacherClass: label, plastic: false, teacherRate: training.teacherRate,
            wrongTeacherRate: training.wrongTeacherRate,
            teacherFirstStep: training.teacherFirstStep,
            simulateErrorNeurons: true, record: true, simulateHiddenErrorNeurons: true)
        let r = simulatePresentation(
            network: &scratch, pattern: sample, steps: data.parameters.presentationSteps,
            options: options)
        return PresentationRaster(
            label: label, input: sample.events, neurons: r.spikes, teacherSteps: r.teacherSteps)
    }
}

/// Writing and reading an error-propagation run directory (SynfireIO `RunDirectory`):
/// config.json (the full `ErrorPropConfiguration`), metrics.jsonl (one `EpochRecord` per
/// epoch, epoch 0 first), weights.npz and weights-initial.npz (`W_in`, `W_out`,
/// connectivity), rasters.npz (before/after learning), summary.json.
public enum ErrorPropRun {
    public static let command = "errorprop train"

    /// Creates the run directory and writes its config (fails if it already holds a run).
    public static func create(at path: String, configuration: ErrorPropConfiguration) throws
        -> RunDirectory
    {
        let parameters = try RecordValue(encoding: configuration)
        guard case .object(let object) = parameters else {
            throw ErrorPropError.runDirectoryUnusable(
                path: path, reason: "configuration did not encode as an object")
        }
        return try RunDirectory.create(
            at: path,
            config: RunConfig(command: command, seed: configuration.masterSeed, parameters: object))
    }

    public static func weightsArchive(_ network: ErrorPropNetwork) throws -> NPZArchive {
        let p = network.parameters
        return NPZArchive([
            (
                "W_in",
                try NDArray(shape: [p.hiddenCount, p.inputCount], float64: network.inputWeights)
            ),
            (
                "W_out",
                try NDArray(shape: [p.outputCount, p.hiddenCount], float64: network.outputWeights)
            ),
            (
                "connections",
                try NDArray(shape: [p.hiddenCount, p.inputCount], uint8: network.connections)
            ),
        ])
    }

    public static func rasterArchive(
        before: [PresentationRaster], after: [PresentationRaster], parameters p: NetworkParameters
    )
        throws -> NPZArchive
    {
        var pairs: [(String, NDArray)] = [
            (
                "population_bases",
                try NDArray(
                    shape: [6],
                    int32: [
                        0, p.outputBase, p.outputErrorPlusBase, p.outputErrorMinusBase,
                        p.hiddenErrorPlusBase,
                        p.hiddenErrorMinusBase,
                    ].map(Int32.init))
            )
        ]
        for (phase, rasters) in [("before", before), ("after", after)] {
            for r in rasters {
                let tag = "\(phase)_\(r.label == 0 ? "A" : "B")"
                pairs.append(
                    (
                        "\(tag)_input",
                        try NDArray(
                            shape: [r.input.count, 2],
                            int32: r.input.flatMap { [$0.step, $0.channel] })
                    ))
                pairs.append(
                    (
                        "\(tag)_neurons",
                        try NDArray(
                            shape: [r.neurons.count, 2],
                            int32: r.neurons.flatMap { [$0.step, $0.neuron] })
                    ))
                let teacher = r.teacherSteps.enumerated().flatMap { k, steps in
                    steps.flatMap { [Int32($0), Int32(k)] }
                }
                pairs.append(
                    ("\(tag)_teacher", try NDArray(shape: [teacher.count / 2, 2], int32: teacher)))
            }
        }
        return NPZArchive(pairs)
    }

    /// Reads a finished run back: its configuration and the trained network.
    public static func load(at path: String) throws -> (ErrorPropConfiguration, ErrorPropNetwork) {
        let run: RunDirectory
        do {
            run = try RunDirectory.open(at: path)
        } catch {
            throw ErrorPropError.modelFileUnreadable(path: path, reason: "\(error)")
        }
        guard run.config.command == command else {
            throw ErrorPropError.modelFileUnreadable(
                path: path,
                reason: "it holds a '\(run.config.command)' run, not an error-propagation run")
        }
        let configuration: ErrorPropConfiguration
        do {
            let data = try JSONEncoder().encode(RecordValue.object(run.config.parameters))
            configuration = try JSONDecoder().decode(ErrorPropConfiguration.self, from: data)
        } catch {
            throw ErrorPropError.modelFileUnreadable(
                path: run.configPath, reason: "configuration unreadable: \(error)")
        }
        var network = try ErrorPropNetwork(
            parameters: configuration.network, masterSeed: configuration.masterSeed)
        let weightsPath = path + "/weights.npz"
        do {
            let archive = try NPZArchive.read(from: weightsPath)
            let p = configuration.network
            network.inputWeights = try archive.float64(
                "W_in", shape: [p.hiddenCount, p.inputCount])
            network.outputWeights = try archive.float64(
                "W_out", shape: [p.outputCount, p.hiddenCount])
            guard
                try archive.uint8("connections", shape: [p.hiddenCount, p.inputCount])
                    == network.connections
            else {
                throw ErrorPropError.modelFileUnreadable(
                    path: weightsPath,
                    reason: "its connectivity does not match the configuration's seed")
            }
        } catch let error as ErrorPropError {
            throw error
        } catch {
            throw ErrorPropError.modelFileUnreadable(path: weightsPath, reason: "\(error)")
        }
        return (configuration, network)
    }
}

extension ErrorPropRun {
    /// Writes everything but config.json and metrics.jsonl (written as training goes):
    /// weights before and after, rasters before and after learning, summary.json.
    public static func writeArtifacts(
        result: TrainingResult, data: TaskDataset, run: RunDirectory, wallSeconds: Double
    ) throws {
        try run.writeWeights(try weightsArchive(result.network))
        try run.writeWeights(try weightsArchive(result.initialNetwork), name: "weights-initial")
        let before = recordRasters(
            network: result.initialNetwork, data: data, training: result.configuration.training)
        let after = recordRasters(
            network: result.network, data: data, training: result.configuration.training)
        try run.writeWeights(
            try rasterArchive(
                before: before, after: after, parameters: result.configuration.network),
            name: "rasters")
        let summary: [String: RecordValue] = [
            "test_accuracy": .double(result.finalTestAccuracy),
            "count_only_accuracy": .double(result.countOnlyAccuracy),
            "population_timing_accuracy": .double(result.populationTimingAccuracy),
            "epochs": .int(result.epochsRun),
            "hidden_learning": .bool(result.configuration.training.hiddenRate > 0),
            "best_test_accuracy": .double(result.history.map(\.testAccuracy).max() ?? 0),
            "presentations": .int(result.presentations),
            "wall_seconds": .double(wallSeconds),
        ]
        try AtomicFile.write(
            string: RecordValue.jsonLine(summary) + "\n", to: run.path + "/summary.json")
        try writePlots(result: result, before: before, after: after, run: run)
    }
}
