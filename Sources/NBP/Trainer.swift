import SynfireRandom

/// The host's draws of a run, shared by every engine: seeded per-epoch shuffles, the
/// per-sample learning gate, the replay gates; and the passes that train and evaluate.
public enum NBPTrainer {
    /// The order of epoch `epoch` (1-based): a Fisher-Yates shuffle from a generator seeded by
    /// (seed, epoch), so a resumed run sees the same orders as an uninterrupted one.
    public static func order(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var generator = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(epoch))
        var order = Array(0..<count)
        if count < 2 { return order }
        for index in stride(from: count - 1, to: 0, by: -1) {
            let other = Int(generator.next().multipliedFullWidth(by: UInt64(index + 1)).high)
            order.swapAt(index, other)
        }
        return order
    }

    /// The per-sample learning gate of epoch `epoch` (1-based), by position in the epoch's
    /// order: open with probability `numerator / 65536`, drawn from a stream seeded by
    /// (seed, epoch) apart from the shuffle's, so a resumed run gates as an uninterrupted one.
    /// nil when every gate is open. This is the host's part, like the input and target
    /// spikes: it decides whether `in_skip` fires for a sample.
    public static func learningGate(count: Int, seed: UInt64, epoch: Int, numerator: UInt32) -> [Bool]? {
        if numerator >= 65536 { return nil }
        var generator = SplitMix64(seed: (seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(epoch)) ^ 0xA076_1D64_78BD_642F)
        return (0..<count).map { _ in generator.accept(numerator: numerator) }
    }

    /// The replay gates of epoch `epoch` (1-based), nil when everything is replayed.
    public static func replayGate(seed: UInt64, epoch: Int, schedule: NBPLearningSchedule, hidden: Int)
        -> NBPReplayGate?
    {
        replayGate(seed: seed, epoch: epoch, schedule: schedule, hiddenLayers: [hidden])
    }

    /// The same for a network with the hidden layers `hiddenLayers` (widths, layer 1 first).
    public static func replayGate(seed: UInt64, epoch: Int, schedule: NBPLearningSchedule, hiddenLayers: [Int])
        -> NBPReplayGate?
    {
        let inputs = schedule.inputGateNumerator(epoch: epoch)
        let units = schedule.hiddenGateNumerator(epoch: epoch)
        if inputs >= 65536 && units >= 65536 { return nil }
        return NBPReplayGate(
            seed: seed, epoch: epoch, inputNumerator: inputs, hiddenNumerator: units, hiddenLayers: hiddenLayers)
    }

    /// Trains one pass over `set` in `order`; returns how many samples were exact before
    /// their update. `learns[position]` (when given) opens or closes the learning gate of the
    /// sample at that position; `replay` (when given) draws each sample's replayed inputs.
    /// `progress` is called every `progressEvery` samples.
    public static func trainPass(
        engine: NBPEngine, set: NBPEncodedSet, order: [Int], learns: [Bool]? = nil, replay: NBPReplayGate? = nil,
        progressEvery: Int = 0, progress: ((Int) -> Void)? = nil
    ) -> Int {
        var gates = NBPEpochGates(learns: learns, replay: replay)
        var exact = 0
        for (position, index) in order.enumerated() {
            let sample = set.sample(index)
            if engine.train(sample, gates: gates.next(for: sample, at: position)).exact { exact += 1 }
            if progressEvery > 0, (position + 1) % progressEvery == 0 { progress?(position + 1) }
        }
        return exact
    }

    /// Inference over the whole set, in order.
    public static func evaluate(engine: NBPEngine, set: NBPEncodedSet) -> NBPAccuracy {
        var exact = 0
        var argmax = 0
        var argmaxInput = 0
        for index in 0..<set.count {
            let sample = set.sample(index)
            let outcome = engine.infer(sample)
            if outcome.exact { exact += 1 }
            if outcome.firstActive == sample.label { argmax += 1 }
            if outcome.argmaxInput == sample.label { argmaxInput += 1 }
        }
        return NBPAccuracy(
            samples: set.count, exactCount: exact, argmaxCount: argmax, argmaxInputCount: argmaxInput)
    }

    /// Outputs at inference for every sample (for engine comparisons).
    public static func outputs(engine: NBPEngine, set: NBPEncodedSet) -> [UInt64] {
        (0..<set.count).map { engine.infer(set.sample($0)).outputBits }
    }
}

/// The host's gates for the samples of one epoch: the per-sample learning gate (by
/// position in the epoch's order) and the replay draws (in training order).
public struct NBPEpochGates {
    var learns: [Bool]?
    var replay: NBPReplayGate?

    public init(learns: [Bool]?, replay: NBPReplayGate?) {
        self.learns = learns
        self.replay = replay
    }

    /// The epoch's gates under `schedule` for a set of `count` samples.
    public init(seed: UInt64, epoch: Int, count: Int, schedule: NBPLearningSchedule, hidden: Int) {
        self.init(seed: seed, epoch: epoch, count: count, schedule: schedule, hiddenLayers: [hidden])
    }

    /// The same for a network with the hidden layers `hiddenLayers` (widths, layer 1 first).
    public init(seed: UInt64, epoch: Int, count: Int, schedule: NBPLearningSchedule, hiddenLayers: [Int]) {
        learns = NBPTrainer.learningGate(
            count: count, seed: seed, epoch: epoch, numerator: schedule.sampleGateNumerator(epoch: epoch))
        replay = NBPTrainer.replayGate(seed: seed, epoch: epoch, schedule: schedule, hiddenLayers: hiddenLayers)
    }

    /// The gates of the sample at `position` (draws the replays: call once per sample, in order).
    @inline(__always)
    public mutating func next(for sample: NBPSample, at position: Int) -> NBPSampleGates {
        let learns = learns?[position] ?? true
        guard replay != nil else { return learns ? .open : NBPSampleGates(learns: false) }
        return replay!.gates(for: sample.active, learns: learns)
    }
}

/// The host's replay draws of one epoch (`NBPLearningGate.input` / `.replay`): per
/// training sample, one draw per hidden unit for phase 5 and one for phase 9 (when W2 is
/// gated), then one per active input for phase 7 and one for phase 11 (inputs ascending),
/// from a stream seeded by (seed, epoch) apart from the shuffle's and the sample gate's,
/// so both engines and a resumed run replay the same. The host does not know which hidden
/// units fire, so it draws for all of them; vetoing a silent unit changes nothing.
/// With several hidden layers (docs/nbp.md, "Deeper networks") the hidden draws run over
/// the layers from the top down (layer H's + and - halves, then layer H - 1's, ...), before
/// the inputs': a draw's place in the stream is fixed by (sample, layer, half, unit), and
/// one hidden layer draws exactly as above.
public struct NBPReplayGate {
    var generator: SplitMix64
    public let inputNumerator: UInt32
    public let hiddenNumerator: UInt32
    /// Hidden units of all layers (the length of the masks).
    public let hidden: Int
    /// Widths of the hidden layers, layer 1 first; layer l's units start at the sum of the
    /// widths below it in the masks.
    public let hiddenLayers: [Int]
    // Reused from sample to sample: the gates handed out share them until the next draw.
    private var potentiation: [Int32] = []
    private var depression: [Int32] = []
    private var potentiationHidden: [UInt8]
    private var depressionHidden: [UInt8]

    public init(seed: UInt64, epoch: Int, inputNumerator: UInt32, hiddenNumerator: UInt32, hidden: Int) {
        self.init(
            seed: seed, epoch: epoch, inputNumerator: inputNumerator, hiddenNumerator: hiddenNumerator,
            hiddenLayers: [hidden])
    }

    public init(seed: UInt64, epoch: Int, inputNumerator: UInt32, hiddenNumerator: UInt32, hiddenLayers: [Int]) {
        generator = SplitMix64(seed: (seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(epoch)) ^ 0xE703_7ED1_A0B4_28DB)
        self.inputNumerator = inputNumerator
        self.hiddenNumerator = hiddenNumerator
        self.hiddenLayers = hiddenLayers
        hidden = hiddenLayers.reduce(0, +)
        potentiationHidden = [UInt8](repeating: 1, count: hidden)
        depressionHidden = [UInt8](repeating: 1, count: hidden)
    }

    /// Draws the replays of the next sample (its active inputs, ascending).
    public mutating func gates(for active: ArraySlice<Int32>, learns: Bool) -> NBPSampleGates {
        let gatesHidden = hiddenNumerator < 65536
        if gatesHidden {
            var end = hidden
            for width in hiddenLayers.reversed() {
                let units = (end - width)..<end
                for j in units { potentiationHidden[j] = generator.accept(numerator: hiddenNumerator) ? 1 : 0 }
                for j in units { depressionHidden[j] = generator.accept(numerator: hiddenNumerator) ? 1 : 0 }
                end -= width
            }
        }
        potentiation.removeAll(keepingCapacity: true)
        depression.removeAll(keepingCapacity: true)
        let gatesInputs = inputNumerator < 65536
        if gatesInputs {
            for input in active where generator.accept(numerator: inputNumerator) { potentiation.append(input) }
            for input in active where generator.accept(numerator: inputNumerator) { depression.append(input) }
        }
        return NBPSampleGates(
            learns: learns, potentiationReplay: gatesInputs ? potentiation : nil,
            depressionReplay: gatesInputs ? depression : nil,
            potentiationHidden: gatesHidden ? potentiationHidden : nil,
            depressionHidden: gatesHidden ? depressionHidden : nil)
    }

    /// The same for a caller holding the active inputs as a buffer (tests).
    mutating func withGates<Result>(
        active: UnsafeBufferPointer<Int32>, learns: Bool, _ body: (NBPSampleGates) -> Result
    ) -> Result {
        body(gates(for: Array(active)[...], learns: learns))
    }
}

extension SplitMix64 {
    /// True with probability `numerator / 65536` (one draw, its top 16 bits).
    @inline(__always)
    mutating func accept(numerator: UInt32) -> Bool {
        UInt32(truncatingIfNeeded: next() >> 48) < numerator
    }
}

/// Accuracy of one pass over a set: the three measures of docs/nbp.md, "Accuracy".
public struct NBPAccuracy: Codable, Equatable, Sendable {
    public var samples: Int
    public var exact: Double
    public var argmax: Double
    public var argmaxInput: Double

    public init(samples: Int, exactCount: Int, argmaxCount: Int, argmaxInputCount: Int) {
        self.samples = samples
        let denominator = Double(max(samples, 1))
        exact = Double(exactCount) / denominator
        argmax = Double(argmaxCount) / denominator
        argmaxInput = Double(argmaxInputCount) / denominator
    }
}

/// Per-epoch record of a training run.
public struct NBPEpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    /// Exact match of the forward pass during training (before each sample's update).
    public var trainExact: Double
    public var test: NBPAccuracy
    public var updateExponent: Int
    public var seconds: Double
}
