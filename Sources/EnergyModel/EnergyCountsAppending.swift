import NeuroChip

extension EnergyCounts {
    /// The counts of a run that continued after the one `self` counts (a resumed training
    /// run): every count added, samples and steps added, per-sample totals concatenated.
    /// Counts are sums over steps, so the result equals what one recorder would have
    /// produced over both parts. Both documents must describe the same circuit (placement,
    /// steps per sample); otherwise the problems are listed.
    public func appending(_ later: EnergyCounts) throws(EnergyCountsError) -> EnergyCounts {
        var problems: [String] = []
        if placement != later.placement { problems.append("the placements differ") }
        var result = self
        result.training = ModeCounts.joined(training, later.training, mode: "training", problems: &problems)
        result.inference = ModeCounts.joined(inference, later.inference, mode: "inference", problems: &problems)
        guard problems.isEmpty else {
            throw .invalid(origin: "appending counts (\(description))", problems: problems)
        }
        return result
    }
}

extension ModeCounts {
    static func joined(_ first: ModeCounts?, _ later: ModeCounts?, mode: String, problems: inout [String])
        -> ModeCounts?
    {
        guard let first else { return later }
        guard let later else { return first }
        if first.stepsPerSample != later.stepsPerSample {
            problems.append("\(mode): \(first.stepsPerSample) and \(later.stepsPerSample) steps per sample")
        }
        if first.placement != later.placement { problems.append("\(mode): the mode placements differ") }
        var result = first
        result.samples += later.samples
        result.partialSamples += later.partialSamples
        result.steps += later.steps
        result.coreTotals = CoreCounts.summed(first.coreTotals, later.coreTotals)
        if let a = first.phases, let b = later.phases, a.count == b.count {
            result.phases = zip(a, b).map { a, b in
                PhaseCounts(
                    stepInSample: a.stepInSample, samples: a.samples + b.samples,
                    cores: CoreCounts.summed(a.cores, b.cores))
            }
        } else {
            result.phases = nil
        }
        if let a = first.sampleTotals, let b = later.sampleTotals {
            result.sampleTotals =
                a + b.map { SampleCounts(index: $0.index + a.count, steps: $0.steps, counts: $0.counts) }
        } else {
            result.sampleTotals = nil
        }
        return result
    }
}

extension CoreCounts {
    /// Per-core sums, in the order of `first`; cores only `second` has follow, ascending.
    static func summed(_ first: [CoreCounts], _ second: [CoreCounts]) -> [CoreCounts] {
        var added = Dictionary(
            second.map { ($0.core, $0.counts) },
            uniquingKeysWith: {
                var sum = $0
                sum += $1
                return sum
            })
        var result = first.map { record -> CoreCounts in
            var sum = record.counts
            if let other = added.removeValue(forKey: record.core) { sum += other }
            return CoreCounts(core: record.core, counts: sum)
        }
        result += added.keys.sorted().map { CoreCounts(core: $0, counts: added[$0]!) }
        return result
    }
}
