// Placement of compartments onto the chip's cores (docs/energy.md "Core mapping").

enum CoreMapper {
    /// Maps populations to cores. `incomingBits[p][j]` is the synaptic memory that
    /// compartment j of population p needs. Problems are appended to `problems`.
    static func map(
        _ network: NetworkDescription, incomingBits: [[Int]], problems: inout [String]
    ) -> CoreMap? {
        let cores = ChipGeometry.cores
        let cap = network.mapping.maxCompartmentsPerCore ?? ChipGeometry.maxCompartmentsPerCore
        let memory = network.mapping.ignoreSynapticMemory ? Int.max / 2 : ChipGeometry.synapticMemoryBitsPerCore
        let total = network.populations.reduce(0) { $0 + $1.size }
        var coreOf = [UInt8](repeating: 0, count: total)
        var count = [Int](repeating: 0, count: cores)
        var bits = [Int](repeating: 0, count: cores)
        var starts: [Int] = []
        var offset = 0
        for p in network.populations {
            starts.append(offset)
            offset += p.size
        }
        let explicit = network.mapping.placement ?? [:]
        var failed = false

        // Explicit placements first (docs/energy.md "Core mapping" item 6).
        var nextFree = 0
        for (index, p) in network.populations.enumerated() {
            guard let runs = explicit[p.name] else { continue }
            var j = 0
            for run in runs where (0..<cores).contains(run.core) {
                for _ in 0..<run.count where j < p.size {
                    coreOf[starts[index] + j] = UInt8(run.core)
                    count[run.core] += 1
                    bits[run.core] += incomingBits[index][j]
                    j += 1
                }
                nextFree = max(nextFree, run.core + 1)
            }
        }
        for core in 0..<cores {
            if count[core] > cap {
                problems.append(
                    "mapping: core \(core) holds \(count[core]) compartments, more than \(cap); spread the placement over more cores"
                )
                failed = true
            }
            if bits[core] > memory {
                problems.append(
                    "mapping: core \(core) needs \(bits[core]) bits of synaptic memory, more than \(memory); spread the placement over more cores"
                )
                failed = true
            }
        }

        // Greedy fill of the rest in population order (docs/energy.md "Core mapping" items 1–4).
        var core = nextFree
        for (index, p) in network.populations.enumerated() where explicit[p.name] == nil {
            if network.mapping.newCorePerPopulation && core < cores && count[core] > 0 { core += 1 }
            for j in 0..<p.size {
                let need = incomingBits[index][j]
                if need > memory {
                    problems.append(
                        "mapping: population '\(p.name)' compartment \(j) needs \(need) bits of synaptic memory, more than one core's \(memory); reduce its fan-in"
                    )
                    failed = true
                    break
                }
                if core < cores && (count[core] + 1 > cap || bits[core] + need > memory) { core += 1 }
                if core >= cores {
                    problems.append(
                        "mapping: population '\(p.name)' does not fit on one chip of \(cores) cores; reduce the network size or fan-in"
                    )
                    return nil
                }
                coreOf[starts[index] + j] = UInt8(core)
                count[core] += 1
                bits[core] += need
            }
        }
        if failed { return nil }

        var segments: [CoreSegment] = []
        for (index, p) in network.populations.enumerated() {
            var j = 0
            while j < p.size {
                let c = coreOf[starts[index] + j]
                var k = j
                while k < p.size && coreOf[starts[index] + k] == c { k += 1 }
                segments.append(
                    CoreSegment(
                        population: index, start: starts[index] + j,
                        end: starts[index] + k, core: Int(c)))
                j = k
            }
        }
        return CoreMap(
            segments: segments, coreOfCompartment: coreOf, compartmentsPerCore: count,
            synapseBitsPerCore: bits)
    }
}
