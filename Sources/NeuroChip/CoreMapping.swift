// Placement of compartments onto the cores of one or more chips (energy-model.md §5.2–5.3).
// Cores are numbered globally: core c of chip k is `k * ChipGeometry.cores + c`, so a
// network that fits one chip keeps the numbers it always had.

enum CoreMapper {
    /// Chips the greedy fill may open when `mapping.chips` is not set (a sanity bound: 1,024
    /// chips of 128 cores hold 134 million compartments).
    static let chipLimit = 1024

    /// Maps populations to cores. `incomingBits[p][j]` is the synaptic memory that
    /// compartment j of population p needs. Problems are appended to `problems`; each names
    /// the limit that was hit and what to change.
    static func map(
        _ network: NetworkDescription, incomingBits: [[Int]], problems: inout [String]
    ) -> CoreMap? {
        let perChip = ChipGeometry.cores
        let chipBound = network.mapping.chips ?? chipLimit
        let coreBound = chipBound * perChip
        let cap = network.mapping.maxCompartmentsPerCore ?? ChipGeometry.maxCompartmentsPerCore
        let memory = network.mapping.ignoreSynapticMemory ? Int.max / 2 : ChipGeometry.synapticMemoryBitsPerCore
        let total = network.populations.reduce(0) { $0 + $1.size }
        var coreOf = [Int32](repeating: 0, count: total)
        var count: [Int] = []
        var bits: [Int] = []
        func use(_ core: Int) {
            while count.count <= core {
                count.append(0)
                bits.append(0)
            }
        }
        var starts: [Int] = []
        var offset = 0
        for p in network.populations {
            starts.append(offset)
            offset += p.size
        }
        let explicit = network.mapping.placement ?? [:]
        var failed = false

        // Explicit placements first (energy-model.md §5.3 item 6).
        var nextFree = 0
        for (index, p) in network.populations.enumerated() {
            guard let runs = explicit[p.name] else { continue }
            var j = 0
            for run in runs where (0..<perChip).contains(run.core) && (0..<chipBound).contains(run.chip ?? 0) {
                let core = (run.chip ?? 0) * perChip + run.core
                use(core)
                for _ in 0..<run.count where j < p.size {
                    coreOf[starts[index] + j] = Int32(core)
                    count[core] += 1
                    bits[core] += incomingBits[index][j]
                    j += 1
                }
                nextFree = max(nextFree, core + 1)
            }
        }
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

        // Greedy fill of the rest in population order (§5.3 items 1–4), chip after chip.
        var core = nextFree
        for (index, p) in network.populations.enumerated() where explicit[p.name] == nil {
            use(core)
            if network.mapping.newCorePerPopulation && count[core] > 0 { core += 1 }
            for j in 0..<p.size {
                let need = incomingBits[index][j]
                if need > memory {
                    problems.append(
                        "mapping: population '\(p.name)' compartment \(j) needs \(need) bits of synaptic memory, more than one core's \(memory); reduce its fan-in"
                    )
                    failed = true
                    break
                }
                use(core)
                if count[core] + 1 > cap || bits[core] + need > memory { core += 1 }
                if core >= coreBound {
                    problems.append(chipsExceeded(network, population: p.name, bound: chipBound))
                    return nil
                }
                use(core)
                coreOf[starts[index] + j] = Int32(core)
                count[core] += 1
                bits[core] += need
            }
        }
        if failed { return nil }
        // Whole chips: counters cover every core of every chip in use.
        let chips = max(1, (count.count + perChip - 1) / perChip)
        use(chips * perChip - 1)
        return CoreMap(
            segments: segments(network, coreOf: coreOf, starts: starts), coreOfCompartment: coreOf,
            compartmentsPerCore: count, synapseBitsPerCore: bits)
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
