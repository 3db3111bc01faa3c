import NeuroChip

/// The chip's operation counts (energy-model.md §2) of a NeuroChip network, derived from
/// which neurons and spike generators fire in each step. Nothing is simulated: the fast
/// path knows every spike of the nBP circuit from its own intermediates, and every
/// counter of NeuroChip is a function of those spikes, of the placement and — for the
/// active/inactive split only — of whether a compartment's summed input is exactly zero.
///
/// Active compartments (NeuroChip's `updateCompartments`): a compartment is active when
/// its input `a`, its current `u` or its voltage `v` before the step is non-zero, or it
/// fires. With full decay (du = dv = 4096, every nBP population) `u` before step s is
/// `wrap24(a(s-1))` and `v` is 0 after a spike or while refractory, else
/// `wrap24(u + bias)`. Hence, with `bias <= vth` (no compartment fires on zero input):
/// - a compartment that fired in s-1 is active (its `u` is non-zero);
/// - with `bias != 0` it can only be inactive while refractory, i.e. when it fired in
///   [s - refractory, s - 2], and then exactly when `a(s) == 0` and `wrap24(a(s-1)) == 0`;
/// - with `bias == 0` (the gates) it is inactive exactly when `a(s) == 0` and
///   `wrap24(a(s-1)) == 0`.
/// So exact input sums are needed only for these few candidates. Fixed-weight inputs are
/// recomputed from the spike history; plastic inputs (delay 0) are asked from the caller
/// (`plasticSum`) in the step their presynaptic spikes are sent, for the targets that can
/// be candidates one or two steps later.
final class SpikeCountModel {
    /// Problems that make a network unsuitable for counting from spikes.
    struct Unsupported: Error, CustomStringConvertible {
        var problems: [String]
        var description: String {
            "energy counts cannot be derived from spikes for this network: " + problems.joined(separator: "; ")
                + "; run it on the chip engine instead"
        }
    }

    struct FixedInput {
        var sourceGroup: Int
        var delay: Int
        var oneToOne: Bool
        /// Current per target (local index); one-to-one and one-to-all only.
        var current: [Int32]
    }

    /// An all-to-all connection (plastic or with a weight matrix): its input sums come from
    /// the caller.
    struct PlasticConnection {
        var index: Int
        var learns: Bool
        var sourceGroup: Int
        var target: Int
        var shift: Int
        var epoch: Int
        var nPre: Int
        var postsPerCore: [(core: Int, count: Int)]
        var traceUpdatesPerCore: [(core: Int, count: Int)]
    }

    let populationCount: Int
    let groupStart: [Int]
    let groupCount: [Int]
    let sourceCount: Int
    let coreOf: [UInt8]
    let compartmentsPerCore: [Int]
    let usedCores: [Int]
    let bias: [Int32]
    let refractory: [Int]
    let fixedInputs: [[FixedInput]]
    let plastic: [PlasticConnection]
    /// Per connection: source group, and either the per-core synaptic ops of one spike
    /// (dense) or the core of each target (one-to-one).
    let connectionSource: [Int]
    let denseOps: [[(core: Int, count: Int)]?]
    let oneToOneCore: [[Int32]]
    /// Messages per source (global source index), as NeuroChip precomputes them.
    let destStart: [Int32]
    let destCores: [UInt8]
    let hopsEW: [Int32]
    let hopsNS: [Int32]
    let paths: [UInt32]

    /// History ring: spikes (local indices per group) and flags of the last `depth` steps.
    let depth: Int
    var fired: [[Int32]]
    var flags: [UInt8]
    /// Plastic input currents of the watched targets for steps s-1, s, s+1 (ring of 3).
    var pending: [Int32]
    var pendingTouched: [[Int32]]
    var step = 0
    var counts = [CoreStepCounts](repeating: CoreStepCounts(), count: ChipGeometry.cores)
    var inactive = [Int](repeating: 0, count: ChipGeometry.cores)
    /// Plastic inputs the caller could not give (then taken as zero); 0 when exact.
    private(set) var unresolvedInputs = 0

    init(network: NetworkDescription, coreMap: CoreMap) throws(Unsupported) {
        var problems: [String] = []
        let populations = network.populations
        populationCount = populations.count
        var starts: [Int] = []
        var sizes: [Int] = []
        var names: [String: Int] = [:]
        var total = 0
        for (index, p) in populations.enumerated() {
            starts.append(total)
            sizes.append(p.size)
            names[p.name] = index
            total += p.size
        }
        for (index, g) in network.generators.enumerated() {
            starts.append(total)
            sizes.append(g.size)
            names[g.name] = populations.count + index
            total += g.size
        }
        groupStart = starts
        groupCount = sizes
        sourceCount = total
        coreOf = coreMap.coreOfCompartment
        compartmentsPerCore = coreMap.compartmentsPerCore
        usedCores = coreMap.usedCores
        bias = populations.map { Int32($0.biasMantissa << $0.biasExponent) }
        refractory = populations.map(\.refractory)
        for p in populations {
            if p.du != 4096 || p.dv != 4096 {
                problems.append("population \(p.name) does not decay fully (du, dv = \(p.du), \(p.dv); need 4096)")
            }
            if (p.biasMantissa << p.biasExponent) > (p.vthMantissa << 6) {
                problems.append("population \(p.name) fires without input (bias above threshold)")
            }
        }

        var fixed = [[FixedInput]](repeating: [], count: populations.count)
        var plasticList: [PlasticConnection] = []
        var sources: [Int] = []
        var dense: [[(core: Int, count: Int)]?] = []
        var oneToOne: [[Int32]] = []
        var outgoing = [[Int]](repeating: [], count: sizes.count)
        var maxDelay = 0
        for (index, c) in network.connections.enumerated() {
            guard let g = names[c.source], let t = names[c.target], t < populations.count else {
                problems.append("connection \(c.name) has an unknown source or target")
                sources.append(0)
                dense.append(nil)
                oneToOne.append([])
                continue
            }
            outgoing[g].append(index)
            sources.append(g)
            maxDelay = max(maxDelay, c.delay)
            let targetCores = (0..<sizes[t]).map { Int32(coreMap.coreOfCompartment[starts[t] + $0]) }
            var perCore: [Int: Int] = [:]
            for core in targetCores { perCore[Int(core), default: 0] += 1 }
            let ops = perCore.sorted { $0.key < $1.key }.map { (core: $0.key, count: $0.value) }
            let shift = 6 + c.exponent
            switch c.pattern {
            case .oneToOne:
                dense.append(nil)
                oneToOne.append(targetCores)
            case .oneToAll, .allToAll:
                dense.append(ops)
                oneToOne.append([])
            case .sparse:
                problems.append("connection \(c.name) is sparse (not supported)")
                dense.append(nil)
                oneToOne.append([])
            }
            if c.delays != nil { problems.append("connection \(c.name) has per-synapse delays (not supported)") }
            if c.isPlastic || c.pattern == .allToAll {
                guard c.pattern == .allToAll, c.delay == 0, shift >= 0 else {
                    problems.append("plastic connection \(c.name) must be all-to-all with delay 0 and exponent >= -6")
                    continue
                }
                if bias[t] == 0 || refractory[t] < 1 {
                    problems.append("plastic connection \(c.name) targets an unbiased population")
                }
                var pre = 0
                var post = 0
                var r1 = 0
                var epoch = 1
                if let learning = c.learning {
                    epoch = max(1, learning.epoch)
                    if epoch != 1 { problems.append("plastic connection \(c.name) learns every \(epoch) steps (need 1)") }
                    do {
                        let rules = try LearningRuleParser.parseSet(learning.rule)
                        let variables = rules.variables
                        pre = [RuleVariable.x1, .x2].filter { variables.contains($0) }.count
                        post = [RuleVariable.y1, .y2, .y3].filter { variables.contains($0) }.count
                        r1 = variables.contains(.r1) ? 1 : 0
                        // Processed synapses = (spiking pre) x (spiking post) needs: every product
                        // holds x0 and y0, no dt rule, and one product that is a non-zero constant
                        // times x0*y0 (NeuroChip's pair path then hits every such pair).
                        let pairRule =
                            rules.dt == nil && rules.dw.map { rule in
                                rule.everyProductContains(.x0) && rule.everyProductContains(.y0)
                                    && rule.products.contains { product in
                                        product.mantissa != 0
                                            && product.factors.allSatisfy {
                                                ($0.variable == .x0 || $0.variable == .y0) && $0.offset == 0
                                            }
                                    }
                            } == true
                        if !pairRule {
                            problems.append("plastic connection \(c.name): rule '\(learning.rule)' is not a pair rule")
                        }
                    } catch {
                        problems.append("plastic connection \(c.name): \(error)")
                    }
                } else if c.plastic == true {
                    problems.append("plastic connection \(c.name) has no learning rule")
                    continue
                }
                plasticList.append(
                    PlasticConnection(
                        index: index, learns: c.isPlastic, sourceGroup: g, target: t, shift: shift, epoch: epoch, nPre: sizes[g],
                        postsPerCore: ops,
                        traceUpdatesPerCore: ops.map { (core: $0.core, count: pre * sizes[g] + post * $0.count + r1) }))
            } else if c.pattern == .oneToOne || c.pattern == .oneToAll {
                let currents = (0..<sizes[t]).map { j -> Int32 in
                    let w = c.weights?[j] ?? c.weight ?? 0
                    if shift >= 0 { return Int32(truncatingIfNeeded: w << shift) }
                    let magnitude = abs(w) >> -shift
                    return Int32(w < 0 ? -magnitude : magnitude)
                }
                fixed[t].append(
                    FixedInput(sourceGroup: g, delay: c.delay, oneToOne: c.pattern == .oneToOne, current: currents))
            }
        }
        if !problems.isEmpty { throw Unsupported(problems: problems) }
        fixedInputs = fixed
        plastic = plasticList
        connectionSource = sources
        denseOps = dense
        oneToOneCore = oneToOne

        // Messages: one per (fired source, distinct destination core), energy-model.md §2.
        var dStart: [Int32] = [0]
        var dCores: [UInt8] = []
        var ew: [Int32] = []
        var ns: [Int32] = []
        var seenPaths: [UInt32] = []
        for g in 0..<sizes.count {
            for i in 0..<sizes[g] {
                var cores = Set<Int>()
                for c in outgoing[g] {
                    if let ops = dense[c] {
                        for op in ops { cores.insert(op.core) }
                    } else {
                        cores.insert(Int(oneToOne[c][i]))
                    }
                }
                let sorted = cores.sorted()
                var hEW: Int32 = 0
                var hNS: Int32 = 0
                var seen: UInt32 = 0
                if g < populations.count {
                    let source = Int(coreMap.coreOfCompartment[starts[g] + i])
                    for d in sorted {
                        let h = ChipGeometry.hops(from: source, to: d)
                        hEW += Int32(h.eastWest)
                        hNS += Int32(h.northSouth)
                        seen |= 1 << UInt32(h.eastWest * 4 + h.northSouth)
                    }
                }
                dCores += sorted.map { UInt8($0) }
                dStart.append(Int32(dCores.count))
                ew.append(hEW)
                ns.append(hNS)
                seenPaths.append(seen)
            }
        }
        destStart = dStart
        destCores = dCores
        hopsEW = ew
        hopsNS = ns
        paths = seenPaths

        depth = maxDelay + 3
        fired = Array(repeating: [], count: depth * sizes.count)
        flags = Array(repeating: 0, count: depth * total)
        pending = Array(repeating: 0, count: 3 * total)
        pendingTouched = Array(repeating: [], count: 3)
    }

    /// Forgets all spikes (a fresh chip) and numbers the next step `step`.
    func reset(step first: Int) {
        for slot in 0..<depth { clearSlot(slot) }
        for slot in 0..<3 { clearPending(slot) }
        step = first
    }

    private func clearSlot(_ slot: Int) {
        let groups = groupCount.count
        for g in 0..<groups {
            let index = slot * groups + g
            if fired[index].isEmpty { continue }
            let base = slot * sourceCount + groupStart[g]
            for i in fired[index] { flags[base + Int(i)] = 0 }
            fired[index].removeAll(keepingCapacity: true)
        }
    }

    private func clearPending(_ slot: Int) {
        let base = slot * sourceCount
        for k in pendingTouched[slot] { pending[base + Int(k)] = 0 }
        pendingTouched[slot].removeAll(keepingCapacity: true)
    }

    /// Starts step `step`: clears its history slot.
    func beginStep() {
        clearSlot(step % depth)
    }

    /// Marks local indices of group `g` (population or generator) as fired in this step.
    func fire(group g: Int, _ indices: UnsafeBufferPointer<Int32>) {
        if indices.isEmpty { return }
        let slot = step % depth
        let index = slot * groupCount.count + g
        let base = slot * sourceCount + groupStart[g]
        for i in indices where flags[base + Int(i)] == 0 {
            flags[base + Int(i)] = 1
            fired[index].append(i)
        }
    }

    func fire(group g: Int, _ indices: [Int32]) {
        indices.withUnsafeBufferPointer { fire(group: g, $0) }
    }

    func fire(group g: Int, index i: Int32) {
        withUnsafePointer(to: i) { fire(group: g, UnsafeBufferPointer(start: $0, count: 1)) }
    }

    @inline(__always)
    private func firedList(_ group: Int, at s: Int) -> [Int32] {
        if s < step - depth + 1 || s > step { return [] }
        return fired[(s % depth) * groupCount.count + group]
    }

    @inline(__always)
    private func didFire(_ source: Int, at s: Int) -> Bool {
        if s < 0 || s < step - depth + 1 || s > step { return false }
        return flags[(s % depth) * sourceCount + source] != 0
    }

    /// Summed input current of compartment j of population p in step t (raw, wrapping).
    private func input(_ p: Int, _ j: Int, at t: Int) -> Int32 {
        var a: Int32 = 0
        for f in fixedInputs[p] {
            let source = groupStart[f.sourceGroup] + (f.oneToOne ? j : 0)
            if didFire(source, at: t - 1 - f.delay) { a &+= f.current[j] }
        }
        if t >= step - 1 && t <= step + 1 {
            a &+= pending[(t % 3) * sourceCount + groupStart[p] + j]
        }
        return a
    }

    /// Ends the step: computes its counts (128 cores, used ones filled) into `counts`.
    /// `plasticSum(connection, j)` gives the summed weight (mantissa units) of the
    /// presynaptic spikes of this step onto target j of a plastic connection, with the
    /// weights before this step's learning; nil when unknown (counted, taken as zero).
    func endStep(plasticSum: (_ connection: Int, _ target: Int) -> Int32?) {
        let s = step
        let groups = groupCount.count
        let slot = s % depth
        for core in usedCores {
            counts[core] = CoreStepCounts()
            inactive[core] = 0
        }
        clearPending((s + 1) % 3)

        // Compartments: only the candidates of the header can be inactive.
        for p in 0..<populationCount {
            let start = groupStart[p]
            if bias[p] == 0 {
                for j in 0..<groupCount[p] where !didFire(start + j, at: s - 1) {
                    if input(p, j, at: s) == 0 && wrap24(input(p, j, at: s - 1)) == 0 {
                        inactive[Int(coreOf[start + j])] += 1
                    }
                }
            } else if refractory[p] >= 2 {
                for m in 2...refractory[p] {
                    for j32 in firedList(p, at: s - m) {
                        let j = Int(j32)
                        if input(p, j, at: s) == 0 && wrap24(input(p, j, at: s - 1)) == 0 {
                            inactive[Int(coreOf[start + j])] += 1
                        }
                    }
                }
            }
        }
        for core in usedCores {
            counts[core].inactiveCompartments = inactive[core]
            counts[core].activeCompartments = compartmentsPerCore[core] - inactive[core]
        }

        // Spikes and messages.
        for g in 0..<groups {
            let list = fired[slot * groups + g]
            if list.isEmpty { continue }
            let start = groupStart[g]
            for i in list {
                let source = start + Int(i)
                let first = Int(destStart[source])
                let end = Int(destStart[source + 1])
                if g < populationCount {
                    let core = Int(coreOf[source])
                    counts[core].spikesGenerated += 1
                    counts[core].messagesOut += end - first
                    counts[core].hopsEastWest += Int(hopsEW[source])
                    counts[core].hopsNorthSouth += Int(hopsNS[source])
                    counts[core].messagePathsSeen |= paths[source]
                    for k in first..<end { counts[Int(destCores[k])].messagesIn += 1 }
                } else {
                    for k in first..<end { counts[Int(destCores[k])].hostMessagesIn += 1 }
                }
            }
        }

        // Synaptic ops: every spike touches every synapse of its fan-out.
        for c in connectionSource.indices {
            let list = fired[slot * groups + connectionSource[c]]
            if list.isEmpty { continue }
            if let ops = denseOps[c] {
                for op in ops { counts[op.core].synapticOps += op.count * list.count }
            } else {
                let cores = oneToOneCore[c]
                for i in list { counts[Int(cores[Int(i)])].synapticOps += 1 }
            }
        }

        // Learning (epoch, sweep, traces, processed pairs) and the plastic inputs of the
        // targets that may be inactive in s+1 or s+2.
        let next = ((s + 1) % 3) * sourceCount
        for c in plastic {
            if c.learns {
                for entry in c.traceUpdatesPerCore { counts[entry.core].traceUpdates += entry.count }
            }
            if c.learns && (s + 1) % c.epoch == 0 {
                for entry in c.postsPerCore {
                    counts[entry.core].learningEpochs = 1
                    counts[entry.core].plasticSynapsesSwept += entry.count * c.nPre
                }
            }
            let pre = fired[slot * groups + c.sourceGroup].count
            if pre == 0 { continue }
            if c.learns && c.epoch == 1 {
                for j in fired[slot * groups + c.target] {
                    counts[Int(coreOf[groupStart[c.target] + Int(j)])].plasticSynapseUpdatesProcessed += pre
                }
            }
            // A target with refractory 1 is never a candidate (header), so needs no sums.
            let start = groupStart[c.target]
            let window = refractory[c.target] >= 2 ? refractory[c.target] : 0
            for m in 0..<window {
                for j32 in firedList(c.target, at: s - m) {
                    let j = Int(j32)
                    let sum: Int32
                    if let known = plasticSum(c.index, j) {
                        sum = known
                    } else {
                        unresolvedInputs += 1
                        sum = 0
                    }
                    let k = next + start + j
                    if pending[k] == 0 { pendingTouched[(s + 1) % 3].append(Int32(start + j)) }
                    pending[k] &+= sum &<< Int32(c.shift)
                }
            }
        }
        step += 1
    }

    @inline(__always)
    private func wrap24(_ x: Int32) -> Int32 { (x << 8) >> 8 }
}
