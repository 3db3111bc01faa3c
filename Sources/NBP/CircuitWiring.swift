/// The training circuit's populations and connections for H hidden layers (docs/nbp.md,
/// "Deeper networks", "Phase table"), placed by `NBPPhaseSchedule`. One hidden layer gives
/// exactly the papers' circuit, in the same order.
extension NBPCircuit {
    /// Names of hidden layer l's populations: h<l> (h), its copies (hm, hp), its memory, its
    /// derivative gate b, its backward population (g+ / g-) and, below the top, the two
    /// populations that carry its error P_l / N_l into the layer below.
    struct LayerNames {
        let layer: Int
        var h: String { "h\(layer)" }
        var minus: String { "h\(layer)_copy" }
        var plus: String { "h\(layer)_copy2" }
        var copies: [String] { [h, minus, plus] }
        var memory: String { "m_h\(layer)" }
        var derivativeGate: String { "c_h\(layer)" }
        var backward: String { "h\(layer)T" }
        /// Fires P_l in the carry+ phase of block l - 1 and N_l in its carry- phase (as o
        /// does for the output's d+ / d-): the presynaptic side of W_lTp.
        var carrier: String { "h\(layer)_err" }
        /// Fires N_l in carry+ and P_l in carry- (as oT- does): the presynaptic side of M_l.
        var carrierT: String { "h\(layer)_errT-" }
    }

    static let outputCopies = ["o", "o_copy", "o_copy2"]

    /// The memory of x: it fires in the error+ phase of block 1 (phase 6 with one hidden layer).
    static func inputMemory(_ schedule: NBPPhaseSchedule) -> String {
        "m_x\(schedule.phase(.error, .plus, layer: 1))"
    }

    /// Every neuron with the phases it may fire in, then the gate chain.
    static func trainingPopulations(_ layers: NBPLayerSizes) -> [Population] {
        let s = NBPPhaseSchedule(hiddenLayers: layers.hiddenLayers)
        let top = layers.hiddenLayers
        func neuron(_ name: String, _ size: Int, _ role: String, phases: [Int], refractory: Int = 2) -> Population {
            Population(
                name: name, size: size, role: role, refractory: refractory, bias: NBPCircuitConstants.bias,
                phases: phases.sorted(), isGate: false)
        }
        let (nIn, nOut) = (layers.input, layers.output)
        let replayed = [s.phase(.update, .plus, layer: 1), s.phase(.update, .minus, layer: 1)]
        var populations = [
            neuron("x", nIn, "input layer; replayed in phases \(replayed[0]) and \(replayed[1])", phases: [1] + replayed),
            neuron(inputMemory(s), nIn, "memory of x (replays x)", phases: [s.phase(.error, .plus, layer: 1)]),
        ]
        for l in 1...top {
            let n = NBPCircuit.LayerNames(layer: l)
            let size = layers.units[l]
            let updates = [s.phase(.update, .plus, layer: l), s.phase(.update, .minus, layer: l)]
            let replays =
                l == top
                ? [s.phase(.carry, .plus, layer: l), s.phase(.carry, .minus, layer: l)]
                : [s.phase(.update, .plus, layer: l + 1), s.phase(.update, .minus, layer: l + 1)]
            let backward = [NBPPhaseSchedule.Step.carry, .error].flatMap { step in
                [s.phase(step, .plus, layer: l), s.phase(step, .minus, layer: l)]
            }
            let (h, hm, hp) = (s.unitName("h", l), s.unitName("hm", l), s.unitName("hp", l))
            populations += [
                neuron(n.h, size, "hidden \(h) (threshold 512)", phases: [s.forward(l)] + updates + replays),
                neuron(n.minus, size, "hidden \(hm) (threshold 0)", phases: [s.forward(l)] + updates),
                neuron(n.plus, size, "hidden \(hp) (threshold 1024)", phases: [s.forward(l)] + updates),
                neuron(n.memory, size, "memory of \(h)", phases: [s.forward(l + 1)]),
                neuron(
                    n.derivativeGate, size, "derivative gate b = \(hm) & !\(hp)",
                    phases: [s.phase(.error, .plus, layer: l)]),
                neuron(n.backward, size, "backpropagated error g+ / g-", phases: backward, refractory: 1),
            ]
            if l >= 2 {
                let carries = [s.phase(.carry, .plus, layer: l - 1), s.phase(.carry, .minus, layer: l - 1)]
                populations += [
                    neuron(n.carrier, size, "carries \(h)'s error P / N into W\(l)Tp", phases: carries),
                    neuron(n.carrierT, size, "carries \(h)'s error N / P into \(NBPDeepWeights.mName(l, of: layers))", phases: carries),
                ]
            }
        }
        let outputPhases = [s.output, s.phase(.carry, .plus, layer: top), s.phase(.carry, .minus, layer: top)]
        populations += [
            neuron("o", nOut, "output o (threshold 512)", phases: outputPhases),
            neuron("o_copy", nOut, "output om (threshold 0)", phases: outputPhases),
            neuron("o_copy2", nOut, "output op (threshold 1024)", phases: outputPhases),
            neuron("t", nOut, "target", phases: [s.output]),
            neuron("d+", nOut, "output error dp", phases: [s.outputError]),
            neuron("d-", nOut, "output error dm", phases: [s.outputError]),
            neuron("oT-", nOut, "carries the error sign into M", phases: Array(outputPhases.dropFirst())),
        ]
        let chain = s.stepsPerSample
        for gate in 0..<chain {
            populations.append(
                Population(
                    name: gateName(gate), size: 1, role: "gate chain, opens phase \(gate == 0 ? chain : gate)",
                    refractory: 1, bias: 0, phases: [gateFiringPhase(gate, chain: chain)], isGate: true))
        }
        return populations
    }

    /// The training circuit's connections, in the order the chip visits them: the forward
    /// pass and output error, the carries of every block, the updates, the gates by phase.
    struct Wiring {
        let schedule: NBPPhaseSchedule
        let layers: NBPLayerSizes
        var connections: [Connection] = []
        /// Gate connections by the phase the gate opens.
        var gated: [Int: [Connection]] = [:]

        init(layers: NBPLayerSizes) {
            self.layers = layers
            schedule = NBPPhaseSchedule(hiddenLayers: layers.hiddenLayers)
        }

        var top: Int { layers.hiddenLayers }

        mutating func connect(
            _ source: String, _ targets: [String], _ kinds: [Kind], matrices: [String?]? = nil, delay: Int? = nil
        ) {
            for (index, target) in targets.enumerated() {
                for kind in kinds {
                    var connection = Connection(
                        source: source, target: target, kind: kind, matrix: matrices?[index] ?? nil)
                    if let delay { connection = connection.delayed(by: delay) }
                    connections.append(connection)
                }
            }
        }

        /// Gate connections opened in `phase` (sent by the gate one step earlier).
        mutating func gate(_ phase: Int, _ targets: [String], _ kinds: [Kind]) {
            let source = NBPCircuit.gateName(phase % schedule.stepsPerSample)
            for target in targets {
                for kind in kinds { gated[phase, default: []].append(Connection(source: source, target: target, kind: kind)) }
            }
        }

        /// Layer l's population that fires forward: x for l = 0, h<l>, o above the top.
        func forwardSource(_ l: Int) -> String { l == 0 ? "x" : LayerNames(layer: l).h }

        /// Forward pass, memories, output error, the host's gates and the training margin.
        mutating func forwardAndOutputError(margin: Int, replayGate: Bool) {
            let s = schedule
            connect("input", ["x"], [.oneE])
            connect("in_tgt", ["t"], [.oneE])
            // x's memory fires in block 1's error+ phase (x fires in phase 1).
            connect("x", [inputMemory(s)], [.oneE], delay: s.phase(.error, .plus, layer: 1) - 2)
            for l in 1...top { connect(LayerNames(layer: l).h, [LayerNames(layer: l).memory], [.oneE]) }
            for l in 1...layers.weightLayers {
                let targets = l == layers.weightLayers ? outputCopies : LayerNames(layer: l).copies
                connect(forwardSource(l - 1), targets, [.p], matrices: ["W\(l)", "W\(l)c1", "W\(l)c2"])
            }
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
                // Training margin: every o is lifted by +m in the output phase, the labelled
                // one held back by 2m (its target spike arrives with the output gate's lift).
                connections.append(
                    Connection(
                        source: NBPCircuit.gateName(s.output), target: "o", kind: .gMargin, matrix: nil, weight: margin))
                connections.append(
                    Connection(source: "in_tgt", target: "o", kind: .oneIMargin, matrix: nil, weight: -2 * margin))
            }
        }

        /// Every block's carry: the error of the layer above reaches layer l's backward
        /// population through W_{l+1}Tp and M_{l+1}, while layer l is replayed into it.
        mutating func carries() {
            let s = schedule
            let n = LayerNames(layer: top)
            connect("d-", outputCopies, [.oneE_d4])
            connect("d-", ["oT-"], [.oneE])
            connect("d+", outputCopies, [.oneE])
            connect("d+", ["oT-"], [.oneE_d4])
            connect(n.memory, [n.h, n.backward], [.oneE_d1])
            connect(n.memory, [n.h, n.backward], [.oneE_d5])
            connect("o", [n.backward], [.p], matrices: ["W\(top + 1)Tp"])
            connect("oT-", [n.backward], [.p], matrices: ["M"])
            for l in stride(from: top - 1, through: 1, by: -1) {
                let (below, above) = (LayerNames(layer: l), LayerNames(layer: l + 1))
                // h_{l+1} fires P in update+ and N in update- of block l + 1, six phases before
                // the carry+ / carry- of block l; the M carrier gets N first, then P from the
                // W carrier four phases later.
                connect(above.h, [above.carrier], [.oneE_d5])
                connect(above.h, [above.carrierT], [.oneE_d1])
                connect(above.carrier, [above.carrierT], [.oneE_d3])
                // h_l is replayed as W_{l+1}'s presynaptic layer in block l + 1's updates and,
                // six phases later, into its backward population for block l's carries.
                let replay = s.phase(.update, .plus, layer: l + 1) - s.forward(l + 1) - 1
                connect(below.memory, [below.h], [.oneE], delay: replay)
                connect(below.memory, [below.h], [.oneE], delay: replay + 4)
                connect(below.h, [below.backward], [.oneE_d5])
                connect(above.carrier, [below.backward], [.p], matrices: ["W\(l + 1)Tp"])
                connect(above.carrierT, [below.backward], [.p], matrices: [NBPDeepWeights.mName(l + 1, of: layers)])
            }
        }

        /// Every layer's update: g+ / g- (the backward population) and the derivative gate b
        /// fire layer l where W_l learns, on the layer below's replay.
        mutating func updates() {
            let s = schedule
            for l in stride(from: top, through: 1, by: -1) {
                let n = LayerNames(layer: l)
                connect(n.backward, n.copies, [.oneE])
                if l == 1 {
                    connect(inputMemory(s), ["x"], [.oneE])
                    connect(inputMemory(s), ["x"], [.oneE_d4])
                }
                // hm and hp fire in the forward pass; b opens in block l's error+ phase.
                let hold = s.phase(.error, .plus, layer: l) - s.forward(l) - 1
                connect(n.minus, [n.derivativeGate], [.oneE], delay: hold)
                connect(n.plus, [n.derivativeGate], [.oneI], delay: hold)
                connect(n.derivativeGate, n.copies, [.g1, .g1_d4])
            }
        }
    }
}

extension NBPCircuit.Connection {
    /// The same connection with axon delay `delay`: the kind of that delay where the circuit
    /// has one (1e_d4, ...), otherwise an explicit delay.
    func delayed(by delay: Int) -> NBPCircuit.Connection {
        var copy = self
        if let standard = NBPCircuit.Kind.allCases.first(where: { $0.undelayed == kind.undelayed && $0.delay == delay }) {
            copy.kind = standard
            copy.delay = nil
        } else {
            copy.kind = kind.undelayed
            copy.delay = delay
        }
        return copy
    }
}

extension NBPCircuit.Wiring {
    /// The gate chain's lifts and inhibitions, phase by phase (docs/nbp.md, "Phase table"),
    /// then the chain itself.
    mutating func gates() {
        let s = schedule
        typealias Names = NBPCircuit.LayerNames
        gate(s.forward(0), ["x"], [.g])
        for l in 1...top {
            let n = Names(layer: l)
            gate(s.forward(l), [n.h], [.g])
            gate(s.forward(l), [n.minus], [.g, .gm05])
            gate(s.forward(l), [n.plus], [.gp05])
            if l >= 2 { gate(s.forward(l), [Names(layer: l - 1).memory], [.g]) }
        }
        gate(s.output, ["o", "t", Names(layer: top).memory], [.g])
        gate(s.output, ["o_copy"], [.g, .gm05])
        gate(s.output, ["o_copy2"], [.gp05])
        gate(s.outputError, [Names(layer: top).backward, "oT-"], [.gi])
        for l in stride(from: top, through: 1, by: -1) {
            for sign in NBPPhaseSchedule.Sign.allCases { blockGates(layer: l, sign: sign) }
        }
        for phase in 1...s.stepsPerSample { connections += gated[phase] ?? [] }
        let chain = s.stepsPerSample
        for gate in 0..<chain { connect(NBPCircuit.gateName(gate), [NBPCircuit.gateName((gate + 1) % chain)], [.oneGE]) }
        connect("in_g", ["g00"], [.oneGE])
    }

    /// The four phases of one half of block `layer`.
    mutating func blockGates(layer l: Int, sign: NBPPhaseSchedule.Sign) {
        let s = schedule
        let n = NBPCircuit.LayerNames(layer: l)
        let isTop = l == top
        let above = isTop ? NBPCircuit.outputCopies : NBPCircuit.LayerNames(layer: l + 1).copies
        // Carry: the layer is replayed into its backward population while the error of the
        // layer above fires (the output's, which also updates W_L, or h_{l+1}'s carriers).
        let carry = s.phase(.carry, sign, layer: l)
        if isTop {
            gate(carry, [n.h, n.backward, "o", "o_copy", "o_copy2", "oT-"], [.g])
        } else {
            let a = NBPCircuit.LayerNames(layer: l + 1)
            gate(carry, [n.backward, a.carrier, a.carrierT], [.g])
        }
        // Error: g+ / g- where the carried sum is above 0; b (and x's memory) once.
        let error = s.phase(.error, sign, layer: l)
        if sign == .plus {
            gate(error, (l == 1 ? [NBPCircuit.inputMemory(s)] : []) + [n.derivativeGate], [.g])
        }
        gate(error, [n.backward], [.g, .gm05])
        // The top layer's replay in the carry phase reaches the outputs here.
        if isTop { gate(error, NBPCircuit.outputCopies, [.gi]) }
        // Update: the layer below is replayed; the layer fires where g and b agree.
        gate(s.phase(.update, sign, layer: l), [l == 1 ? "x" : NBPCircuit.LayerNames(layer: l - 1).h], [.g])
        // Clean-up: the replay's sums reach this layer, the update's spikes the layer above.
        // The paper's circuit inhibits the outputs with gi in its last phase.
        let cleanUp = s.phase(.cleanUp, sign, layer: l)
        if sign == .plus {
            gate(cleanUp, n.copies, [.giHidden])
            gate(cleanUp, above, [.giHidden])
        } else {
            gate(cleanUp, above, [isTop ? .gi : .giHidden])
            gate(cleanUp, n.copies, [.giHidden])
        }
    }
}
