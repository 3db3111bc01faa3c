import Foundation
import SynfireIO

extension ErrorPropRun {
    /// Learning curve (test and, when evaluated, training accuracy per epoch) and the
    /// before/after rasters of input, hidden, output, error neurons and teachers.
    static func writePlots(
        result: TrainingResult, before: [PresentationRaster], after: [PresentationRaster],
        run: RunDirectory
    ) throws {
        let c = result.configuration
        var series = [
            LearningCurvePlot.Series(
                name: "test", values: result.history.map(\.testAccuracy), firstEpoch: 0)
        ]
        let train = result.history.compactMap(\.trainAccuracy)
        if train.count == result.history.count {
            series.append(.init(name: "train", values: train, firstEpoch: 0, dashed: true))
        }
        let curve = LearningCurvePlot(
            title: "Error-propagation SNN: accuracy per epoch",
            subtitle: "\(c.network.inputWiring.rawValue) wiring, eta_o \(c.training.outputRate), "
                + "eta_h \(c.training.hiddenRate), half-life \(c.training.learningRateHalfLife), seed \(c.masterSeed)",
            series: series, target: .init(value: 0.9, label: "acceptance 90%"), yRange: 0...100)
        _ = try run.writePlot(curve, name: "learning-curve")
        for (phase, rasters) in [("before", before), ("after", after)] {
            for r in rasters {
                let tag = r.label == 0 ? "A" : "B"
                _ = try run.writePlot(
                    rasterPlot(
                        r, parameters: c.network, steps: c.task.presentationSteps, phase: phase),
                    name: "raster-\(phase)-\(tag)")
            }
        }
    }

    /// Rows: inputs, then every neuron in the global order of docs/errorprop.md "Neuron model", then the teachers.
    public static func rasterPlot(
        _ r: PresentationRaster, parameters p: NetworkParameters, steps: Int, phase: String
    ) -> SpikeRasterPlot {
        let nIn = p.inputCount
        let teacherBase = nIn + p.neuronCount
        var spikes = r.input.map { (time: Int($0.step), neuron: Int($0.channel)) }
        spikes += r.neurons.map { (time: Int($0.step), neuron: nIn + Int($0.neuron)) }
        for (k, steps) in r.teacherSteps.enumerated() {
            spikes += steps.map { (time: $0, neuron: teacherBase + k) }
        }
        let groups: [SpikeRasterPlot.Group] = [
            .init(name: "input", neurons: 0..<nIn),
            .init(name: "hidden", neurons: nIn..<(nIn + p.outputBase)),
            .init(name: "output", neurons: (nIn + p.outputBase)..<(nIn + p.outputErrorPlusBase)),
            .init(
                name: "E+o", neurons: (nIn + p.outputErrorPlusBase)..<(nIn + p.outputErrorMinusBase)
            ),
            .init(
                name: "E-o", neurons: (nIn + p.outputErrorMinusBase)..<(nIn + p.hiddenErrorPlusBase)
            ),
            .init(
                name: "E+h", neurons: (nIn + p.hiddenErrorPlusBase)..<(nIn + p.hiddenErrorMinusBase)
            ),
            .init(name: "E-h", neurons: (nIn + p.hiddenErrorMinusBase)..<teacherBase),
            .init(name: "teacher", neurons: teacherBase..<(teacherBase + p.outputCount)),
        ]
        return SpikeRasterPlot(
            title:
                "Class \(r.label == 0 ? "A" : "B") \(phase) learning (teacher on, plasticity off)",
            subtitle: "one held-out sample; 0.1 ms steps", timeSteps: steps,
            neuronCount: teacherBase + p.outputCount,
            spikes: spikes, groups: groups)
    }

    /// Test-accuracy curves of several runs in one figure (docs: with vs without hidden
    /// learning). `runs` pairs a legend name with a run directory.
    public static func comparisonPlot(runs: [(name: String, path: String)], title: String) throws
        -> LearningCurvePlot
    {
        var series: [LearningCurvePlot.Series] = []
        for (index, run) in runs.enumerated() {
            let metrics = try RunDirectory.open(at: run.path).readMetrics()
            let values = metrics.compactMap { $0["testAccuracy"]?.doubleValue }
            let first = metrics.first?["epoch"]?.intValue ?? 0
            series.append(
                .init(name: run.name, values: values, firstEpoch: first, dashed: index % 2 == 1))
        }
        return LearningCurvePlot(
            title: title, series: series, target: .init(value: 0.9, label: "acceptance 90%"),
            yRange: 0...100)
    }
}
