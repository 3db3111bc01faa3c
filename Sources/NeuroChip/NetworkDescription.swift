// A chip network as plain data (docs/neurochip.md "Network descriptions"): populations, connections, spike
// generators, probes and an optional core placement. The simulator (`ChipSimulator`)
// validates and compiles this once; nothing here runs.

/// A population of identical compartments (docs/neurochip.md "Chip model"). All parameters are in
/// the chip's integer units.
public struct PopulationSpec: Codable, Sendable, Equatable {
    public var name: String
    public var size: Int
    /// Current decay in [0, 4096]; 4096 forgets everything each step.
    public var du: Int
    /// Voltage decay in [0, 4096].
    public var dv: Int
    /// Bias = biasMantissa * 2^biasExponent (mantissa 13-bit signed, exponent 0...23).
    public var biasMantissa: Int
    public var biasExponent: Int
    /// Threshold = vthMantissa * 2^6 (mantissa 0...131071).
    public var vthMantissa: Int
    /// Refractory delay r >= 1: after a spike at s the next spike is possible at s + r.
    public var refractory: Int
    /// Voltage saturation limits: v is clamped to [vmin, vmax] after every update, with
    /// -(2^23 - 1) <= vmin <= 0 <= vmax <= 2^23 - 1. nil means the chip's widest range,
    /// ±(2^23 - 1) (and is not written to JSON).
    public var vmin: Int?
    public var vmax: Int?

    public init(
        name: String, size: Int, du: Int = 4096, dv: Int = 4096, biasMantissa: Int = 0,
        biasExponent: Int = 0, vthMantissa: Int, refractory: Int = 1, vmin: Int? = nil, vmax: Int? = nil
    ) {
        self.name = name
        self.size = size
        self.du = du
        self.dv = dv
        self.biasMantissa = biasMantissa
        self.biasExponent = biasExponent
        self.vthMantissa = vthMantissa
        self.refractory = refractory
        self.vmin = vmin
        self.vmax = vmax
    }

    /// The compartment parameters in current units (bias and threshold scaled).
    public var compartmentParameters: CompartmentParameters {
        CompartmentParameters(
            du: du, dv: dv, bias: biasMantissa << biasExponent, vth: vthMantissa << 6, refractory: refractory,
            vmin: vmin ?? -CompartmentParameters.voltageLimit, vmax: vmax ?? CompartmentParameters.voltageLimit)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        size = try c.decode(Int.self, forKey: .size)
        du = try c.decodeIfPresent(Int.self, forKey: .du) ?? 4096
        dv = try c.decodeIfPresent(Int.self, forKey: .dv) ?? 4096
        biasMantissa = try c.decodeIfPresent(Int.self, forKey: .biasMantissa) ?? 0
        biasExponent = try c.decodeIfPresent(Int.self, forKey: .biasExponent) ?? 0
        vthMantissa = try c.decode(Int.self, forKey: .vthMantissa)
        refractory = try c.decodeIfPresent(Int.self, forKey: .refractory) ?? 1
        vmin = try c.decodeIfPresent(Int.self, forKey: .vmin)
        vmax = try c.decodeIfPresent(Int.self, forKey: .vmax)
    }
}

/// How the synapses of a connection are laid out.
public enum ConnectionPattern: String, Codable, Sendable, Equatable {
    /// source i -> target i (equal sizes).
    case oneToOne = "one-to-one"
    /// every source -> every target with one weight per target (`weight` or `weights[target]`).
    case oneToAll = "one-to-all"
    /// dense; `weights` is (post x pre) row-major, or one uniform `weight`.
    case allToAll = "all-to-all"
    /// explicit list: `pre[k] -> post[k]` with `weights[k]` (or `weight`).
    case sparse
}

/// Sign mode of the 8-bit weight mantissa (docs/neurochip.md "Units").
public enum SignMode: String, Codable, Sendable, Equatable {
    /// even values in [-256, 254] (7 magnitude bits, lowest bit dropped).
    case mixed
    /// [0, 255].
    case excitatory
    /// [-255, 0].
    case inhibitory

    public var weightRange: ClosedRange<Int> {
        switch self {
        case .mixed: return -256...254
        case .excitatory: return 0...255
        case .inhibitory: return -255...0
        }
    }

    /// The weight grid: 2 in mixed mode (lowest bit dropped), else 1.
    public var weightStep: Int { self == .mixed ? 2 : 1 }
}

/// Impulse and decay time constant of one learning trace (docs/neurochip.md "Learning engine and rule grammar").
/// tau 0 = no decay, tau 1 = holds only this step's impulse.
public struct TraceParameters: Codable, Sendable, Equatable {
    public var impulse: Int
    public var tau: Int
    public init(impulse: Int = 1, tau: Int = 1) {
        self.impulse = impulse
        self.tau = tau
    }
}

/// The learning part of a plastic connection (docs/neurochip.md "Learning engine and rule grammar").
public struct LearningSpec: Codable, Sendable, Equatable {
    /// One or more rules separated by ';', e.g. `dw = 4*x0*y0*r1 - 2*x0*y0`.
    public var rule: String
    /// Learning epoch length tEpoch >= 1; the rule runs at steps s with (s + 1) % tEpoch == 0.
    public var epoch: Int
    /// Name of the population or spike generator whose spikes are the reward (r0, r1).
    public var reward: String?
    public var x1: TraceParameters
    public var x2: TraceParameters
    public var y1: TraceParameters
    public var y2: TraceParameters
    public var y3: TraceParameters
    public var r1: TraceParameters

    public init(
        rule: String, epoch: Int = 1, reward: String? = nil,
        x1: TraceParameters = .init(), x2: TraceParameters = .init(),
        y1: TraceParameters = .init(), y2: TraceParameters = .init(),
        y3: TraceParameters = .init(), r1: TraceParameters = .init()
    ) {
        self.rule = rule
        self.epoch = epoch
        self.reward = reward
        self.x1 = x1
        self.x2 = x2
        self.y1 = y1
        self.y2 = y2
        self.y3 = y3
        self.r1 = r1
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rule = try c.decode(String.self, forKey: .rule)
        epoch = try c.decodeIfPresent(Int.self, forKey: .epoch) ?? 1
        reward = try c.decodeIfPresent(String.self, forKey: .reward)
        x1 = try c.decodeIfPresent(TraceParameters.self, forKey: .x1) ?? .init()
        x2 = try c.decodeIfPresent(TraceParameters.self, forKey: .x2) ?? .init()
        y1 = try c.decodeIfPresent(TraceParameters.self, forKey: .y1) ?? .init()
        y2 = try c.decodeIfPresent(TraceParameters.self, forKey: .y2) ?? .init()
        y3 = try c.decodeIfPresent(TraceParameters.self, forKey: .y3) ?? .init()
        r1 = try c.decodeIfPresent(TraceParameters.self, forKey: .r1) ?? .init()
    }
}

/// A synapse group from a population or spike generator to a population.
public struct ConnectionSpec: Codable, Sendable, Equatable {
    public var name: String
    public var source: String
    public var target: String
    public var pattern: ConnectionPattern
    /// One weight mantissa for every synapse (used when `weights` is nil).
    public var weight: Int?
    /// Per-synapse weight mantissas; layout depends on `pattern`.
    public var weights: [Int]?
    /// Weight exponent e in [-8, 7]: current = mantissa * 2^(6+e) for e >= 0 and
    /// floor(mantissa * 2^e) * 64 for e < 0 (the chip's two-part shift).
    public var exponent: Int
    /// Axon delay in [0, 62] for every synapse (a spike at s arrives in step s+1+delay).
    public var delay: Int
    /// Per-synapse delays, sparse connections only.
    public var delays: [Int]?
    public var signMode: SignMode
    /// Sparse connections: presynaptic and postsynaptic indices of each synapse.
    public var pre: [Int]?
    public var post: [Int]?
    /// Explicitly mark a connection plastic or not; nil = plastic iff `learning` is set.
    public var plastic: Bool?
    public var learning: LearningSpec?

    public init(
        name: String, source: String, target: String, pattern: ConnectionPattern,
        weight: Int? = nil, weights: [Int]? = nil, exponent: Int = 0, delay: Int = 0,
        delays: [Int]? = nil, signMode: SignMode = .mixed, pre: [Int]? = nil,
        post: [Int]? = nil, plastic: Bool? = nil, learning: LearningSpec? = nil
    ) {
        self.name = name
        self.source = source
        self.target = target
        self.pattern = pattern
        self.weight = weight
        self.weights = weights
        self.exponent = exponent
        self.delay = delay
        self.delays = delays
        self.signMode = signMode
        self.pre = pre
        self.post = post
        self.plastic = plastic
        self.learning = learning
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        source = try c.decode(String.self, forKey: .source)
        target = try c.decode(String.self, forKey: .target)
        pattern = try c.decode(ConnectionPattern.self, forKey: .pattern)
        weight = try c.decodeIfPresent(Int.self, forKey: .weight)
        weights = try c.decodeIfPresent([Int].self, forKey: .weights)
        exponent = try c.decodeIfPresent(Int.self, forKey: .exponent) ?? 0
        delay = try c.decodeIfPresent(Int.self, forKey: .delay) ?? 0
        delays = try c.decodeIfPresent([Int].self, forKey: .delays)
        signMode = try c.decodeIfPresent(SignMode.self, forKey: .signMode) ?? .mixed
        pre = try c.decodeIfPresent([Int].self, forKey: .pre)
        post = try c.decodeIfPresent([Int].self, forKey: .post)
        plastic = try c.decodeIfPresent(Bool.self, forKey: .plastic)
        learning = try c.decodeIfPresent(LearningSpec.self, forKey: .learning)
    }

    /// Whether the learning engine updates this connection's weights.
    public var isPlastic: Bool { plastic ?? (learning != nil) }
}

/// A source of spikes with `size` channels: scheduled spikes (`spikeTimes[channel]` lists
/// the steps) plus spikes injected at run time through `ChipSimulator.inject`.
public struct SpikeGeneratorSpec: Codable, Sendable, Equatable {
    public var name: String
    public var size: Int
    public var spikeTimes: [[Int]]?

    public init(name: String, size: Int, spikeTimes: [[Int]]? = nil) {
        self.name = name
        self.size = size
        self.spikeTimes = spikeTimes
    }
}

public enum ProbeKind: String, Codable, Sendable, Equatable {
    case spikes, u, v, weights
}

/// Records one quantity of one population (spikes, u, v) or connection (weights) every
/// `interval` steps (docs/neurochip.md "One time step" step 6: after delivery and learning).
public struct ProbeSpec: Codable, Sendable, Equatable {
    public var name: String
    public var kind: ProbeKind
    /// Population name (spikes, u, v) or connection name (weights).
    public var target: String
    public var interval: Int

    public init(name: String, kind: ProbeKind, target: String, interval: Int = 1) {
        self.name = name
        self.kind = kind
        self.target = target
        self.interval = interval
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(ProbeKind.self, forKey: .kind)
        target = try c.decode(String.self, forKey: .target)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? "\(target).\(kind.rawValue)"
        interval = try c.decodeIfPresent(Int.self, forKey: .interval) ?? 1
    }
}

/// One run of a population on one core (explicit placement, docs/energy.md "Core mapping" item 6).
public struct CorePlacement: Codable, Sendable, Equatable {
    public var core: Int
    public var count: Int
    public init(core: Int, count: Int) {
        self.core = core
        self.count = count
    }
}

/// How populations are placed onto the chip's 128 cores (docs/energy.md "Core mapping").
public struct CoreMappingSpec: Codable, Sendable, Equatable {
    /// Each population starts on a fresh core (default true).
    public var newCorePerPopulation: Bool
    /// A smaller compartment cap per core than the chip's 1024.
    public var maxCompartmentsPerCore: Int?
    /// Explicit placement per population name; populations not listed are packed greedily
    /// after the highest explicitly used core.
    public var placement: [String: [CorePlacement]]?
    /// Skip the synaptic-memory limit of a core (simulator throughput benchmarks only:
    /// such a network does not fit a real chip). Compartment and core limits still hold.
    public var ignoreSynapticMemory: Bool

    public init(
        newCorePerPopulation: Bool = true, maxCompartmentsPerCore: Int? = nil,
        placement: [String: [CorePlacement]]? = nil, ignoreSynapticMemory: Bool = false
    ) {
        self.newCorePerPopulation = newCorePerPopulation
        self.maxCompartmentsPerCore = maxCompartmentsPerCore
        self.placement = placement
        self.ignoreSynapticMemory = ignoreSynapticMemory
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        newCorePerPopulation = try c.decodeIfPresent(Bool.self, forKey: .newCorePerPopulation) ?? true
        maxCompartmentsPerCore = try c.decodeIfPresent(Int.self, forKey: .maxCompartmentsPerCore)
        placement = try c.decodeIfPresent([String: [CorePlacement]].self, forKey: .placement)
        ignoreSynapticMemory = try c.decodeIfPresent(Bool.self, forKey: .ignoreSynapticMemory) ?? false
    }
}

/// A whole chip network (docs/neurochip.md "Network descriptions"). Encode/decode as JSON with `JSONEncoder`.
public struct NetworkDescription: Codable, Sendable, Equatable {
    public var populations: [PopulationSpec]
    public var connections: [ConnectionSpec]
    public var generators: [SpikeGeneratorSpec]
    public var probes: [ProbeSpec]
    public var mapping: CoreMappingSpec
    /// Seed of the generator used for stochastic trace decay and weight rounding.
    public var seed: UInt64

    public init(
        populations: [PopulationSpec] = [], connections: [ConnectionSpec] = [],
        generators: [SpikeGeneratorSpec] = [], probes: [ProbeSpec] = [],
        mapping: CoreMappingSpec = .init(), seed: UInt64 = 0
    ) {
        self.populations = populations
        self.connections = connections
        self.generators = generators
        self.probes = probes
        self.mapping = mapping
        self.seed = seed
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        populations = try c.decodeIfPresent([PopulationSpec].self, forKey: .populations) ?? []
        connections = try c.decodeIfPresent([ConnectionSpec].self, forKey: .connections) ?? []
        generators = try c.decodeIfPresent([SpikeGeneratorSpec].self, forKey: .generators) ?? []
        probes = try c.decodeIfPresent([ProbeSpec].self, forKey: .probes) ?? []
        mapping = try c.decodeIfPresent(CoreMappingSpec.self, forKey: .mapping) ?? .init()
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
    }
}
