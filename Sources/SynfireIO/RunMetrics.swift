// RunMetrics: the shared vocabulary of metrics.jsonl lines, and the plots a run directory
// can always regenerate from them.
//
// API
//   MetricKey.epoch / .trainAccuracy / .testAccuracy / .validationAccuracy / .loss /
//            .samplesPerSecond / .energyMicrojoulesPerSample / .wallSeconds
//   LearningCurvePlot(metrics: try run.readMetrics(), title: "nBP on MNIST",
//                     target: .init(value: 0.9474, label: "paper 94.74%"))
//       one series per "*Accuracy" key (train first, then test/validation, then others),
//       x = "epoch"; fractions (<= 1) are shown as percent
//   try RunDirectory.start(out: out, resume: resume, config: config,
//                          allowingChanges: ["epochs"]) -> (RunDirectory, TrainingState?)
//       the `--out` / `--resume` pair every training command takes
//
// Trainers that write these key names get `synfire run plot` and `synfire run show` for free.

import Foundation

/// Standard metrics.jsonl keys (camelCase, values as fractions where they are rates).
public enum MetricKey {
    public static let epoch = "epoch"
    public static let trainAccuracy = "trainAccuracy"
    public static let testAccuracy = "testAccuracy"
    public static let validationAccuracy = "validationAccuracy"
    public static let loss = "loss"
    public static let samplesPerSecond = "samplesPerSecond"
    public static let energyMicrojoulesPerSample = "energyMicrojoulesPerSample"
    public static let wallSeconds = "wallSeconds"
    /// Epoch numbers a learning curve accepts; a record outside is not plotted (one
    /// value per epoch is allocated between the first and last, docs/robustness.md).
    public static let epochRange = 0...1_000_000
    /// Accuracy values a learning curve accepts: fractions or percent. Anything else
    /// (NaN, 1e308, a negative number) is drawn as a gap.
    public static let accuracyRange = 0.0...100.0
    /// k of the update probability p = 2^-k (nBP's learning-rate schedule).
    public static let updateExponent = "update_exponent"
}

extension LearningCurvePlot {
    /// A learning curve from metrics.jsonl records: every accuracy key (ending in "Accuracy",
    /// or nBP's train_/test_ + exact / argmax / argmax_input) becomes a series over the
    /// records' "epoch" values (records without an epoch are skipped).
    public init(
        metrics: [[String: RecordValue]], title: String, subtitle: String? = nil,
        target: Target? = nil
    ) {
        let epochs = metrics.compactMap { record -> (Int, [String: RecordValue])? in
            guard let epoch = record[MetricKey.epoch]?.intValue, MetricKey.epochRange.contains(epoch) else {
                return nil
            }
            return (epoch, record)
        }
        let keys = Set(epochs.flatMap { $0.1.keys.filter(LearningCurvePlot.isAccuracy) })
        let preferred = [
            MetricKey.trainAccuracy, MetricKey.testAccuracy, MetricKey.validationAccuracy,
        ]
        let ordered = preferred.filter(keys.contains) + keys.subtracting(preferred).sorted()
        let firstEpoch = epochs.map(\.0).min() ?? 1
        let lastEpoch = epochs.map(\.0).max() ?? 1
        var series: [Series] = []
        var maximum = 0.0
        for key in ordered {
            // One value per epoch; the last record of an epoch wins; gaps are NaN.
            var values = [Double](repeating: .nan, count: max(0, lastEpoch - firstEpoch + 1))
            for (epoch, record) in epochs {
                if let v = record[key]?.doubleValue, MetricKey.accuracyRange.contains(v) {
                    values[epoch - firstEpoch] = v
                }
            }
            maximum = max(maximum, values.filter(\.isFinite).max() ?? 0)
            let name = LearningCurvePlot.seriesName(key)
            series.append(
                Series(name: name, values: values, firstEpoch: firstEpoch, dashed: name.hasPrefix("train")))
        }
        let scale = maximum > 1 ? 1.0 : 100.0
        var shownTarget = target.flatMap { MetricKey.accuracyRange.contains($0.value) ? $0 : nil }
        if scale == 1, let t = shownTarget, t.value <= 1 { shownTarget?.value = t.value * 100 }
        self.init(
            title: title, subtitle: subtitle, series: series, target: shownTarget,
            valueScale: scale)
    }

    /// "testAccuracy" -> "test", "test_argmax_input" -> "test argmax-input".
    static func seriesName(_ key: String) -> String {
        if key.hasSuffix("Accuracy") { return String(key.dropLast("Accuracy".count)) }
        let words = key.replacingOccurrences(of: "_", with: " ")
        return words.replacingOccurrences(of: "argmax input", with: "argmax-input")
    }

    static func isAccuracy(_ key: String) -> Bool {
        if key.hasSuffix("Accuracy") { return true }
        let parts = key.split(separator: "_", maxSplits: 1).map(String.init)
        return parts.count == 2 && ["train", "test", "validation"].contains(parts[0])
            && ["exact", "argmax", "argmax_input"].contains(parts[1])
    }
}

extension RunDirectory {
    /// The `--out DIR` / `--resume DIR` pair: exactly one must be given. `out` creates a new
    /// run (refusing a directory that holds one); `resume` continues one after checking its
    /// config. Returns the checkpointed state to restore, or nil to start from scratch.
    public static func start(
        out: String?, resume: String?, config: RunConfig, allowingChanges: Set<String> = []
    ) throws -> (RunDirectory, TrainingState?) {
        switch (out, resume) {
        case (let out?, nil):
            return (try create(at: out, config: config), nil)
        case (nil, let resume?):
            return try self.resume(at: resume, config: config, allowingChanges: allowingChanges)
        case (.some, .some):
            throw RunDirectoryError.conflictingOptions
        case (nil, nil):
            throw RunDirectoryError.missingOutput
        }
    }
}
