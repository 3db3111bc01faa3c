/// The nBP circuit (docs/nbp.md, "Phases") as plain data: populations, spike generators,
/// typed connections and the 12-phase schedule, for any layer sizes. `NBPCircuit.training`
/// builds it; `networkDescription()` (ChipNetwork.swift) turns it into a NeuroChip network.
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
        /// Phases (1...12, 12 = the clean-up phase opened by g00) in which it may fire;
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

        public var name: String { "\(source)->\(target):\(kind.rawValue)" }
    }

    public var sizes: NBPSizes
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
    /// fire one step before phase 1, the target at phase 2, the reward at phases 5 and 7.
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

    /// The training circuit for the given sizes (docs/nbp.md, "The circuit"); `margin` > 0 adds the two margin
    /// connections (docs/nbp.md, "Training margin"); `replayGate` adds the replay gates'
    /// generators and their one-to-one vetoes onto x, h1 and h1T (docs/nbp.md, "Replay
    /// gates").
    public static func training(sizes: NBPSizes, margin: Int = 0, replayGate: Bool = false) throws(NBPError)
        -> NBPCircuit
    {
        try sizes.validate()
        try validate(margin: margin)
        var generators = [
            Generator(name: "input", size: sizes.input, role: "input pixels, one step before phase 1"),
            Generator(name: "in_tgt", size: sizes.output, role: "one-hot target, phase 2"),
            Generator(name: "in_g", size: 1, role: "starts the gate chain once"),
            Generator(name: "reward", size: 1, role: "reward channel, phases 5 and 7"),
            Generator(name: "in_skip", size: 1, role: "learning gate: phase 3 spike vetoes d+ and d-"),
        ]
        if replayGate {
            generators.append(
                Generator(
                    name: "in_replay_veto", size: sizes.input,
                    role: "input replay gate: phases 6 and 10 veto x's replay"))
            generators.append(
                Generator(
                    name: "in_hidden_veto", size: sizes.hidden,
                    role: "hidden replay gate: phases 4 and 8 veto m_h1's replay"))
        }
        var wiring = Wiring()
        wiring.forwardAndOutputError(margin: margin, replayGate: replayGate)
        wiring.backwardAndGates()
        var circuit = NBPCircuit(
            sizes: sizes, populations: trainingPopulations(sizes), generators: generators,
            connections: wiring.connections, learningRule: learningRule(exponent: 0), stepsPerSample: 12, startStep: 11,
            inputOffset: -1, targetOffset: 1, rewardOffsets: [4, 6], skipOffset: 2,
            threshold: NBPCircuitConstants.threshold, margin: margin)
        if replayGate {
            circuit.replayVetoOffsets = [5, 9]
            circuit.hiddenVetoOffsets = [3, 7]
        }
        try circuit.validate()
        return circuit
    }

    /// The training circuit's populations (docs/nbp.md, "Populations and connections"): every neuron with the phases it may fire in,
    /// then the 12-gate chain.
    static func trainingPopulations(_ sizes: NBPSizes) -> [Population] {
        let nIn = sizes.input
        let nHid = sizes.hidden
        let nOut = sizes.output
        func neuron(_ name: String, _ size: Int, _ role: String, phases: [Int], refractory: Int = 2)
            -> Population
        {
            Population(
                name: name, size: size, role: role, refractory: refractory, bias: NBPCircuitConstants.bias,
                phases: phases,
                isGate: false)
        }
        var populations = [
            neuron("x", nIn, "input layer; replayed in phases 7 and 11", phases: [1, 7, 11]),
            neuron("m_x6", nIn, "memory of x (replays x)", phases: [6]),
            neuron("h1", nHid, "hidden h (threshold 512)", phases: [2, 5, 7, 9, 11]),
            neuron("h1_copy", nHid, "hidden hm (threshold 0)", phases: [2, 7, 11]),
            neuron("h1_copy2", nHid, "hidden hp (threshold 1024)", phases: [2, 7, 11]),
            neuron("m_h1", nHid, "memory of h", phases: [3]),
            neuron("c_h1", nHid, "derivative gate b = hm & !hp", phases: [6]),
            neuron("h1T", nHid, "backpropagated error g+ / g-", phases: [5, 6, 9, 10], refractory: 1),
            neuron("o", nOut, "output o (threshold 512)", phases: [3, 5, 9]),
            neuron("o_copy", nOut, "output om (threshold 0)", phases: [3, 5, 9]),
            neuron("o_copy2", nOut, "output op (threshold 1024)", phases: [3, 5, 9]),
            neuron("t", nOut, "target", phases: [3]),
            neuron("d+", nOut, "output error dp", phases: [4]),
            neuron("d-", nOut, "output error dm", phases: [4]),
            neuron("oT-", nOut, "carries the error sign into M", phases: [5, 9]),
        ]
        for gate in 0..<12 {
            populations.append(
                Population(
                    name: gateName(gate), size: 1, role: "gate chain, opens phase \(gate == 0 ? 12 : gate)",
                    refractory: 1, bias: 0, phases: [gateFiringPhase(gate, chain: 12)], isGate: true))
        }
        return populations
    }

    /// The training circuit's connections, in the order the chip visits them.
    struct Wiring {
        var connections: [Connection] = []

        mutating func connect(_ source: String, _ targets: [String], _ kinds: [Kind], matrices: [String?]? = nil) {
            for (index, target) in targets.enumerated() {
                for kind in kinds {
                    connections.append(
                        Connection(source: source, target: target, kind: kind, matrix: matrices?[index] ?? nil))
                }
            }
        }

        /// Forward pass, memories, output error, the host's gates and the training margin.
        mutating func forwardAndOutputError(margin: Int, replayGate: Bool) {
            // Forward pass and memory.
            connect("input", ["x"], [.oneE])
            connect("in_tgt", ["t"], [.oneE])
            connect("x", ["m_x6"], [.oneE_d4])
            connect("h1", ["m_h1"], [.oneE])
            connect("x", ["h1", "h1_copy", "h1_copy2"], [.p], matrices: ["W1", "W1c1", "W1c2"])
            connect("h1", ["o", "o_copy", "o_copy2"], [.p], matrices: ["W2", "W2c1", "W2c2"])
            // Output error.
            connect("o_copy", ["d-", "d+"], [.g1s])
            connect("o_copy2", ["d-"], [.oneI])
            connect("o", ["d-"], [.oneE])
            connect("t", ["d-"], [.oneI])
            connect("t", ["d+"], [.oneE])
            connect("o", ["d+"], [.oneI])
            // Per-sample learning gate (docs/nbp.md): no output error, so nothing learns.
            connect("in_skip", ["d+", "d-"], [.gi])
            if replayGate {
                // Input replay gate: -520 cancels m_x6's +520 relay, so a vetoed input stays
                // silent in phase 7 (or 11) and its W1 synapses do not learn there.
                connect("in_replay_veto", ["x"], [.oneI])
                // Hidden replay gate: the same against m_h1's relays into h1 and h1T in phases
                // 5 and 9, so none of the unit's W2, W2c1, W2c2, W2Tp or M synapses learn there.
                connect("in_hidden_veto", ["h1", "h1T"], [.oneI])
            }
            if margin > 0 {
                // Training margin: every o is lifted by +m in phase 3, the labelled one held back
                // by 2m (its target spike arrives in phase 3 together with g03's lift).
                connections.append(
                    Connection(source: "g03", target: "o", kind: .gMargin, matrix: nil, weight: margin))
                connections.append(
                    Connection(source: "in_tgt", target: "o", kind: .oneIMargin, matrix: nil, weight: -2 * margin))
            }
        }

        /// The W2 update, the backward pass, the W1 update and the gate chain.
        mutating func backwardAndGates() {
            // W2 update and backward pass.
            connect("d-", ["o", "o_copy", "o_copy2"], [.oneE_d4])
            connect("d-", ["oT-"], [.oneE])
            connect("d+", ["o", "o_copy", "o_copy2"], [.oneE])
            connect("d+", ["oT-"], [.oneE_d4])
            connect("m_h1", ["h1", "h1T"], [.oneE_d1])
            connect("m_h1", ["h1", "h1T"], [.oneE_d5])
            connect("o", ["h1T"], [.p], matrices: ["W2Tp"])
            connect("oT-", ["h1T"], [.p], matrices: ["M"])
            // W1 update.
            connect("h1T", ["h1", "h1_copy", "h1_copy2"], [.oneE])
            connect("m_x6", ["x"], [.oneE])
            connect("m_x6", ["x"], [.oneE_d4])
            connect("h1_copy", ["c_h1"], [.oneE_d3])
            connect("h1_copy2", ["c_h1"], [.oneI_d3])
            connect("c_h1", ["h1", "h1_copy", "h1_copy2"], [.g1, .g1_d4])
            // Gates.
            connect("g01", ["x"], [.g])
            connect("g02", ["h1"], [.g])
            connect("g02", ["h1_copy"], [.g, .gm05])
            connect("g02", ["h1_copy2"], [.gp05])
            connect("g03", ["o", "t", "m_h1"], [.g])
            connect("g03", ["o_copy"], [.g, .gm05])
            connect("g03", ["o_copy2"], [.gp05])
            connect("g04", ["h1T", "oT-"], [.gi])
            connect("g05", ["h1", "h1T", "o", "o_copy", "o_copy2", "oT-"], [.g])
            connect("g06", ["m_x6", "c_h1"], [.g])
            connect("g06", ["h1T"], [.g, .gm05])
            connect("g06", ["o", "o_copy", "o_copy2"], [.gi])
            connect("g07", ["x"], [.g])
            // The paper's circuit has gi here (-8128 against bias -8192): a hidden sum of x's phase-7 replay above
            // 17344 still fires (Fashion-MNIST at threshold 64: 51 spikes in one epoch).
            connect("g08", ["h1", "h1_copy", "h1_copy2"], [.giHidden])
            // Beyond the paper's circuit: the hidden units that fire in phase 7 (W1 potentiation) reach o and its
            // copies in phase 8, where only the bias holds them: W2 h over 9216 fired o out of
            // phase (Fashion-MNIST, margin-replay, 40 epochs: 9 spikes).
            connect("g08", ["o", "o_copy", "o_copy2"], [.giHidden])
            connect("g09", ["h1", "h1T", "o", "o_copy", "o_copy2", "oT-"], [.g])
            connect("g10", ["h1T"], [.g, .gm05])
            connect("g10", ["o", "o_copy", "o_copy2"], [.gi])
            connect("g11", ["x"], [.g])
            connect("g00", ["o", "o_copy", "o_copy2"], [.gi])
            // Beyond the paper's circuit: x's phase-11 replay reaches the hidden layer in phase 12, where only the
            // bias (-8192) holds it, so a hidden sum above 9216 fires it out of phase (Fashion-
            // MNIST at threshold 64: ~400 active inputs, 159k such spikes per layer copy in one
            // epoch). Inhibit it as g08 does in phase 8 (docs/nbp.md, "Circuit deviation").
            connect("g00", ["h1", "h1_copy", "h1_copy2"], [.giHidden])
            for gate in 0..<12 { connect(gateName(gate), [gateName((gate + 1) % 12)], [.oneGE]) }
            connect("in_g", ["g00"], [.oneGE])
        }
    }

    /// The inference circuit (docs/nbp.md, "Timing"): x, h1, o with fixed W1, W2 and a
    /// 4-gate chain g00..g03, 4 steps per sample.
    public static func inference(sizes: NBPSizes) throws(NBPError) -> NBPCircuit {
        try sizes.validate()
        var populations = [
            Population(
                name: "x", size: sizes.input, role: "input layer", refractory: 2, bias: NBPCircuitConstants.bias,
                phases: [1],
                isGate: false),
            Population(
                name: "h1", size: sizes.hidden, role: "hidden h", refractory: 2, bias: NBPCircuitConstants.bias,
                phases: [2], isGate: false
            ),
            Population(
                name: "o", size: sizes.output, role: "output o", refractory: 2, bias: NBPCircuitConstants.bias,
                phases: [3], isGate: false),
        ]
        for gate in 0..<4 {
            populations.append(
                Population(
                    name: gateName(gate), size: 1, role: "gate chain, opens phase \(gate == 0 ? 4 : gate)",
                    refractory: 1, bias: 0, phases: [gateFiringPhase(gate, chain: 4)], isGate: true))
        }
        let generators = [
            Generator(name: "input", size: sizes.input, role: "input pixels, one step before phase 1"),
            Generator(name: "in_g", size: 1, role: "starts the gate chain once"),
        ]
        var connections = [
            Connection(source: "input", target: "x", kind: .oneE, matrix: nil),
            Connection(source: "x", target: "h1", kind: .p, matrix: "W1"),
            Connection(source: "h1", target: "o", kind: .p, matrix: "W2"),
            Connection(source: "g01", target: "x", kind: .g, matrix: nil),
            Connection(source: "g02", target: "h1", kind: .g, matrix: nil),
            Connection(source: "g03", target: "o", kind: .g, matrix: nil),
            Connection(source: "in_g", target: "g00", kind: .oneGE, matrix: nil),
        ]
        for gate in 0..<4 {
            connections.append(
                Connection(source: gateName(gate), target: gateName((gate + 1) % 4), kind: .oneGE, matrix: nil))
        }
        let circuit = NBPCircuit(
            sizes: sizes, populations: populations, generators: generators, connections: connections,
            learningRule: "", stepsPerSample: 4, startStep: 11, inputOffset: -1, targetOffset: 0,
            rewardOffsets: [], skipOffset: nil, threshold: NBPCircuitConstants.threshold)
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
        lines.append("nBP circuit \(sizes) — \(stepsPerSample) steps per sample, threshold \(threshold)")
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
            lines.append("  \(connection.name)  w=\(weight) delay=\(connection.kind.delay)")
        }
        if !learningRule.isEmpty { lines.append("learning rule on every p connection: \(learningRule)") }
        lines.append(
            "schedule: in_g at step \(startStep), sample k phase 1 at step \(phaseOneStep(sample: 0)) + \(stepsPerSample)k"
                + (rewardOffsets.isEmpty
                    ? "" : ", reward at phases \(rewardOffsets.map { String($0 + 1) }.joined(separator: " and "))"))
        return lines.joined(separator: "\n")
    }
}
