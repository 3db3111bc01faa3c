import Foundation

/// Energy and time of one counted operation (docs/energy.md "Cost tables").
public struct OperationCost: Codable, Sendable, Equatable {
    public var energyPJ: Double
    public var timeNS: Double
    public var source: String

    public init(energyPJ: Double, timeNS: Double, source: String) {
        self.energyPJ = energyPJ
        self.timeNS = timeNS
        self.source = source
    }
}

/// The eleven per-operation entries of a cost table, keyed as in docs/energy.md "Cost tables".
public struct OperationCosts: Codable, Sendable, Equatable {
    public var compartmentActive: OperationCost
    public var compartmentInactive: OperationCost
    public var synapticOp: OperationCost
    public var plasticSynapseUpdate: OperationCost
    public var learningEpoch: OperationCost
    public var spikeGenerated: OperationCost
    public var messageOut: OperationCost
    public var messageIn: OperationCost
    public var messageBase: OperationCost
    public var hopEastWest: OperationCost
    public var hopNorthSouth: OperationCost

    /// JSON keys in the order of docs/energy.md "Cost tables" (also the order validation reports them in).
    public static let keys = [
        "compartmentActive", "compartmentInactive", "synapticOp", "plasticSynapseUpdate",
        "learningEpoch", "spikeGenerated", "messageOut", "messageIn", "messageBase",
        "hopEastWest", "hopNorthSouth",
    ]
}

/// How the barrier time depends on the number of tiles in use (docs/energy.md "Cost tables").
public enum SyncModel: String, Codable, Sendable {
    /// Linear in log2(tiles) between neighbouring points, clamped outside.
    case log2Interpolate
    /// Value of the largest key <= tiles; the first value below the first key.
    case stepTable
}

/// Barrier synchronisation cost at the end of every step.
public struct SyncCost: Codable, Sendable, Equatable {
    public var model: SyncModel
    /// (tiles, ns) pairs, strictly increasing in tiles. Encoded as `[[tiles, ns], ...]`.
    public var points: [[Double]]
    public var energyPJ: Double
    public var source: String

    public init(model: SyncModel, points: [[Double]], energyPJ: Double, source: String) {
        self.model = model
        self.points = points
        self.energyPJ = energyPJ
        self.source = source
    }

    /// Barrier time in ns for `tiles` tiles in use.
    public func timeNS(tiles: Int) -> Double {
        guard let first = points.first, let last = points.last else { return 0 }
        let n = Double(max(tiles, 1))
        switch model {
        case .stepTable:
            var value = first[1]
            for point in points where point[0] <= n { value = point[1] }
            return value
        case .log2Interpolate:
            if n <= first[0] { return first[1] }
            if n >= last[0] { return last[1] }
            for i in 1..<points.count where n <= points[i][0] {
                let (x0, y0) = (log2(points[i - 1][0]), points[i - 1][1])
                let (x1, y1) = (log2(points[i][0]), points[i][1])
                return y0 + (y1 - y0) * (log2(n) - x0) / (x1 - x0)
            }
            return last[1]
        }
    }
}

/// Static (leakage) power, off in both presets (docs/energy.md "Cost tables").
public struct StaticPower: Codable, Sendable, Equatable {
    public var chipPowerMW: Double
    public var perUsedCorePowerMW: Double
    public var source: String

    public init(chipPowerMW: Double, perUsedCorePowerMW: Double, source: String) {
        self.chipPowerMW = chipPowerMW
        self.perUsedCorePowerMW = perUsedCorePowerMW
        self.source = source
    }

    /// mW for a run that uses `coresUsed` cores; mW x ns = pJ.
    public func powerMW(coresUsed: Int) -> Double {
        chipPowerMW + perUsedCorePowerMW * Double(coresUsed)
    }
}

/// Chip geometry and per-core limits (docs/energy.md "Cost tables" `chip`, docs/energy.md "Core mapping").
public struct ChipLayout: Codable, Sendable, Equatable {
    public var coresPerTile: Int
    public var meshWidthTiles: Int
    public var meshHeightTiles: Int
    public var maxCompartmentsPerCore: Int
    public var synapticMemoryBitsPerCore: Int
    public var bitsPerFixedSynapse: Int
    public var bitsPerPlasticSynapse: Int
    public var maxFanInAxonsPerCore: Int
    public var maxFanOutAxonsPerCore: Int
    public var source: String

    public static let integerKeys = [
        "coresPerTile", "meshWidthTiles", "meshHeightTiles", "maxCompartmentsPerCore",
        "synapticMemoryBitsPerCore", "bitsPerFixedSynapse", "bitsPerPlasticSynapse",
        "maxFanInAxonsPerCore", "maxFanOutAxonsPerCore",
    ]

    public var tiles: Int { meshWidthTiles * meshHeightTiles }
    public var cores: Int { tiles * coresPerTile }

    /// docs/energy.md "Core mapping": core k -> tile k / coresPerTile.
    public func tile(ofCore core: Int) -> Int { core / coresPerTile }

    /// docs/energy.md "Core mapping": tile -> (x = tile % width, y = tile / width).
    public func coordinates(ofTile tile: Int) -> (x: Int, y: Int) {
        (tile % meshWidthTiles, tile / meshWidthTiles)
    }

    /// docs/energy.md "Core mapping" dimension-order routing: hops between the tiles of two cores.
    public func hops(fromCore a: Int, toCore b: Int) -> (eastWest: Int, northSouth: Int) {
        let p = coordinates(ofTile: tile(ofCore: a))
        let q = coordinates(ofTile: tile(ofCore: b))
        return (abs(p.x - q.x), abs(p.y - q.y))
    }

    /// docs/energy.md "Core mapping": bits of synaptic memory one compartment's incoming synapses occupy.
    public func memoryBits(fixedSynapses: Int, plasticSynapses: Int) -> Int {
        fixedSynapses * bitsPerFixedSynapse + plasticSynapses * bitsPerPlasticSynapse
    }
}

/// The units block; only pJ / ns / mW are accepted (docs/energy.md "Cost tables").
public struct CostUnits: Codable, Sendable, Equatable {
    public var energy: String
    public var time: String
    public var power: String

    public static let standard = CostUnits(energy: "pJ", time: "ns", power: "mW")
}

/// A complete, resolved cost table (docs/energy.md "Cost tables"). Build one from a preset
/// (`CostTable.preset(named:)`) or from JSON (`CostTable.load(json:)`), which validates.
public struct CostTable: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var name: String
    public var base: String?
    public var description: String
    public var units: CostUnits
    public var learningCountMode: LearningCountMode
    public var costs: OperationCosts
    public var sync: SyncCost
    public var staticPower: StaticPower
    public var chip: ChipLayout

    enum CodingKeys: String, CodingKey {
        case schemaVersion, name, base, description, units, learningCountMode, costs, sync
        case staticPower = "static"
        case chip
    }

    public init(
        schemaVersion: Int = 1, name: String, base: String?, description: String,
        units: CostUnits = .standard, learningCountMode: LearningCountMode,
        costs: OperationCosts, sync: SyncCost, staticPower: StaticPower, chip: ChipLayout
    ) {
        self.schemaVersion = schemaVersion
        self.name = name
        self.base = base
        self.description = description
        self.units = units
        self.learningCountMode = learningCountMode
        self.costs = costs
        self.sync = sync
        self.staticPower = staticPower
        self.chip = chip
    }

    // `base` is encoded as an explicit null so the echoed table has every docs/energy.md "Cost tables" key.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encode(name, forKey: .name)
        if let base { try c.encode(base, forKey: .base) } else { try c.encodeNil(forKey: .base) }
        try c.encode(description, forKey: .description)
        try c.encode(units, forKey: .units)
        try c.encode(learningCountMode, forKey: .learningCountMode)
        try c.encode(costs, forKey: .costs)
        try c.encode(sync, forKey: .sync)
        try c.encode(staticPower, forKey: .staticPower)
        try c.encode(chip, forKey: .chip)
    }

    /// Pretty, key-sorted JSON of the table (the docs/energy.md "Cost tables" file format).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
