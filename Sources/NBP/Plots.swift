import SynfireData
import SynfireIO

/// The run directory's figures: learning curve against the paper, a 12-phase spike
/// raster of one training sample on the chip circuit, hidden-unit receptive fields.
public enum NBPPlots {
    public static func write(
        run: RunDirectory, history: [NBPEpochRecord], weights: NBPWeights, dataset: DatasetName,
        sample: NBPEncodedSet
    ) throws -> [String] {
        var files: [String] = []
        if !history.isEmpty {
            let curve = learningCurve(history: history, title: "nBP on \(dataset.rawValue) (\(weights.sizes))", dataset: dataset)
            files += try run.writePlot(curve, name: "learning-curve")
        }
        files += try run.writePlot(try raster(weights: weights, set: sample), name: "spike-raster")
        files += try run.writePlot(receptiveFields(weights), name: "receptive-fields")
        return files
    }

    /// Test accuracy per epoch against the paper's figure; dashed: training exact match.
    public static func learningCurve(history: [NBPEpochRecord], title: String, dataset: DatasetName) -> LearningCurvePlot {
        let target = NBPPaperTarget.exact(for: dataset)
        let first = history.first?.epoch ?? 1
        return LearningCurvePlot(
            title: title, subtitle: "test accuracy per epoch; dashed: training exact match",
            series: [
                .init(name: "test exact", values: history.map(\.test.exact), firstEpoch: first),
                .init(name: "test argmax", values: history.map(\.test.argmax), firstEpoch: first),
                .init(name: "test argmax-input", values: history.map(\.test.argmaxInput), firstEpoch: first),
                .init(name: "train exact", values: history.map(\.trainExact), firstEpoch: first, dashed: true),
            ],
            target: .init(value: target.value, label: target.label))
    }

    /// Runs one training sample (the first of `set`) through a fresh chip circuit built
    /// from `weights`, a spike observer attached, and draws every population's spikes
    /// across the 12 phases.
    public static func raster(weights: NBPWeights, set: NBPEncodedSet) throws -> SpikeRasterPlot {
        let engine = try NBPChipEngine(weights: weights)
        var spikes: [(step: Int, population: String, index: Int)] = []
        engine.spikeObserver = { step, fired in
            for (population, indices) in fired { for index in indices { spikes.append((step, population, index)) } }
        }
        _ = engine.train(set.sample(0))
        let circuit = engine.circuit
        let first = circuit.phaseOneStep(sample: 0)
        var offsets: [String: Int] = [:]
        var groups: [SpikeRasterPlot.Group] = []
        var next = 0
        for population in circuit.populations {
            offsets[population.name] = next
            // The one-neuron gates share a band: their spikes step down it phase by phase.
            if population.isGate, let last = groups.last, last.name == "gates" {
                groups[groups.count - 1].neurons = last.neurons.lowerBound..<(next + population.size)
            } else {
                groups.append(
                    .init(name: population.isGate ? "gates" : population.name, neurons: next..<(next + population.size))
                )
            }
            next += population.size
        }
        let points = spikes.compactMap { spike -> (time: Int, neuron: Int)? in
            let time = spike.step - first
            guard time >= 0, time < circuit.stepsPerSample, let offset = offsets[spike.population] else { return nil }
            return (time, offset + spike.index)
        }
        let phases = (0..<circuit.stepsPerSample).map {
            SpikeRasterPlot.Phase(start: $0, end: $0 + 1, label: "\($0 + 1)")
        }
        return SpikeRasterPlot(
            title: "nBP training sample on the chip: 12 phases (label \(set.labels[0]))",
            subtitle: "phase 1 = x fires; 5, 7 reward (potentiation); 9, 11 depression",
            timeSteps: circuit.stepsPerSample, neuronCount: next, spikes: points, phases: phases, groups: groups,
            xLabel: "phase (time step within the sample)", yLabel: "population (neurons)",
            // Two pixels per gate, so the gate chain reads as a staircase.
            minimumGroupHeight: 24)
    }

    /// The first 40 hidden units' W1 rows as images.
    public static func receptiveFields(_ weights: NBPWeights) -> ImageGridPlot {
        let side = Int(Double(weights.sizes.input).squareRoot())
        let square = side * side == weights.sizes.input
        let rows = square ? side : 1
        let columns = square ? side : weights.sizes.input
        let count = min(40, weights.sizes.hidden)
        let images = (0..<count).map { j in
            weights.w1[(j * weights.sizes.input)..<((j + 1) * weights.sizes.input)].map(Double.init)
        }
        return ImageGridPlot(
            title: "Receptive fields of hidden units 0-\(count - 1) (W1 rows)", subtitle: "chip units, -256...254",
            images: images, rows: rows, columns: columns, gridColumns: 10, colorScale: .diverging,
            labels: (0..<count).map { "h\($0)" })
    }
}

extension NBPPlots {
    /// The test set's confusion matrix in the argmax-input measure (the class whose output
    /// neuron gets the largest input; rows: true class).
    public static func confusionMatrix(engine: NBPEngine, set: NBPEncodedSet, title: String) -> ConfusionMatrixPlot {
        let classes = engine.sizes.output
        var counts = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for sample in 0..<set.count {
            let label = Int(set.labels[sample])
            let active = Array(set.indices[set.offsets[sample]..<set.offsets[sample + 1]])
            let outcome = active.withUnsafeBufferPointer { engine.infer(active: $0, label: label) }
            if label < classes, outcome.argmaxInput < classes { counts[label][outcome.argmaxInput] += 1 }
        }
        let correct = (0..<classes).reduce(0) { $0 + counts[$1][$1] }
        return ConfusionMatrixPlot(
            title: title,
            subtitle: String(
                format: "argmax-input %.2f%% of %d test images; colour: share of the true class",
                100 * Double(correct) / Double(max(1, set.count)), set.count),
            counts: counts, classNames: (0..<classes).map(String.init))
    }

    /// One curve per run (`name`, its metrics): the chosen measure per epoch against the
    /// paper's figure (docs/nbp.md, the accuracy study's figures).
    public static func comparison(
        runs: [(name: String, history: [NBPEpochRecord])], dataset: DatasetName, measure: NBPMeasure
    ) -> LearningCurvePlot {
        let target = NBPPaperTarget.exact(for: dataset)
        return LearningCurvePlot(
            title: "nBP on \(dataset.rawValue): test \(measure.rawValue) per epoch",
            subtitle: "one curve per run",
            series: runs.map { run in
                .init(
                    name: run.name, values: run.history.map { measure.value(of: $0.test) },
                    firstEpoch: run.history.first?.epoch ?? 1)
            },
            target: .init(value: target.value, label: target.label))
    }

    /// Reads a run directory's per-epoch metrics (`metrics.jsonl`).
    public static func history(runDirectory path: String) throws -> [NBPEpochRecord] {
        try RunDirectory.open(at: path).readMetrics().map { try NBPEpochRecord(record: $0) }
    }
}

/// The three accuracy measures (docs/nbp.md, "Accuracy").
public enum NBPMeasure: String, CaseIterable, Sendable {
    case exact
    case argmax
    case argmaxInput = "argmax-input"

    public func value(of accuracy: NBPAccuracy) -> Double {
        switch self {
        case .exact: return accuracy.exact
        case .argmax: return accuracy.argmax
        case .argmaxInput: return accuracy.argmaxInput
        }
    }
}
