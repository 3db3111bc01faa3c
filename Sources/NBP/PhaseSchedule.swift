import EnergyModel

/// When each part of the nBP circuit runs, derived from the number of hidden layers H
/// (docs/nbp.md, "Phases"). A training sample is one step per phase:
///
/// - the forward pass: x in phase 1, hidden layer l in phase l + 1, the output o (with the
///   target t) in phase H + 2;
/// - the output error d+ / d- in phase H + 3;
/// - then one block of eight phases per hidden layer, from the top (H) down to 1. Block l
///   carries the error of the layer above into l's backward population (`carry`), thresholds
///   it there (`error`, g+ / g-), updates W_l where l's derivative gate is open (`update`)
///   and inhibits what the update's replays reach (`cleanUp`): first for the positive error
///   (potentiation, reward), then for the negative one (depression).
///
/// One hidden layer gives the paper's 12 phases; every hidden layer adds nine (one forward
/// phase and a block). Gates fire one step before the phase they open; gate k opens phase k,
/// gate 0 the last phase.
public struct NBPPhaseSchedule: Sendable, Equatable, Hashable {
    /// The sign of the error a half-block carries: positive (the weights rise, the reward
    /// channel is on) or negative (they fall).
    public enum Sign: Int, Sendable, CaseIterable {
        case plus = 0
        case minus = 1
    }

    /// The four kinds of phase of a half-block, in order.
    public enum Step: Int, Sendable, CaseIterable {
        /// The error of the layer above reaches the layer's backward population through the
        /// transposed copy and M; the copies (and, for the top block, the output weights)
        /// learn on the replayed hidden activity.
        case carry = 1
        /// The backward population fires where the carried error is positive (g+ or g-).
        case error = 2
        /// The layer below is replayed and the layer fires where g and its derivative gate b
        /// agree: W_l learns.
        case update = 3
        /// The replay's sums reach the layer, and the layer's spikes the layer above: both
        /// are inhibited.
        case cleanUp = 4
    }

    /// Number of hidden layers (1 = the papers' circuit).
    public let hiddenLayers: Int

    public init(hiddenLayers: Int) {
        precondition(hiddenLayers >= 1, "the nBP circuit has at least one hidden layer")
        self.hiddenLayers = hiddenLayers
    }

    /// Steps (= phases) of a training sample: 9H + 3.
    public var stepsPerSample: Int { 9 * hiddenLayers + 3 }
    /// Steps of an inference sample: the forward pass and the step that closes it.
    public var inferenceStepsPerSample: Int { hiddenLayers + 3 }

    /// Phase in which layer `layer` fires in the forward pass: 0 = x, 1...H the hidden
    /// layers, H + 1 the output.
    public func forward(_ layer: Int) -> Int { layer + 1 }
    /// The output (o and its copies) and the target t.
    public var output: Int { hiddenLayers + 2 }
    /// The output error d+ / d-.
    public var outputError: Int { hiddenLayers + 3 }

    /// Phase of `step` of the `sign` half of hidden layer `layer`'s block.
    public func phase(_ step: Step, _ sign: Sign, layer: Int) -> Int {
        precondition((1...hiddenLayers).contains(layer), "hidden layer \(layer) of \(hiddenLayers)")
        return outputError + 8 * (hiddenLayers - layer) + 4 * sign.rawValue + step.rawValue
    }

    /// Phases with the reward channel on: the carry and update of every positive half.
    public var rewardPhases: [Int] {
        (1...hiddenLayers).reversed().flatMap { layer in
            [phase(.carry, .plus, layer: layer), phase(.update, .plus, layer: layer)]
        }
    }

    /// The hidden layer, step and sign of a phase of the blocks; nil for the forward pass and
    /// the output error.
    public func halfBlock(of phase: Int) -> (layer: Int, step: Step, sign: Sign)? {
        let offset = phase - outputError - 1
        guard offset >= 0, offset < 8 * hiddenLayers else { return nil }
        let layer = hiddenLayers - offset / 8
        return (layer, Step(rawValue: offset % 4 + 1)!, Sign(rawValue: offset % 8 / 4)!)
    }
}

extension NBPPhaseSchedule {
    /// The schedule whose training (or inference) sample has `stepsPerSample` steps; nil
    /// when no depth has that many.
    public init?(mode: RunMode, stepsPerSample steps: Int) {
        let layers = mode == .training ? (steps - 3) / 9 : steps - 3
        guard layers >= 1 else { return nil }
        self.init(hiddenLayers: layers)
        if (mode == .training ? stepsPerSample : inferenceStepsPerSample) != steps { return nil }
    }

    /// What each step of a training sample does, by position in the sample: position 0 is
    /// the step before phase 1 (the last phase of the previous sample, when the input spikes
    /// are sent), position p the phase p.
    public var trainingStepLabels: [String] {
        let last = "phase \(stepsPerSample)/0: input spikes sent; outputs cleared"
        return [last] + (1..<stepsPerSample).map { "phase \($0): " + trainingLabel(phase: $0) }
    }

    /// The same for an inference sample.
    public var inferenceStepLabels: [String] {
        ["phase \(inferenceStepsPerSample)/0: input spikes sent", "phase 1: x fires"]
            + (1...hiddenLayers).map { "phase \(forward($0)): hidden \(unitName("h", $0))" }
            + ["phase \(output): output o"]
    }

    /// A hidden layer's name in labels: h, hm, hp with one hidden layer (the papers'),
    /// numbered (h2, hm2, ...) with more.
    func unitName(_ stem: String, _ layer: Int) -> String { hiddenLayers == 1 ? stem : stem + "\(layer)" }

    /// What phase `phase` (1 ..< stepsPerSample) of a training sample does.
    func trainingLabel(phase: Int) -> String {
        let top = hiddenLayers + 1
        if phase == forward(0) { return "x fires (input layer)" }
        if phase < output {
            let layer = phase - 1
            let stored = layer > 1 ? "; \(unitName("h", layer - 1)) stored" : ""
            return "hidden \(unitName("h", layer)), \(unitName("hm", layer)), \(unitName("hp", layer))" + stored
        }
        if phase == output { return "outputs o, om, op; target t; \(unitName("h", hiddenLayers)) stored" }
        if phase == outputError { return "output errors d+, d-" }
        guard let (layer, step, sign) = halfBlock(of: phase) else { return "" }
        let change = sign == .plus ? "+= 2" : "-= 2"
        let reward = sign == .plus ? " (reward)" : ""
        switch step {
        case .carry:
            let above = layer + 1
            let m = above == top ? "M" : "M\(above)"
            let weights = above == top ? "W\(above), W\(above)Tp" : "W\(above)Tp"
            return "\(weights) \(change); \(m) \(change)" + reward
        case .error:
            let extras = sign == .plus ? "; b" + (layer == 1 ? "; x stored" : "") : ""
            return "backward pass \(sign == .plus ? "g+" : "g-") (h\(layer)T)" + extras
        case .update:
            return "W\(layer) \(change)" + reward + (layer > 1 ? "; error stored" : "")
        case .cleanUp:
            return "clean-up (hidden inhibited)"
        }
    }
}
