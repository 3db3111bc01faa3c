/// What one population asks of the chip: its compartments and their incoming synapses,
/// which live on the compartment's core (docs/energy.md "Core mapping").
public struct PopulationDemand: Codable, Sendable, Equatable {
    public var name: String
    public var compartments: Int
    /// Incoming non-plastic synapses of each compartment.
    public var fixedSynapsesPerCompartment: Int
    /// Incoming plastic synapses of each compartment.
    public var plasticSynapsesPerCompartment: Int

    public init(
        name: String, compartments: Int, fixedSynapsesPerCompartment: Int = 0,
        plasticSynapsesPerCompartment: Int = 0
    ) {
        self.name = name
        self.compartments = compartments
        self.fixedSynapsesPerCompartment = fixedSynapsesPerCompartment
        self.plasticSynapsesPerCompartment = plasticSynapsesPerCompartment
    }
}

/// `count` consecutive compartments of a population placed on `core`.
public struct CoreShare: Codable, Sendable, Equatable {
    public var core: Int
    public var count: Int

    public init(core: Int, count: Int) {
        self.core = core
        self.count = count
    }
}

/// Where a population's compartments went, in index order.
public struct PopulationPlacement: Codable, Sendable, Equatable {
    public var name: String
    public var cores: [CoreShare]

    public init(name: String, cores: [CoreShare]) {
        self.name = name
        self.cores = cores
    }
}

/// What one used core holds.
public struct CoreLoad: Codable, Sendable, Equatable {
    public var core: Int
    public var compartments: Int
    public var fixedSynapses: Int
    public var plasticSynapses: Int

    public init(core: Int, compartments: Int, fixedSynapses: Int = 0, plasticSynapses: Int = 0) {
        self.core = core
        self.compartments = compartments
        self.fixedSynapses = fixedSynapses
        self.plasticSynapses = plasticSynapses
    }
}

/// A placement of populations onto cores (docs/energy.md "Core mapping"). Cores without compartments are absent
/// and never enter the latency max (docs/energy.md "Counted quantities").
public struct CoreAllocation: Codable, Sendable, Equatable {
    public var populations: [PopulationPlacement]
    /// Used cores in increasing core order.
    public var cores: [CoreLoad]

    public init(populations: [PopulationPlacement], cores: [CoreLoad]) {
        self.populations = populations
        self.cores = cores.sorted { $0.core < $1.core }
    }

    public var coresUsed: Int { cores.count }

    /// docs/energy.md "Latency and energy per step": tiles holding at least one configured compartment.
    public func tilesUsed(_ chip: ChipLayout) -> Int {
        Set(cores.map { chip.tile(ofCore: $0.core) }).count
    }

    public func load(ofCore core: Int) -> CoreLoad? {
        cores.first { $0.core == core }
    }

    /// Core of every compartment of `population`, in index order (for simulators that
    /// count per core).
    public func coreIndices(ofPopulation population: String) -> [Int]? {
        guard let placement = populations.first(where: { $0.name == population }) else {
            return nil
        }
        return placement.cores.flatMap { Array(repeating: $0.core, count: $0.count) }
    }
}

/// Options of the default greedy packing (docs/energy.md "Core mapping").
public struct PackingOptions: Sendable, Equatable {
    /// Each population starts on a fresh core (default true, docs/energy.md "Core mapping" item 4).
    public var newCorePerPopulation: Bool
    /// A cap below `maxCompartmentsPerCore` to spread populations (docs/energy.md "Core mapping" item 5).
    public var maxCompartmentsPerCoreOverride: Int?

    public init(newCorePerPopulation: Bool = true, maxCompartmentsPerCoreOverride: Int? = nil) {
        self.newCorePerPopulation = newCorePerPopulation
        self.maxCompartmentsPerCoreOverride = maxCompartmentsPerCoreOverride
    }
}

/// A network cannot be placed on the chip.
public enum MappingError: Error, CustomStringConvertible, Equatable {
    case doesNotFitChip(neededCores: Int, chipCores: Int)
    case compartmentTooLarge(population: String, bits: Int, limit: Int)
    case invalidPlacement([String])

    public var description: String {
        switch self {
        case .doesNotFitChip(let needed, let chipCores):
            return "the network needs at least \(needed) cores and does not fit one chip of "
                + "\(chipCores) cores; shrink the network or raise the per-core cap "
                + "(multi-chip costs are out of scope, docs/energy.md, section \"Core mapping\")"
        case .compartmentTooLarge(let population, let bits, let limit):
            return "one compartment of population '\(population)' needs \(bits) bits of "
                + "synaptic memory, more than a core's \(limit) bits; reduce its fan-in or "
                + "use a cost table with a larger chip.synapticMemoryBitsPerCore"
        case .invalidPlacement(let problems):
            return "invalid core placement:\n"
                + problems.map { "  - " + $0 }.joined(separator: "\n")
                + "\nFix the placement (population -> [(core, count)]) or use the greedy packing."
        }
    }
}

/// Core mapping (docs/energy.md "Core mapping").
public enum CoreMapper {
    /// docs/energy.md "Core mapping" greedy packing: populations in order, compartments in index order, a new
    /// core whenever the compartment cap or the synaptic memory would overflow.
    public static func greedy(
        _ populations: [PopulationDemand], chip: ChipLayout, options: PackingOptions = .init()
    ) throws(MappingError) -> CoreAllocation {
        // A cap below 1 would never place anything; treat it as 1.
        let cap = max(
            1,
            min(
                chip.maxCompartmentsPerCore,
                options.maxCompartmentsPerCoreOverride ?? chip.maxCompartmentsPerCore))
        var loads: [CoreLoad] = []
        var placements: [PopulationPlacement] = []
        var current = CoreLoad(core: 0, compartments: 0)
        var currentBits = 0

        func advance() {
            if current.compartments > 0 { loads.append(current) }
            current = CoreLoad(
                core: current.compartments > 0 ? current.core + 1 : current.core,
                compartments: 0)
            currentBits = 0
        }

        for population in populations {
            let bits = chip.memoryBits(
                fixedSynapses: population.fixedSynapsesPerCompartment,
                plasticSynapses: population.plasticSynapsesPerCompartment)
            if bits > chip.synapticMemoryBitsPerCore {
                throw .compartmentTooLarge(
                    population: population.name, bits: bits, limit: chip.synapticMemoryBitsPerCore)
            }
            if options.newCorePerPopulation && current.compartments > 0 { advance() }
            var shares: [CoreShare] = []
            var remaining = population.compartments
            while remaining > 0 {
                let byCount = cap - current.compartments
                let byMemory =
                    bits == 0 ? remaining : (chip.synapticMemoryBitsPerCore - currentBits) / bits
                let fit = min(remaining, byCount, byMemory)
                if fit <= 0 {
                    advance()
                    continue
                }
                current.compartments += fit
                current.fixedSynapses += fit * population.fixedSynapsesPerCompartment
                current.plasticSynapses += fit * population.plasticSynapsesPerCompartment
                currentBits += fit * bits
                if let last = shares.last, last.core == current.core {
                    shares[shares.count - 1].count += fit
                } else {
                    shares.append(CoreShare(core: current.core, count: fit))
                }
                remaining -= fit
            }
            placements.append(PopulationPlacement(name: population.name, cores: shares))
        }
        if current.compartments > 0 { loads.append(current) }
        if let last = loads.last, last.core >= chip.cores {
            throw .doesNotFitChip(neededCores: last.core + 1, chipCores: chip.cores)
        }
        return CoreAllocation(populations: placements, cores: loads)
    }

    /// docs/energy.md "Core mapping" item 6: an explicit placement, checked against the per-core limits.
    /// Reports every over-full core and every population whose shares do not add up.
    public static func explicit(
        _ populations: [PopulationDemand], shares: [String: [CoreShare]], chip: ChipLayout
    ) throws(MappingError) -> CoreAllocation {
        var problems: [String] = []
        var loads: [Int: CoreLoad] = [:]
        var placements: [PopulationPlacement] = []
        for name in shares.keys.sorted() where !populations.contains(where: { $0.name == name }) {
            problems.append("placement names population '\(name)', which the network lacks")
        }
        for population in populations {
            let list = shares[population.name] ?? []
            let total = list.reduce(0) { $0 + $1.count }
            if total != population.compartments {
                problems.append(
                    "population '\(population.name)': placement covers \(total) of "
                        + "\(population.compartments) compartments")
            }
            for share in list {
                guard share.core >= 0 && share.core < chip.cores else {
                    problems.append(
                        "population '\(population.name)': core \(share.core) is outside "
                            + "0..<\(chip.cores)")
                    continue
                }
                guard share.count > 0 else {
                    problems.append(
                        "population '\(population.name)': count \(share.count) on core "
                            + "\(share.core) must be positive")
                    continue
                }
                var load = loads[share.core] ?? CoreLoad(core: share.core, compartments: 0)
                load.compartments += share.count
                load.fixedSynapses += share.count * population.fixedSynapsesPerCompartment
                load.plasticSynapses += share.count * population.plasticSynapsesPerCompartment
                loads[share.core] = load
            }
            placements.append(PopulationPlacement(name: population.name, cores: list))
        }
        for load in loads.values.sorted(by: { $0.core < $1.core }) {
            if load.compartments > chip.maxCompartmentsPerCore {
                problems.append(
                    "core \(load.core): \(load.compartments) compartments exceed the limit of "
                        + "\(chip.maxCompartmentsPerCore)")
            }
            let bits = chip.memoryBits(
                fixedSynapses: load.fixedSynapses, plasticSynapses: load.plasticSynapses)
            if bits > chip.synapticMemoryBitsPerCore {
                problems.append(
                    "core \(load.core): synapses need \(bits) bits, more than the "
                        + "\(chip.synapticMemoryBitsPerCore) bits of synaptic memory")
            }
        }
        guard problems.isEmpty else { throw .invalidPlacement(problems) }
        return CoreAllocation(populations: placements, cores: Array(loads.values))
    }
}
