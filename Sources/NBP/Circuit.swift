/// The nBP circuit (docs/nbp.md, "Phases", "Deeper networks") as plain data: populations,
/// spike generators, typed connections and the phase schedule (9H + 3 phases for H hidden
/// layers, the papers' 12 for one), for any layer sizes. `NBPCircuit.training` builds it
/// (CircuitWiring.swift); `networkDescription()` (ChipNetwork.swift) turns it into a
/// NeuroChip network.
public struct NBPCircuit: Codable, Equatable, Sendable {
    /// A population of identical memoryless compartments (docs/nbp.md, "Populations and connections").
    public struct Population: Codable, Equatable, Sendable {
        public var name: String
        public var size: Int
        public var role: String
        /// Refractory delay r (2 for most neurons, 1 for h1T and the gates).
        public var refractory: Int
        /// Bias in weight units: -8192 keeps a neuron silent unless a gate lifts it; gates 0.
        public var bias: Int
        /// Phases (1...stepsPerSample, the last = the clean-up phase opened by g00) in which it may fire;
        /// any other spike is a gate violation (docs/nbp.md, "Gate violations").
        public var phases: [Int]
        /// One neuron of the gating chain (bias 0, fires on a chain link alone).
        public var isGate: Bool
    }

    /// A source of externally timed spikes (a spike generator; docs/nbp.md, "Populations and
    /// connections").
    public struct Generator: Codable, Equatable, Sendable {
        public var name: String
        public var size: Int
        public var role: String
    }

    /// Connection types (docs/nbp.md, "Populations and connections").
    public enum Kind: String, Codable, Equatable, Sendable, CaseIterable {
        case p
        case oneE = "1e"
        case oneE_d1 = "1e_d1"
        case oneE_d3 = "1e_d3"
        case oneE_d4 = "1e_d4"
        case oneE_d5 = "1e_d5"
        case oneI = "1i"
        case oneI_d3 = "1i_d3"
        case oneGE = "1ge"
        case g
        case gm05
        case gp05
        case gi
        /// Beyond the paper's circuit: the strongest one-to-all inhibition (-255 x 2^7) for the hidden layer's
        /// clean-up phases 8 and 12, where x's replay delivers the whole hidden sum W1 x
        /// (docs/nbp.md, "Circuit deviation").
        case giHidden = "gi_hidden"
        case g1
        case g1s
        case g1_d4
        /// Training margin (docs/nbp.md): the gate g03 lifts o by a further +m ...
        case gMargin = "g_margin"
        /// ... and the target generator holds the labelled output back by -2m.
        case oneIMargin = "1i_margin"

        /// The fixed weight as the chip stores it (`NBPCircuitConstants`); nil for plastic `p`
        /// and the margin's connections, whose weight the circuit sets.
        public var chipWeight: NBPCircuitConstants.ChipWeight? {
            typealias C = NBPCircuitConstants
            switch self {
            case .p, .gMargin, .oneIMargin: return nil
            case .oneE, .oneE_d1, .oneE_d3, .oneE_d4, .oneE_d5: return C.relay
            case .oneI, .oneI_d3: return C.relay.negated
            case .oneGE: return C.chainLink
            case .g, .g1, .g1s, .g1_d4: return C.gate
            case .gm05: return C.halfLift
            case .gp05: return C.biasLift
            case .gi: return C.inhibition
            case .giHidden: return C.hiddenInhibition
            }
        }

        /// Weight in weight units (the chip multiplies by 64); nil for plastic `p`.
        public var weight: Int? { chipWeight?.value }

        public var delay: Int {
            switch self {
            case .oneE_d1: return 1
            case .oneE_d3, .oneI_d3: return 3
            case .oneE_d4, .g1_d4: return 4
            case .oneE_d5: return 5
            default: return 0
            }
        }

        /// The same connection without its delay (1e for 1e_d4, g1 for g1_d4, ...).
        public var undelayed: Kind {
            switch self {
            case .oneE_d1, .oneE_d3, .oneE_d4, .oneE_d5: return .oneE
            case .oneI_d3: return .oneI
            case .g1_d4: return .g1
            default: return self
            }
        }

        public enum Pattern: String, Codable, Sendable { case oneToOne, oneToAll, allToAll }

        public var pattern: Pattern {
            switch self {
            case .p: return .allToAll
            case .g, .gm05, .gp05, .gi, .giHidden, .gMargin: return .oneToAll
            default: return .oneToOne
            }
        }
    }

    public struct Connection: Codable, Equatable, Sendable {
        public var source: String
        public var target: String
        public var kind: Kind
        /// For plastic connections: which of the eight matrices it carries (docs/nbp.md, "What is trained").
        public var matrix: String?
        /// Weight (weight units) of a connection whose kind has no fixed weight (the margin).
        public var weight: Int?
        /// Axon delay of a relay whose kind has none of that length (deeper circuits hold a
        /// layer for many phases); nil: the kind's.
        public var delay: Int?

        /// The axon delay the chip applies.
        public var axonDelay: Int { delay ?? kind.delay }

        /// The kind as named in the connection's name: 1e_d13 for a relay of explicit delay 13.
        public var kindLabel: String { delay.map { "\(kind.rawValue)_d\($0)" } ?? kind.rawValue }

        public var name: String { "\(source)->\(target):\(kindLabel)" }
    }

    /// Input, first hidden layer and output (all of a one-hidden-layer circuit).
    public var sizes: NBPSizes
    /// Every layer's size for more than one hidden layer; nil for one (`sizes` says all).
    public var layerSizes: NBPLayerSizes?
    public var populations: [Population]
    public var generators: [Generator]
    public var connections: [Connection]
    /// Learning rule of every `p` connection (docs/nbp.md, "The circuit's arithmetic").
    public var learningRule: String
    /// Steps per training sample and the schedule offsets (docs/nbp.md, "Timing").
    public var stepsPerSample: Int
    /// Absolute step at which `in_g` fires (g00 one step later).
    public var startStep: Int
    /// Offsets, relative to phase 1 of a sample, of the generator spikes: input and g01
    /// fire one step before phase 1, the target one step before the output phase, the
    /// reward in every carry+ and update+ phase (5 and 7 with one hidden layer).
    public var inputOffset: Int
    public var targetOffset: Int
    public var rewardOffsets: [Int]
    /// Offset of the `in_skip` spike that closes a sample's learning gate: emitted in
    /// phase 3, it inhibits d+ and d- in phase 4 (nil in the inference circuit).
    public var skipOffset: Int?
    /// Offsets of the `in_replay_veto` spikes of the input replay gate: emitted in phases 6
    /// and 10, they stop the chosen inputs' replay in phases 7 and 11 (empty when the
    /// circuit has no replay gate).
    public var replayVetoOffsets: [Int] = []
    /// Offsets of the `in_hidden_veto` spikes: emitted in phases 4 and 8, they stop m_h1's
    /// replay of the chosen hidden units into h1 and h1T in phases 5 and 9.
    public var hiddenVetoOffsets: [Int] = []
    /// Threshold of every neuron, weight units.
    public var threshold: Int
    /// Training margin m (0 = the paper): o fires in phase 3 when z > 512 + m for the
    /// labelled output and when z > 512 - m for the others (docs/nbp.md).
    public var margin: Int = 0

    /// Largest training margin: o must stay inside om's window (z > 0), and the margin
    /// weights must fit an 8-bit single-sign mantissa (2m = 255 * 2^1 at most).
    public static let maximumMargin = 254

    /// Refuses a training margin the circuit cannot realise (odd, negative or too wide).
    public static func validate(margin: Int) throws(NBPError) {
        if margin < 0 || margin > maximumMargin || margin % 2 != 0 { throw .invalidMargin(margin) }
    }

    /// Absolute step of phase 1 of training sample k (0-based): 14 + 12k for the default.
    public func phaseOneStep(sample: Int) -> Int { startStep + 3 + stepsPerSample * sample }

    /// Phase (1...12) of an absolute step; g00 opens phase 12.
    public func phase(ofStep step: Int) -> Int {
        let offset = (step - (startStep + 3)) % stepsPerSample
        return (offset + stepsPerSample) % stepsPerSample + 1
    }

    /// Most hidden layers the chip circuit holds: b, x's and h's memories wait up to
    /// 9(H - 1) + 3 phases, and the chip's axon delays end at 62.
    public static let maximumChipHiddenLayers = 7

    /// Hidden layers of this circuit.
    public var hiddenLayers: Int { layerSizes?.hiddenLayers ?? 1 }
    /// Every layer's size (input, hidden..., output).
    public var units: [Int] { layerSizes?.units ?? [sizes.input, sizes.hidden, sizes.output] }
    /// Offset from phase 1 of the step in which o fires (the output phase).
    public var outputOffset: Int { hiddenLayers + 1 }

    /// The training circuit for the given sizes (docs/nbp.md, "The circuit"); `margin` > 0 adds the two margin
    /// connections (docs/nbp.md, "Training margin"); `replayGate` adds the replay gates'
    /// generators and their one-to-one vetoes onto x, h1 and h1T (docs/nbp.md, "Replay
    /// gates").
    public static func training(sizes: NBPSizes, margin: Int = 0, replayGate: Bool = false) throws(NBPError)
        -> NBPCircuit
    {
        try sizes.validate()
        return try training(layers: NBPLayerSizes(sizes), margin: margin, replayGate: replayGate)
    }

    /// The training circuit for any number of hidden layers (docs/nbp.md, "Deeper
    /// networks"): 9H + 3 phases per sample, placed by `NBPPhaseSchedule`.
    public static func training(layers: NBPLayerSizes, margin: Int = 0, replayGate: Bool = false) throws(NBPError)
        -> NBPCircuit
    {
        try layers.validate()
        try validate(margin: margin)
        let hidden = layers.hiddenLayers
        if hidden > maximumChipHiddenLayers {
            throw .invalidOption(
                "the chip circuit holds at most \(maximumChipHiddenLayers) hidden layers (its relays wait 9(H - 1) + 3 "
                    + "phases, the chip's axon delays end at 62); use --engine fast for \(hidden) (docs/nbp.md, "
                    + "\"Deeper networks\")")
        }
        if replayGate && hidden > 1 {
            throw .invalidOption(
                "the replay gates are defined for one hidden layer; use --learning-gate sample with more (docs/nbp.md, "
                    + "\"Deeper networks\")")
        }
        let schedule = NBPPhaseSchedule(hiddenLayers: hidden)
        let rewards = schedule.rewardPhases.map(String.init)
        var generators = [
            Generator(name: "input", size: layers.input, role: "input pixels, one step before phase 1"),
            Generator(name: "in_tgt", size: layers.output, role: "one-hot target, phase \(schedule.output - 1)"),
            Generator(name: "in_g", size: 1, role: "starts the gate chain once"),
            Generator(
                name: "reward", size: 1,
                role: "reward channel, phases \(rewards.dropLast().joined(separator: ", ")) and \(rewards.last ?? "")"),
            Generator(
                name: "in_skip", size: 1,
                role: "learning gate: phase \(schedule.output) spike vetoes d+ and d-"),
        ]
        if replayGate {
            generators.append(
                Generator(
                    name: "in_replay_veto", size: layers.input,
                    role: "input replay gate: phases 6 and 10 veto x's replay"))
            generators.append(
                Generator(
                    name: "in_hidden_veto", size: layers.units[1],
                    role: "hidden replay gate: phases 4 and 8 veto m_h1's replay"))
        }
        var wiring = Wiring(layers: layers)
        wiring.forwardAndOutputError(margin: margin, replayGate: replayGate)
        wiring.carries()
        wiring.updates()
        wiring.gates()
        var circuit = NBPCircuit(
            sizes: NBPSizes(input: layers.input, hidden: layers.units[1], output: layers.output),
            layerSizes: hidden == 1 ? nil : layers, populations: trainingPopulations(layers), generators: generators,
            connections: wiring.connections, learningRule: learningRule(exponent: 0),
            stepsPerSample: schedule.stepsPerSample, startStep: 11, inputOffset: -1, targetOffset: schedule.output - 2,
            rewardOffsets: schedule.rewardPhases.map { $0 - 1 }, skipOffset: schedule.output - 1,
            threshold: NBPCircuitConstants.threshold, margin: margin)
        if replayGate {
            circuit.replayVetoOffsets = [5, 9]
            circuit.hiddenVetoOffsets = [3, 7]
        }
        try circuit.validate()
        return circuit
    }

    /// The inference circuit (docs/nbp.md, "Timing"): x, the hidden layers and o with fixed
    /// weights on an (H + 3)-gate chain, H + 3 steps per sample (4 with one hidden layer).
    public static func inference(sizes: NBPSizes) throws(NBPError) -> NBPCircuit {
        try sizes.validate()
        return try inference(layers: NBPLayerSizes(sizes))
    }

    /// The inference circuit for any number of hidden layers.
    public static func inference(layers: NBPLayerSizes) throws(NBPError) -> NBPCircuit {
        try layers.validate()
        let hidden = layers.hiddenLayers
        let chain = hidden + 3
        func neuron(_ name: String, _ size: Int, _ role: String, phase: Int) -> Population {
            Population(
                name: name, size: size, role: role, refractory: 2, bias: NBPCircuitConstants.bias, phases: [phase],
                isGate: false)
        }
        let schedule = NBPPhaseSchedule(hiddenLayers: hidden)
        var populations = [neuron("x", layers.input, "input layer", phase: 1)]
        for l in 1...hidden {
            populations.append(neuron("h\(l)", layers.units[l], "hidden \(schedule.unitName("h", l))", phase: l + 1))
        }
        populations.append(neuron("o", layers.output, "output o", phase: hidden + 2))
        for gate in 0..<chain {
            populations.append(
                Population(
                    name: gateName(gate), size: 1, role: "gate chain, opens phase \(gate == 0 ? chain : gate)",
                    refractory: 1, bias: 0, phases: [gateFiringPhase(gate, chain: chain)], isGate: true))
        }
        let generators = [
            Generator(name: "input", size: layers.input, role: "input pixels, one step before phase 1"),
            Generator(name: "in_g", size: 1, role: "starts the gate chain once"),
        ]
        let names = ["x"] + (1...hidden).map { "h\($0)" } + ["o"]
        var connections = [Connection(source: "input", target: "x", kind: .oneE, matrix: nil)]
        for l in 1...layers.weightLayers {
            connections.append(Connection(source: names[l - 1], target: names[l], kind: .p, matrix: "W\(l)"))
        }
        for (phase, name) in names.enumerated() {
            connections.append(Connection(source: gateName(phase + 1), target: name, kind: .g, matrix: nil))
        }
        connections.append(Connection(source: "in_g", target: "g00", kind: .oneGE, matrix: nil))
        for gate in 0..<chain {
            connections.append(
                Connection(source: gateName(gate), target: gateName((gate + 1) % chain), kind: .oneGE, matrix: nil))
        }
        let circuit = NBPCircuit(
            sizes: NBPSizes(input: layers.input, hidden: layers.units[1], output: layers.output),
            layerSizes: hidden == 1 ? nil : layers, populations: populations, generators: generators,
            connections: connections, learningRule: "", stepsPerSample: chain, startStep: 11, inputOffset: -1,
            targetOffset: 0, rewardOffsets: [], skipOffset: nil, threshold: NBPCircuitConstants.threshold)
        try circuit.validate()
        return circuit
    }

    /// A gate fires one step before the phase it opens (docs/nbp.md, "Timing": gNN firing in step s opens its
    /// targets in s+1), so g02 fires in phase 1 and g00 in phase 11 (12-gate chain).
    static func gateFiringPhase(_ gate: Int, chain: Int) -> Int { (gate + chain - 2) % chain + 1 }

    static func gateName(_ index: Int) -> String { index < 10 ? "g0\(index)" : "g\(index)" }

    /// Checks names, sizes, patterns and phases; reports every problem at once (docs/nbp.md, "Gate violations").
    public func validate() throws(NBPError) {
        var problems: [String] = []
        var sizeOf: [String: Int] = [:]
        for population in populations {
            if sizeOf[population.name] != nil { problems.append("duplicate population \(population.name)") }
            sizeOf[population.name] = population.size
            if population.size < 1 { problems.append("population \(population.name) is empty") }
            if population.phases.contains(where: { $0 < 1 || $0 > stepsPerSample }) {
                problems.append("population \(population.name) lists a phase outside 1...\(stepsPerSample)")
            }
        }
        for generator in generators {
            if sizeOf[generator.name] != nil { problems.append("duplicate name \(generator.name)") }
            sizeOf[generator.name] = generator.size
        }
        let targets = Set(populations.map(\.name))
        for connection in connections {
            guard let sourceSize = sizeOf[connection.source] else {
                problems.append("\(connection.name): unknown source \(connection.source)")
                continue
            }
            guard targets.contains(connection.target), let targetSize = sizeOf[connection.target] else {
                problems.append("\(connection.name): unknown target population \(connection.target)")
                continue
            }
            switch connection.kind.pattern {
            case .oneToOne where sourceSize != targetSize:
                problems.append(
                    "\(connection.name): one-to-one needs equal sizes, got \(sourceSize) -> \(targetSize)")
            case .oneToAll where sourceSize != 1:
                problems.append("\(connection.name): a gate connection needs a single-neuron source")
            default: break
            }
            if !(0...62).contains(connection.axonDelay) {
                problems.append("\(connection.name): axon delay \(connection.axonDelay) is outside the chip's 0...62")
            }
            if connection.kind.weight == nil && connection.kind != .p && connection.weight == nil {
                problems.append("\(connection.name): a \(connection.kind.rawValue) connection needs a weight")
            }
            if connection.kind == .p && connection.matrix == nil {
                problems.append("\(connection.name): plastic connection without a matrix name")
            }
        }
        if !problems.isEmpty { throw .chipMismatch("circuit is inconsistent: " + problems.joined(separator: "; ")) }
    }

    /// A readable listing: populations, generators, connections, schedule (for the CLI).
    public var listing: String {
        var lines: [String] = []
        lines.append("nBP circuit \(layerSizes?.description ?? sizes.description) — \(stepsPerSample) steps per sample, threshold \(threshold)")
        lines.append("populations:")
        for population in populations {
            lines.append(
                "  \(population.name.padding(toLength: 9, withPad: " ", startingAt: 0)) \(String(population.size).padding(toLength: 5, withPad: " ", startingAt: 0)) refr \(population.refractory)  bias \(population.bias)  phases \(population.phases.map(String.init).joined(separator: ","))  \(population.role)"
            )
        }
        lines.append("spike generators:")
        for generator in generators {
            lines.append("  \(generator.name) (\(generator.size)): \(generator.role)")
        }
        lines.append("connections (weight in weight units, x64 on the chip):")
        for connection in connections {
            let weight =
                (connection.weight ?? connection.kind.weight).map(String.init) ?? "plastic \(connection.matrix ?? "")"
            lines.append("  \(connection.name)  w=\(weight) delay=\(connection.axonDelay)")
        }
        if !learningRule.isEmpty { lines.append("learning rule on every p connection: \(learningRule)") }
        lines.append(
            "schedule: in_g at step \(startStep), sample k phase 1 at step \(phaseOneStep(sample: 0)) + \(stepsPerSample)k"
                + (rewardOffsets.isEmpty
                    ? "" : ", reward at phases \(rewardOffsets.map { String($0 + 1) }.joined(separator: " and "))"))
        return lines.joined(separator: "\n")
    }
}
