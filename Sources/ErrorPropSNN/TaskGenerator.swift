import Foundation

/// Parameters of the equal-rate timing task (docs/errorprop.md "Task", normative defaults).
public struct TaskParameters: Codable, Sendable, Equatable {
    public var channels = 16  // N_in
    public var presentationSteps = 2000  // T = 200 ms
    public var slots = 4  // S
    public var volleysPerSlot = 4  // G
    public var volleyWindowStart = 50  // steps after slot start (5 ms)
    public var volleyWindowLength = 400  // window [50, 450)
    public var minimumGapSteps = 80  // d_min (8 ms)
    public var jitterSD = 1e-3  // σ_j [s]
    public var dropProbability = 0.0  // p_drop
    public var noiseRate = 0.0  // ν_noise [Hz]
    public var trainPerClass = 100  // N_train
    public var testPerClass = 100  // N_test

    public init() {}

    /// m = N_in / G, channels per volley.
    public var channelsPerVolley: Int { channels / volleysPerSlot }
    public var slotSteps: Int { presentationSteps / slots }

    public func validate() throws {
        func bad(_ name: String, _ value: Any, _ expected: String) -> ErrorPropError {
            .invalidParameter(name: name, value: "\(value)", expected: expected)
        }
        guard volleysPerSlot >= 1 else { throw bad("volleysPerSlot", volleysPerSlot, ">= 1") }
        guard channels >= volleysPerSlot, channels % volleysPerSlot == 0 else {
            throw bad(
                "channels", channels, "a positive multiple of volleysPerSlot (\(volleysPerSlot))")
        }
        // B-group h fires at τ_{k,h}, so there can be at most G B-groups (m <= G).
        guard channelsPerVolley <= volleysPerSlot else {
            throw bad(
                "channels", channels, "at most volleysPerSlot² (m = N_in/G must not exceed G)")
        }
        guard slots >= 1, presentationSteps % slots == 0 else {
            throw bad(
                "slots", slots, "a positive divisor of presentationSteps (\(presentationSteps))")
        }
        guard volleyWindowStart >= 0, volleyWindowLength >= 1,
            volleyWindowStart + volleyWindowLength <= slotSteps
        else {
            throw bad(
                "volleyWindowLength", volleyWindowLength,
                "a window inside one slot of \(slotSteps) steps")
        }
        guard minimumGapSteps >= 0,
            (volleysPerSlot - 1) * minimumGapSteps < volleyWindowLength
        else {
            throw bad(
                "minimumGapSteps", minimumGapSteps, "small enough that G volleys fit in the window")
        }
        guard jitterSD >= 0, jitterSD.isFinite else {
            throw bad("jitterSD", jitterSD, ">= 0 seconds")
        }
        guard (0..<1).contains(dropProbability) else {
            throw bad("dropProbability", dropProbability, "a probability in [0, 1)")
        }
        guard noiseRate >= 0 else { throw bad("noiseRate", noiseRate, ">= 0 Hz") }
        guard trainPerClass >= 1, testPerClass >= 1 else {
            throw bad(
                "trainPerClass/testPerClass", "\(trainPerClass)/\(testPerClass)",
                ">= 1 sample per class")
        }
    }
}

/// One input spike: channel `channel` fires with index `step`.
public struct SpikeEvent: Codable, Sendable, Equatable, Comparable {
    public var step: Int32
    public var channel: Int32

    public init(step: Int, channel: Int) {
        self.step = Int32(step)
        self.channel = Int32(channel)
    }

    public static func < (l: SpikeEvent, r: SpikeEvent) -> Bool {
        (l.step, l.channel) < (r.step, r.channel)
    }
}

/// A labelled input sample: events sorted by step, then channel; duplicates kept (docs/errorprop.md "Task").
public struct SpikePattern: Codable, Sendable, Equatable {
    public var label: Int  // 0 = A, 1 = B
    public var events: [SpikeEvent]

    /// Spike counts per channel (the rate-only features of docs/errorprop.md "Task").
    public func counts(channels: Int) -> [Int] {
        var c = [Int](repeating: 0, count: channels)
        for e in events { c[Int(e.channel)] += 1 }
        return c
    }
}

/// The class templates of docs/errorprop.md "Task": the spike step of every channel in every slot, plus the
/// groupings used to build them (kept for the structural checks of docs/errorprop.md "Validation against the model").
public struct TaskTemplates: Sendable, Equatable {
    /// `steps[class][slot][channel]`.
    public var steps: [[[Int]]]
    /// `volleyTimes[slot][g]`, ascending.
    public var volleyTimes: [[Int]]
    /// `groupsA[slot][g]` and `groupsB[slot][h]`: channels firing together.
    public var groupsA: [[[Int]]]
    public var groupsB: [[[Int]]]

    public func pattern(label: Int) -> SpikePattern {
        var events: [SpikeEvent] = []
        for slot in steps[label] {
            for (channel, step) in slot.enumerated() {
                events.append(SpikeEvent(step: step, channel: channel))
            }
        }
        events.sort()
        return SpikePattern(label: label, events: events)
    }
}

/// Which held-out split a sample belongs to; each uses its own jitter/noise stream.
public enum TaskSplit: String, Codable, Sendable {
    case train, test
}

/// The generated data set: templates plus jittered training and test samples.
/// `train[2i + c]` is training sample `i` of class `c` (the jitter index of docs/errorprop.md "Task").
public struct TaskDataset: Sendable {
    public var parameters: TaskParameters
    public var masterSeed: UInt64
    public var templates: TaskTemplates
    public var train: [SpikePattern]
    public var test: [SpikePattern]

    public init(
        parameters: TaskParameters = TaskParameters(), masterSeed: UInt64,
        dt: Double = defaultTimeStep
    )
        throws
    {
        try parameters.validate()
        self.parameters = parameters
        self.masterSeed = masterSeed
        let templates = try makeTemplates(parameters, masterSeed: masterSeed)
        self.templates = templates
        train = (0..<(2 * parameters.trainPerClass)).map {
            makeSample(
                templates, parameters, masterSeed: masterSeed, split: .train, index: $0, dt: dt)
        }
        test = (0..<(2 * parameters.testPerClass)).map {
            makeSample(
                templates, parameters, masterSeed: masterSeed, split: .test, index: $0, dt: dt)
        }
    }
}

/// Template construction of docs/errorprop.md "Task", drawn from `rng(master, TEMPLATE, 0)` in the model's fixed order.
public func makeTemplates(_ p: TaskParameters, masterSeed: UInt64) throws -> TaskTemplates {
    try p.validate()
    var rng = ErrorPropRandom(master: masterSeed, stream: .template, index: 0)
    let g = p.volleysPerSlot
    let m = p.channelsPerVolley
    var stepsA = [[Int]](repeating: [Int](repeating: 0, count: p.channels), count: p.slots)
    var stepsB = stepsA
    var volleyTimes: [[Int]] = []
    var groupsA: [[[Int]]] = []
    var groupsB: [[[Int]]] = []
    for k in 0..<p.slots {
        // 1. Volley times with rejection of the whole set when any gap is below d_min.
        var times: [Int] = []
        var attempts = 0
        while true {
            times = (0..<g).map { _ in
                k * p.slotSteps + p.volleyWindowStart + rng.uniformInt(p.volleyWindowLength)
            }
            let sorted = times.sorted()
            let ok = zip(sorted, sorted.dropFirst()).allSatisfy { $1 - $0 >= p.minimumGapSteps }
            if ok {
                times = sorted
                break
            }
            attempts += 1
            if attempts > 1_000_000 { throw ErrorPropError.templateDrawFailed(slot: k) }
        }
        volleyTimes.append(times)
        // 2. Class-A grouping from a uniform permutation of the channels.
        let pi = rng.permutation(p.channels)
        let a = (0..<g).map { Array(pi[($0 * m)..<($0 * m + m)]) }
        // 3. Class-B grouping: B-group h takes position σ_g[h] of every A-group g.
        var b = [[Int]](repeating: [], count: m)
        for group in 0..<g {
            let sigma = rng.permutation(m)
            for h in 0..<m { b[h].append(a[group][sigma[h]]) }
        }
        for (group, channels) in a.enumerated() {
            for ch in channels { stepsA[k][ch] = times[group] }
        }
        for (h, channels) in b.enumerated() { for ch in channels { stepsB[k][ch] = times[h] } }
        groupsA.append(a)
        groupsB.append(b)
    }
    return TaskTemplates(
        steps: [stepsA, stepsB], volleyTimes: volleyTimes, groupsA: groupsA, groupsB: groupsB)
}

/// One jittered sample (docs/errorprop.md "Task"): sample `index = 2i + c` of the split, from its own stream.
public func makeSample(
    _ templates: TaskTemplates, _ p: TaskParameters, masterSeed: UInt64, split: TaskSplit,
    index: Int,
    dt: Double = defaultTimeStep
) -> SpikePattern {
    let label = index % 2
    var rng = ErrorPropRandom(
        master: masterSeed, stream: split == .train ? .jitterTrain : .jitterTest, index: index)
    let jitterSteps = p.jitterSD / dt
    var events: [SpikeEvent] = []
    events.reserveCapacity(p.slots * p.channels)
    for slot in templates.steps[label] {
        for (channel, step) in slot.enumerated() {
            if p.dropProbability > 0, rng.uniform() < p.dropProbability { continue }
            let z = rng.gaussian()
            // Round half away from zero (Swift's default rounding rule), then clamp.
            let moved = step + Int((jitterSteps * z).rounded())
            events.append(
                SpikeEvent(step: min(max(moved, 0), p.presentationSteps - 1), channel: channel))
        }
    }
    if p.noiseRate > 0 {
        var noise = ErrorPropRandom(
            master: masterSeed, stream: split == .train ? .noiseTrain : .noiseTest, index: index)
        let probability = p.noiseRate * dt
        for channel in 0..<p.channels {
            for step in 0..<p.presentationSteps where noise.uniform() < probability {
                events.append(SpikeEvent(step: step, channel: channel))
            }
        }
    }
    events.sort()
    return SpikePattern(label: label, events: events)
}
