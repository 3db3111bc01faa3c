/// The built-in cost tables (docs/energy.md "Cost tables").
public enum CostTablePreset: String, CaseIterable, Sendable {
    case davies2018 = "loihi-davies2018"
    case sanafe = "loihi-sanafe"
    case sanafeSparse = "loihi-sanafe-sparse"

    /// Short CLI names (`davies2018`, `sanafe`, `sanafe-sparse`).
    public var shortName: String {
        switch self {
        case .davies2018: "davies2018"
        case .sanafe: "sanafe"
        case .sanafeSparse: "sanafe-sparse"
        }
    }

    /// Accepts the full name (`loihi-davies2018`) or the short name (`davies2018`).
    public init?(name: String) {
        let lowered = name.lowercased()
        guard
            let match = CostTablePreset.allCases.first(where: {
                $0.rawValue == lowered || $0.shortName == lowered
            })
        else { return nil }
        self = match
    }

    /// Every accepted name, for error messages and `--help`.
    public static var acceptedNames: [String] {
        allCases.flatMap { [$0.shortName, $0.rawValue] }
    }

    public var table: CostTable {
        switch self {
        case .davies2018: CostTable.davies2018
        case .sanafe: CostTable.sanafe(synapse: .dense)
        case .sanafeSparse: CostTable.sanafe(synapse: .sparse)
        }
    }
}

extension CostTable {
    /// Resolves a preset by full or short name.
    public static func preset(named name: String) throws(CostTableError) -> CostTable {
        guard let preset = CostTablePreset(name: name) else {
            throw .unknownPreset(name)
        }
        return preset.table
    }

    private static let daviesSource =
        "M. Davies et al., Loihi, IEEE Micro 38(1):82-99, 2018, energy/time per operation "
        + "table; cross-checked with the SANA-FE simulator header (April 2022)"

    /// Geometry shared by both presets (docs/energy.md "Cost tables" "Chip geometry source").
    static let loihiGeometry = ChipLayout(
        coresPerTile: 4, meshWidthTiles: 8, meshHeightTiles: 4, maxCompartmentsPerCore: 1024,
        synapticMemoryBitsPerCore: 1_048_576, bitsPerFixedSynapse: 16, bitsPerPlasticSynapse: 32,
        maxFanInAxonsPerCore: 4096, maxFanOutAxonsPerCore: 4096,
        source:
            "Davies 2018 (128 cores, 4 per tile, 1024 compartments, fan-out 4096); 8x4 mesh as "
            + "in SANA-FE (to confirm); 128 KB synaptic memory (to confirm); bits per synapse "
            + "are project defaults (to confirm)")

    /// docs/energy.md "Cost tables" preset `loihi-davies2018`.
    public static let davies2018 = CostTable(
        name: CostTablePreset.davies2018.rawValue, base: nil,
        description:
            "Loihi (14 nm) per-operation energy and time from Davies et al. 2018; swept "
            + "plastic synapse count; no static power.",
        learningCountMode: .swept,
        costs: OperationCosts(
            compartmentActive: .init(energyPJ: 81, timeNS: 8.4, source: daviesSource),
            compartmentInactive: .init(energyPJ: 52, timeNS: 5.3, source: daviesSource),
            synapticOp: .init(
                energyPJ: 23.6, timeNS: 3.5, source: daviesSource + " (synaptic spike op, min)"),
            plasticSynapseUpdate: .init(
                energyPJ: 120, timeNS: 6.1, source: daviesSource + " (learning row, to confirm)"),
            learningEpoch: .init(energyPJ: 0, timeNS: 0, source: "not listed separately"),
            spikeGenerated: .init(energyPJ: 0, timeNS: 0, source: "not listed separately"),
            messageOut: .init(energyPJ: 0, timeNS: 0, source: "not listed separately"),
            messageIn: .init(energyPJ: 0, timeNS: 0, source: "not listed separately"),
            messageBase: .init(
                energyPJ: 1.7, timeNS: 2.1, source: daviesSource + " (spike within a tile)"),
            hopEastWest: .init(energyPJ: 3.0, timeNS: 4.1, source: daviesSource),
            hopNorthSouth: .init(
                energyPJ: 4.0, timeNS: 6.5,
                source: daviesSource + " (later SANA-FE files use 4.2 pJ)")),
        sync: SyncCost(
            model: .log2Interpolate, points: [[1, 113], [32, 465]], energyPJ: 0,
            source: daviesSource + " (barrier 1 -> 32 tiles; interpolation rule is Synfire's)"),
        staticPower: StaticPower(
            chipPowerMW: 0, perUsedCorePowerMW: 0,
            source: "not in the per-operation table; off (docs/energy.md, section \"Cost tables\")"),
        chip: loihiGeometry)

    enum SanafeSynapse { case dense, sparse }

    /// docs/energy.md "Cost tables" preset `loihi-sanafe` (dense synapses) or `loihi-sanafe-sparse`.
    static func sanafe(synapse: SanafeSynapse) -> CostTable {
        let src = "SANA-FE (Boyle et al.), SLAM-Lab/SANA-FE arch/loihi.yaml"
        let synOp: OperationCost =
            switch synapse {
            case .dense: .init(energyPJ: 35.5, timeNS: 3.8, source: src + " dense process spike")
            case .sparse:
                .init(energyPJ: 33.6, timeNS: 4.7, source: src + " sparse process spike")
            }
        let preset: CostTablePreset = synapse == .dense ? .sanafe : .sanafeSparse
        return CostTable(
            name: preset.rawValue, base: nil,
            description:
                "Loihi per-operation costs as fitted by the SANA-FE simulator (arch/loihi.yaml); "
                + "learning cost copied from Davies 2018; no static power.",
            learningCountMode: .swept,
            costs: OperationCosts(
                compartmentActive: .init(
                    energyPJ: 72.8, timeNS: 9.7, source: src + " access + update neuron"),
                compartmentInactive: .init(
                    energyPJ: 51.2, timeNS: 6.0, source: src + " access neuron"),
                synapticOp: synOp,
                plasticSynapseUpdate: .init(
                    energyPJ: 120, timeNS: 6.1,
                    source: "not modelled by SANA-FE; copied from Davies 2018 (to confirm)"),
                learningEpoch: .init(energyPJ: 0, timeNS: 0, source: "not modelled"),
                spikeGenerated: .init(energyPJ: 69.3, timeNS: 30.0, source: src + " spike out"),
                messageOut: .init(energyPJ: 111.0, timeNS: 5.1, source: src + " axon out"),
                messageIn: .init(energyPJ: 0, timeNS: 16.0, source: src + " axon in"),
                messageBase: .init(
                    energyPJ: 0, timeNS: 0, source: src + " (no within-tile cost in current file)"
                ),
                hopEastWest: .init(energyPJ: 3.0, timeNS: 4.1, source: src + " east/west hop"),
                hopNorthSouth: .init(energyPJ: 4.2, timeNS: 6.5, source: src + " north/south hop")
            ),
            sync: SyncCost(
                model: .stepTable, points: [[1, 600], [2, 1000], [4, 1400], [29, 1800]],
                energyPJ: 0, source: src + " latency_sync keyed by mapped tiles"),
            staticPower: StaticPower(
                chipPowerMW: 0, perUsedCorePowerMW: 0, source: "not modelled"),
            chip: loihiGeometry)
    }
}
