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
    }

    /// Largest (hopsEW, hopsNS) paths seen, decoded from `messagePathsSeen`.
    public var messagePaths: [(hopsEastWest: Int, hopsNorthSouth: Int)] {
        (0..<32).filter { messagePathsSeen & (1 << UInt32($0)) != 0 }.map { ($0 / 4, $0 % 4) }
    }
}

/// Chip geometry (docs/energy.md "Core mapping").
public enum ChipGeometry {
    public static let cores = 128
    public static let coresPerTile = 4
    public static let meshWidthTiles = 8
    public static let meshHeightTiles = 4
    public static let maxCompartmentsPerCore = 1024
    public static let synapticMemoryBitsPerCore = 1_048_576
    public static let bitsPerFixedSynapse = 16
    public static let bitsPerPlasticSynapse = 32

    /// Mesh coordinates of a core's tile.
    public static func tile(ofCore core: Int) -> (x: Int, y: Int) {
        let tile = core / coresPerTile
        return (tile % meshWidthTiles, tile / meshWidthTiles)
    }

    /// Dimension-order routing hops between two cores (docs/energy.md "Core mapping").
    public static func hops(from a: Int, to b: Int) -> (eastWest: Int, northSouth: Int) {
        let ta = tile(ofCore: a)
        let tb = tile(ofCore: b)
        return (abs(ta.x - tb.x), abs(ta.y - tb.y))
    }

    /// One message from `source` to each of `destinations`: summed hops, and the set of
    /// (east-west, north-south) path shapes seen as bits `ew * 4 + ns` (docs/energy.md "Core mapping").
    public static func route(from source: Int, to destinations: [Int]) -> (
        eastWest: Int, northSouth: Int, pathsSeen: UInt32
    ) {
        var ew = 0
        var ns = 0
        var seen: UInt32 = 0
        for d in destinations {
            let h = hops(from: source, to: d)
            ew += h.eastWest
            ns += h.northSouth
            seen |= 1 << UInt32(h.eastWest * 4 + h.northSouth)
        }
        return (ew, ns, seen)
    }
}

/// A contiguous run of one population's compartments on one core.
public struct CoreSegment: Codable, Sendable, Equatable {
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
    /// Core of each global compartment.
    public var coreOfCompartment: [UInt8]
    /// Number of configured compartments per core (128 entries).
    public var compartmentsPerCore: [Int]
    /// Synaptic memory bits used per core.
    public var synapseBitsPerCore: [Int]

    /// Cores that hold at least one compartment, ascending.
    public var usedCores: [Int] { (0..<compartmentsPerCore.count).filter { compartmentsPerCore[$0] > 0 } }
}

/// Totals of all counters of a run, per core, plus the chip-wide sum.
public struct ChipCounterTotals: Sendable, Equatable {
    public var steps: Int = 0
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
public struct PopulationStepCounts: Codable, Sendable, Equatable {
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
public struct ConnectionStepCounts: Codable, Sendable, Equatable {
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
