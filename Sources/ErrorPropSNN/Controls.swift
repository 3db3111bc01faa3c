/// The rate-only controls of docs/errorprop.md "Task": nearest-centroid classifiers that see
/// only spike counts, which must score chance because both classes have equal counts.
public enum RateControl {
    /// Nearest class centroid (Euclidean) with centroids from `train`; a tie scores 0.5.
    public static func nearestCentroidAccuracy(train: [([Double], Int)], test: [([Double], Int)])
        -> Double
    {
        guard let dimension = train.first?.0.count, !test.isEmpty else { return 0 }
        var sums = [[Double]](repeating: [Double](repeating: 0, count: dimension), count: 2)
        var counts = [0, 0]
        for (x, label) in train {
            counts[label] += 1
            for d in 0..<dimension { sums[label][d] += x[d] }
        }
        let centroids = (0..<2).map { c in sums[c].map { $0 / Double(max(counts[c], 1)) } }
        var score = 0.0
        for (x, label) in test {
            let distances = centroids.map { c in
                zip(x, c).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            }
            if distances[0] == distances[1] {
                score += 0.5
            } else if (distances[0] < distances[1] ? 0 : 1) == label {
                score += 1
            }
        }
        return score / Double(test.count)
    }

    /// Features: spike count per channel.
    public static func countFeatures(_ pattern: SpikePattern, channels: Int) -> [Double] {
        pattern.counts(channels: channels).map(Double.init)
    }

    /// Features: population spike counts in bins of `binSteps` (5 ms → 40 bins).
    public static func populationTimingFeatures(
        _ pattern: SpikePattern, presentationSteps: Int, binSteps: Int = 50
    )
        -> [Double]
    {
        var bins = [Double](repeating: 0, count: (presentationSteps + binSteps - 1) / binSteps)
        for e in pattern.events { bins[Int(e.step) / binSteps] += 1 }
        return bins
    }

    /// The count-only control on a data set (the `count_only_accuracy` of the CLI).
    public static func countOnlyAccuracy(_ data: TaskDataset) -> Double {
        let n = data.parameters.channels
        return nearestCentroidAccuracy(
            train: data.train.map { (countFeatures($0, channels: n), $0.label) },
            test: data.test.map { (countFeatures($0, channels: n), $0.label) })
    }

    /// The population-timing control on a data set.
    public static func populationTimingAccuracy(_ data: TaskDataset) -> Double {
        let t = data.parameters.presentationSteps
        return nearestCentroidAccuracy(
            train: data.train.map {
                (populationTimingFeatures($0, presentationSteps: t), $0.label)
            },
            test: data.test.map { (populationTimingFeatures($0, presentationSteps: t), $0.label) })
    }
}
