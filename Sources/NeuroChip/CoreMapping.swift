// Placement of compartments onto the cores of one or more chips (docs/energy.md "Core
// mapping").
// Cores are numbered globally: core c of chip k is `k * ChipGeometry.cores + c`, so a
// network that fits one chip keeps the numbers it always had.

enum CoreMapper {
    /// Chips the greedy fill may open when `mapping.chips` is not set (128 chips of 128
    /// cores hold 16.8 million compartments).
    static let chipLimit = ChipLimits.maximumChips

    /// Maps populations to cores. `incomingBits[p][j]` is the synaptic memory that
    /// compartment j of population p needs. Problems are appended to `problems`; each names
    /// the limit that was hit and what to change.
    static func map(
        _ network: NetworkDescription, incomingBits: [[Int]], problems: inout [String]
    ) -> CoreMap? {
        var fill = CoreFill(network, incomingBits: incomingBits)
        let nextFree = fill.placeExplicitly(network)
        var failed = fill.checkLimits(&problems)
        guard fill.placeGreedily(network, from: nextFree, problems: &problems) else { return nil }
        failed = failed || !problems.isEmpty
        if failed { return nil }
        return fill.coreMap(network)
    }

    /// The message for a network that needs more chips than the mapping allows.
    static func chipsExceeded(_ network: NetworkDescription, population: String, bound: Int) -> String {
        let cores = bound * ChipGeometry.cores
        if network.mapping.chips != nil {
            return
                "mapping: population '\(population)' does not fit on \(bound) chip\(bound == 1 ? "" : "s") (\(cores) cores, at most \(ChipGeometry.maxCompartmentsPerCore) compartments and \(ChipGeometry.synapticMemoryBitsPerCore) bits of synaptic memory per core); raise mapping.chips or reduce the network's size or fan-in"
        }
        return
            "mapping: population '\(population)' does not fit on \(bound) chips (\(cores) cores), the simulator's limit; reduce the network's size or fan-in"
    }

    /// Runs of consecutive compartments of one population on one core, in global order.
    static func segments(_ network: NetworkDescription, coreOf: [Int32], starts: [Int]) -> [CoreSegment] {
        var segments: [CoreSegment] = []
        for (index, p) in network.populations.enumerated() {
            var j = 0
            while j < p.size {
                let c = coreOf[starts[index] + j]
                var k = j
                while k < p.size && coreOf[starts[index] + k] == c { k += 1 }
                segments.append(
                    CoreSegment(population: index, start: starts[index] + j, end: starts[index] + k, core: Int(c)))
                j = k
            }
        }
        return segments
    }
}

/// The greedy placement's state: the core of every compartment, and per core its
/// compartments and synaptic memory so far.
struct CoreFill {
    let incomingBits: [[Int]]
    let starts: [Int]
    let explicit: [String: [CorePlacement]]
    let chipBound: Int
    let cap: Int
    let memory: Int
    var coreOf: [Int32]
    var count: [Int] = []
    var bits: [Int] = []

    init(_ network: NetworkDescription, incomingBits: [[Int]]) {
        self.incomingBits = incomingBits
        var starts: [Int] = []
        var offset = 0
        for p in network.populations {
            starts.append(offset)
            offset += p.size
        }
        self.starts = starts
        explicit = network.mapping.placement ?? [:]
        chipBound = network.mapping.chips ?? CoreMapper.chipLimit
        cap = network.mapping.maxCompartmentsPerCore ?? ChipGeometry.maxCompartmentsPerCore
        memory = network.mapping.ignoreSynapticMemory ? Int.max / 2 : ChipGeometry.synapticMemoryBitsPerCore
        coreOf = [Int32](repeating: 0, count: offset)
    }

    /// Grows the per-core tables to hold `core`.
    mutating func use(_ core: Int) {
        while count.count <= core {
            count.append(0)
            bits.append(0)
        }
    }

    mutating func put(population index: Int, compartment j: Int, on core: Int) {
        use(core)
        coreOf[starts[index] + j] = Int32(core)
        count[core] += 1
        bits[core] += incomingBits[index][j]
    }

    /// Explicit placements first (docs/energy.md "Core mapping" item 6); returns the first core after them.
    mutating func placeExplicitly(_ network: NetworkDescription) -> Int {
        let perChip = ChipGeometry.cores
        var nextFree = 0
        for (index, p) in network.populations.enumerated() {
            guard let runs = explicit[p.name] else { continue }
            var j = 0
            for run in runs where (0..<perChip).contains(run.core) && (0..<chipBound).contains(run.chip ?? 0) {
                let core = (run.chip ?? 0) * perChip + run.core
                use(core)
                for _ in 0..<run.count where j < p.size {
                    put(population: index, compartment: j, on: core)
                    j += 1
                }
                nextFree = max(nextFree, core + 1)
            }
        }
        return nextFree
    }

    /// Problems of the explicit placement: a core over its compartment or memory limit.
    func checkLimits(_ problems: inout [String]) -> Bool {
        var failed = false
        for core in count.indices {
            if count[core] > cap {
                problems.append(
                    "mapping: core \(core) holds \(count[core]) compartments, more than \(cap) per core; spread the placement over more cores"
                )
                failed = true
            }
            if bits[core] > memory {
                problems.append(
                    "mapping: core \(core) needs \(bits[core]) bits of synaptic memory, more than \(memory) per core; spread the placement over more cores"
                )
                failed = true
            }
        }
        return failed
    }

    /// Greedy fill of the rest in population order (docs/energy.md "Core mapping" items 1–4), chip after chip.
    /// False when the network needs more chips than allowed.
    mutating func placeGreedily(_ network: NetworkDescription, from first: Int, problems: inout [String]) -> Bool {
        var core = first
        for (index, p) in network.populations.enumerated() where explicit[p.name] == nil {
            use(core)
            if network.mapping.newCorePerPopulation && count[core] > 0 { core += 1 }
            for j in 0..<p.size {
                let need = incomingBits[index][j]
                if need > memory {
                    problems.append(
                        "mapping: population '\(p.name)' compartment \(j) needs \(need) bits of synaptic memory, more than one core's \(memory); reduce its fan-in"
                    )
                    break
                }
                use(core)
                if count[core] + 1 > cap || bits[core] + need > memory { core += 1 }
                if core >= chipBound * ChipGeometry.cores {
                    problems.append(CoreMapper.chipsExceeded(network, population: p.name, bound: chipBound))
                    return false
                }
                put(population: index, compartment: j, on: core)
            }
        }
        return true
    }

    /// The map, counters covering every core of every chip in use.
    mutating func coreMap(_ network: NetworkDescription) -> CoreMap {
        let perChip = ChipGeometry.cores
        let chips = max(1, (count.count + perChip - 1) / perChip)
        use(chips * perChip - 1)
        return CoreMap(
            segments: CoreMapper.segments(network, coreOf: coreOf, starts: starts), coreOfCompartment: coreOf,
            compartmentsPerCore: count, synapseBitsPerCore: bits)
    }
}
