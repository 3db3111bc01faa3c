// Operation counters per step and per core (docs/neurochip.md "Semantics fixed here", docs/energy.md "Counted
// quantities") and
// the core placement they are attributed to (docs/energy.md "Core mapping").

/// Counts of one core in one step (docs/energy.md "Counted quantities", `CoreStepCounts`).
public struct CoreStepCounts: Codable, Sendable, Equatable {
    public var activeCompartments: Int = 0
    public var inactiveCompartments: Int = 0
    public var synapticOps: Int = 0
    /// Synapses whose rule the learning engine evaluated with a non-zero product.
    public var plasticSynapseUpdatesProcessed: Int = 0
    /// All plastic synapses stored on the core, once per learning epoch.
    public var plasticSynapsesSwept: Int = 0
    public var learningEpochs: Int = 0
    public var traceUpdates: Int = 0
    public var spikesGenerated: Int = 0
    public var messagesOut: Int = 0
    public var messagesIn: Int = 0
    /// Sum of east-west / north-south hops over the messages leaving this core.
    public var hopsEastWest: Int = 0
    public var hopsNorthSouth: Int = 0
    /// Bit (hopsEW * 4 + hopsNS) is set when a message with that path left this core, so
    /// the slowest message path can be priced with any cost table (8 x 4 mesh).
    public var messagePathsSeen: UInt32 = 0
    /// Spike-generator (host) messages arriving at this core.
    public var hostMessagesIn: Int = 0
    public var hostMessagesOut: Int = 0
    /// Spike messages to and from cores of other chips (they leave the mesh, so they are
    /// counted here instead of in messagesOut/messagesIn and the hops; docs/energy.md).
    public var interChipMessagesOut: Int = 0
    public var interChipMessagesIn: Int = 0

    public init() {}

    public static func += (a: inout CoreStepCounts, b: CoreStepCounts) {
        a.activeCompartments += b.activeCompartments
        a.inactiveCompartments += b.inactiveCompartments
        a.synapticOps += b.synapticOps
        a.plasticSynapseUpdatesProcessed += b.plasticSynapseUpdatesProcessed
        a.plasticSynapsesSwept += b.plasticSynapsesSwept
        a.learningEpochs += b.learningEpochs
        a.traceUpdates += b.traceUpdates
        a.spikesGenerated += b.spikesGenerated
        a.messagesOut += b.messagesOut
        a.messagesIn += b.messagesIn
        a.hopsEastWest += b.hopsEastWest
        a.hopsNorthSouth += b.hopsNorthSouth
        a.messagePathsSeen |= b.messagePathsSeen
        a.hostMessagesIn += b.hostMessagesIn
        a.hostMessagesOut += b.hostMessagesOut
        a.interChipMessagesOut += b.interChipMessagesOut
        a.interChipMessagesIn += b.interChipMessagesIn
    }

    /// The fields in JSON order. The inter-chip counts are written only when non-zero, so a
    /// one-chip network's records keep the layout readers of counters.json know.
    enum CodingKeys: String, CodingKey {
        case activeCompartments, inactiveCompartments, synapticOps, plasticSynapseUpdatesProcessed
        case plasticSynapsesSwept, learningEpochs, traceUpdates, spikesGenerated, messagesOut, messagesIn
        case hopsEastWest, hopsNorthSouth, messagePathsSeen, hostMessagesIn, hostMessagesOut
        case interChipMessagesOut, interChipMessagesIn
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        activeCompartments = try c.decode(Int.self, forKey: .activeCompartments)
        inactiveCompartments = try c.decode(Int.self, forKey: .inactiveCompartments)
        synapticOps = try c.decode(Int.self, forKey: .synapticOps)
        plasticSynapseUpdatesProcessed = try c.decode(Int.self, forKey: .plasticSynapseUpdatesProcessed)
        plasticSynapsesSwept = try c.decode(Int.self, forKey: .plasticSynapsesSwept)
        learningEpochs = try c.decode(Int.self, forKey: .learningEpochs)
        traceUpdates = try c.decode(Int.self, forKey: .traceUpdates)
        spikesGenerated = try c.decode(Int.self, forKey: .spikesGenerated)
        messagesOut = try c.decode(Int.self, forKey: .messagesOut)
        messagesIn = try c.decode(Int.self, forKey: .messagesIn)
        hopsEastWest = try c.decode(Int.self, forKey: .hopsEastWest)
        hopsNorthSouth = try c.decode(Int.self, forKey: .hopsNorthSouth)
        messagePathsSeen = try c.decode(UInt32.self, forKey: .messagePathsSeen)
        hostMessagesIn = try c.decode(Int.self, forKey: .hostMessagesIn)
        hostMessagesOut = try c.decode(Int.self, forKey: .hostMessagesOut)
        interChipMessagesOut = try c.decodeIfPresent(Int.self, forKey: .interChipMessagesOut) ?? 0
        interChipMessagesIn = try c.decodeIfPresent(Int.self, forKey: .interChipMessagesIn) ?? 0
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(activeCompartments, forKey: .activeCompartments)
        try c.encode(inactiveCompartments, forKey: .inactiveCompartments)
        try c.encode(synapticOps, forKey: .synapticOps)
        try c.encode(plasticSynapseUpdatesProcessed, forKey: .plasticSynapseUpdatesProcessed)
        try c.encode(plasticSynapsesSwept, forKey: .plasticSynapsesSwept)
        try c.encode(learningEpochs, forKey: .learningEpochs)
        try c.encode(traceUpdates, forKey: .traceUpdates)
        try c.encode(spikesGenerated, forKey: .spikesGenerated)
        try c.encode(messagesOut, forKey: .messagesOut)
        try c.encode(messagesIn, forKey: .messagesIn)
        try c.encode(hopsEastWest, forKey: .hopsEastWest)
        try c.encode(hopsNorthSouth, forKey: .hopsNorthSouth)
        try c.encode(messagePathsSeen, forKey: .messagePathsSeen)
        try c.encode(hostMessagesIn, forKey: .hostMessagesIn)
        try c.encode(hostMessagesOut, forKey: .hostMessagesOut)
        if interChipMessagesOut != 0 { try c.encode(interChipMessagesOut, forKey: .interChipMessagesOut) }
        if interChipMessagesIn != 0 { try c.encode(interChipMessagesIn, forKey: .interChipMessagesIn) }
    }

    /// Largest (hopsEW, hopsNS) paths seen, decoded from `messagePathsSeen`.
    public var messagePaths: [(hopsEastWest: Int, hopsNorthSouth: Int)] {
        (0..<32).filter { messagePathsSeen & (1 << UInt32($0)) != 0 }.map { ($0 / 4, $0 % 4) }
    }
}

/// Chip geometry (docs/energy.md "Core mapping"). Core numbers are global: core c of chip k
/// is `k * cores + c`; the mesh (tiles, hops) is that of one chip.
public enum ChipGeometry {
    /// Cores per chip.
    public static let cores = 128
    public static let coresPerTile = 4
    public static let meshWidthTiles = 8
    public static let meshHeightTiles = 4
    public static let maxCompartmentsPerCore = 1024
    public static let synapticMemoryBitsPerCore = 1_048_576
    public static let bitsPerFixedSynapse = 16
    public static let bitsPerPlasticSynapse = 32

    /// The chip of a (global) core.
    public static func chip(ofCore core: Int) -> Int { core / cores }

    /// Mesh coordinates of a core's tile on its chip.
    public static func tile(ofCore core: Int) -> (x: Int, y: Int) {
        let tile = core % cores / coresPerTile
        return (tile % meshWidthTiles, tile / meshWidthTiles)
    }

    /// Dimension-order routing hops between two cores (docs/energy.md "Core mapping").
    public static func hops(from a: Int, to b: Int) -> (eastWest: Int, northSouth: Int) {
        let ta = tile(ofCore: a)
        let tb = tile(ofCore: b)
        return (abs(ta.x - tb.x), abs(ta.y - tb.y))
    }

    /// One message from `source` to each of `destinations` on its own chip: summed hops,
    /// and the set of (east-west, north-south) path shapes seen as bits `ew * 4 + ns`
    /// (docs/energy.md "Core mapping"). Destinations on other chips are inter-chip messages
    /// and add no hops (callers count them apart).
    public static func route(from source: Int, to destinations: [Int]) -> (
        eastWest: Int, northSouth: Int, pathsSeen: UInt32
    ) {
        var ew = 0
        var ns = 0
        var seen: UInt32 = 0
        for d in destinations where chip(ofCore: d) == chip(ofCore: source) {
            let h = hops(from: source, to: d)
            ew += h.eastWest
            ns += h.northSouth
            seen |= 1 << UInt32(h.eastWest * 4 + h.northSouth)
        }
        return (ew, ns, seen)
    }
}

/// A contiguous run of one population's compartments on one core.
public struct CoreSegment: Codable, Sendable, Equatable, BitwiseCopyable {
    public var population: Int
    /// Global compartment indices `start ..< end`.
    public var start: Int
    public var end: Int
    public var core: Int
}

/// Where every compartment lives (docs/energy.md "Core mapping").
public struct CoreMap: Sendable, Equatable {
    /// Segments in global compartment order.
    public var segments: [CoreSegment]
    /// Core (global index) of each global compartment.
    public var coreOfCompartment: [Int32]
    /// Number of configured compartments per core (`chips * 128` entries).
    public var compartmentsPerCore: [Int]
    /// Synaptic memory bits used per core.
    public var synapseBitsPerCore: [Int]

    /// Chips in use (cores are counted per whole chip).
    public var chips: Int { compartmentsPerCore.count / ChipGeometry.cores }
    /// Cores of all chips in use: the length of every per-core counter array.
    public var coreCount: Int { compartmentsPerCore.count }

    /// Cores that hold at least one compartment, ascending.
    public var usedCores: [Int] { (0..<compartmentsPerCore.count).filter { compartmentsPerCore[$0] > 0 } }
}

/// Totals of all counters of a run, per core, plus the sum over all cores.
public struct ChipCounterTotals: Sendable, Equatable {
    public var steps: Int = 0
    /// One entry per core of every chip in use.
    public var perCore: [CoreStepCounts] = Array(repeating: CoreStepCounts(), count: ChipGeometry.cores)
    /// Per population / per connection, in declaration order.
    public var perPopulation: [PopulationStepCounts] = []
    public var perConnection: [ConnectionStepCounts] = []
    public var wraps: Int = 0

    public var chip: CoreStepCounts {
        perCore.reduce(into: CoreStepCounts()) { $0 += $1 }
    }
}

/// Counts of one population in one step (issue 4: counters per group).
public struct PopulationStepCounts: Codable, Sendable, Equatable, BitwiseCopyable {
    public var activeCompartments = 0
    public var inactiveCompartments = 0
    public var spikesGenerated = 0
    public init() {}

    public static func += (a: inout PopulationStepCounts, b: PopulationStepCounts) {
        a.activeCompartments += b.activeCompartments
        a.inactiveCompartments += b.inactiveCompartments
        a.spikesGenerated += b.spikesGenerated
    }
}

/// Counts of one connection (synapse group) in one step.
public struct ConnectionStepCounts: Codable, Sendable, Equatable, BitwiseCopyable {
    public var synapticOps = 0
    public var plasticSynapseUpdatesProcessed = 0
    public var plasticSynapsesSwept = 0
    public init() {}

    public static func += (a: inout ConnectionStepCounts, b: ConnectionStepCounts) {
        a.synapticOps += b.synapticOps
        a.plasticSynapseUpdatesProcessed += b.plasticSynapseUpdatesProcessed
        a.plasticSynapsesSwept += b.plasticSynapsesSwept
    }
}
