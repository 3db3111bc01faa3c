import Foundation
import Testing

@testable import ErrorPropSNN

/// Templates (docs/errorprop.md, "Task"): 4 spikes on every channel, volley times sorted,
/// apart by the minimum gap and inside their slot, A and B with the same sorted spike times,
/// and A- and B-groups sharing exactly one channel pairwise.
@Test(arguments: [ErrorPropRandom.defaultMasterSeed, 1, 2])
func templatesHaveEqualCountsAndOrthogonalGroups(seed: UInt64) throws {
    let p = TaskParameters()
    let t = try makeTemplates(p, masterSeed: seed)
    for label in 0..<2 {
        #expect(t.pattern(label: label).counts(channels: 16) == [Int](repeating: 4, count: 16))
    }
    for slot in 0..<p.slots {
        let times = t.volleyTimes[slot]
        #expect(times == times.sorted())
        for (a, b) in zip(times, times.dropFirst()) { #expect(b - a >= p.minimumGapSteps) }
        for time in times {
            #expect((slot * 500 + 50..<slot * 500 + 450).contains(time))
        }
        #expect(t.steps[0][slot].sorted() == t.steps[1][slot].sorted())
        for a in t.groupsA[slot] {
            for b in t.groupsB[slot] { #expect(Set(a).intersection(b).count == 1) }
        }
    }
}

@Test func samplesKeepCountsAndAreDeterministic() throws {
    let a = try TaskDataset(masterSeed: 7)
    let b = try TaskDataset(masterSeed: 7)
    #expect(a.train == b.train && a.test == b.test)
    #expect(a.train.count == 200 && a.test.count == 200)
    for s in a.train + a.test {
        #expect(s.counts(channels: 16) == [Int](repeating: 4, count: 16))
        #expect(s.events == s.events.sorted())
        #expect(s.events.allSatisfy { (0..<2000).contains(Int($0.step)) })
    }
    #expect(a.train[0].label == 0 && a.train[1].label == 1)
    // Held-out: test jitter comes from another stream than training jitter.
    #expect(a.train[0] != a.test[0])
    // Jitter moves spikes by about σ_j = 10 steps around the template.
    let template = a.templates.pattern(label: 0)
    #expect(a.train[0] != template)
}

@Test func changingTheTestSetLeavesTemplatesAndTrainingUnchanged() throws {
    var p = TaskParameters()
    let base = try TaskDataset(parameters: p, masterSeed: 3)
    p.testPerClass = 10
    let smaller = try TaskDataset(parameters: p, masterSeed: 3)
    #expect(base.templates == smaller.templates)
    #expect(base.train == smaller.train)
    #expect(Array(base.test.prefix(20)) == smaller.test)
}

@Test func countOnlyControlScoresExactlyChanceWithDefaults() throws {
    for seed: UInt64 in [ErrorPropRandom.defaultMasterSeed, 1, 2] {
        let data = try TaskDataset(masterSeed: seed)
        #expect(RateControl.countOnlyAccuracy(data) == 0.5)
        let timing = RateControl.populationTimingAccuracy(data)
        #expect(abs(timing - 0.5) <= 0.07, "population-timing control \(timing)")
    }
}

@Test func countOnlyControlStaysNearChanceWithDropsAndNoise() throws {
    var p = TaskParameters()
    p.dropProbability = 0.1
    p.noiseRate = 5
    let data = try TaskDataset(parameters: p, masterSeed: ErrorPropRandom.defaultMasterSeed)
    // With drops and noise the counts vary, so this is a real classification.
    #expect(Set(data.test.map { $0.counts(channels: 16) }).count > 1)
    let accuracy = RateControl.countOnlyAccuracy(data)
    #expect(abs(accuracy - 0.5) <= 0.05, "count-only accuracy \(accuracy)")
    let timing = RateControl.populationTimingAccuracy(data)
    #expect(abs(timing - 0.5) <= 0.07, "population-timing accuracy \(timing)")
}

@Test func nearestCentroidSeparatesSeparableCountsSoTheControlCanFail() {
    // The control is not constant: on features that do differ it scores 100 %.
    let train = [([1.0, 0.0], 0), ([0.0, 1.0], 1)]
    let test = [([0.9, 0.1], 0), ([0.2, 0.8], 1)]
    #expect(RateControl.nearestCentroidAccuracy(train: train, test: test) == 1)
}

@Test func invalidTaskParametersNameTheFix() {
    var p = TaskParameters()
    p.channels = 15
    #expect(throws: ErrorPropError.self) { try TaskDataset(parameters: p, masterSeed: 1) }
    p = TaskParameters()
    p.minimumGapSteps = 200
    do {
        _ = try makeTemplates(p, masterSeed: 1)
        Issue.record("expected an error")
    } catch let error as ErrorPropError {
        #expect(error.description.contains("minimumGapSteps"))
    } catch { Issue.record("unexpected \(error)") }
    p = TaskParameters()
    p.dropProbability = 1.5
    #expect(throws: ErrorPropError.self) { try p.validate() }
}
