import NeuroChip

/// The chip's operation counts (docs/energy.md, "The counts file") of a NeuroChip network, derived from
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

    // Structure (immutable; `let` arrays need no exclusivity checks in the step loop).
    let populationCount: Int
    let groups: Int
    let groupStart: [Int]
    let groupCount: [Int]
    let sourceCount: Int
    let coreOf: [Int32]
    let compartmentsPerCore: [Int]
    let usedCores: [Int]
    let bias: [Int32]
    let refractory: [Int]
    /// Fixed inputs of population p: entries fixedStart[p] ..< fixedStart[p + 1].
    let fixedStart: [Int]
    let fixedSource: [Int]
    let fixedDelay: [Int]
    let fixedOneToOne: [Bool]
    /// Offset of the entry's per-target currents in `fixedCurrents`.
    let fixedCurrentOffset: [Int]
    let fixedCurrents: [Int32]
    let plastic: [PlasticConnection]
    /// Per connection: source group, and either the per-core synaptic ops of one spike
    /// (dense) or the core of each target (one-to-one).
    let connectionSource: [Int]
    let connectionDense: [Bool]
    let denseOps: [[(core: Int, count: Int)]]
    let oneToOneCore: [[Int32]]
    /// Messages per source (global source index), as NeuroChip precomputes them.
    let destStart: [Int32]
    let destCores: [UInt8]
    let hopsEW: [Int32]
    let hopsNS: [Int32]
    let paths: [UInt32]
    /// Cores holding posts of a learning connection.
    let learningCores: [Int]

    // State: raw buffers owned by the object (STYLE.md, "Hot loops").
    /// History ring of `depth` steps: flags per source, fired local indices per group
    /// (group g's list at offset groupStart[g] of the slot) and their counts.
    let depth: Int
    let mask: Int
    let flags: UnsafeMutablePointer<UInt8>
    let firedIndex: UnsafeMutablePointer<Int32>
    let firedCount: UnsafeMutablePointer<Int32>
    /// Plastic input currents of the watched targets for steps s-1, s, s+1 (ring of 3),
    /// and which entries were written.
    let pending: UnsafeMutablePointer<Int32>
    let touched: UnsafeMutablePointer<Int32>
    let touchedCount: UnsafeMutablePointer<Int>
    /// Whether any plastic input of a population was written for a ring slot.
    let pendingInPopulation: UnsafeMutablePointer<Bool>
    /// Fixed inputs with a spike in their source at the step they deliver for (scratch).
    let activeEntries: UnsafeMutablePointer<Int>
    var step = 0
    /// Plastic inputs the caller could not give (then taken as zero); 0 when exact.
    private(set) var unresolvedInputs = 0

    init(network: NetworkDescription, coreMap: CoreMap) throws(Unsupported) {
        var problems: [String] = []
        if coreMap.chips > 1 { problems.append("the placement spans \(coreMap.chips) chips (counts cover one chip)") }
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
        let bias = populations.map { Int32($0.biasMantissa << $0.biasExponent) }
        let refractory = populations.map(\.refractory)
        self.bias = bias
        self.refractory = refractory
        for p in populations {
            if p.du != 4096 || p.dv != 4096 {
                problems.append("population \(p.name) does not decay fully (du, dv = \(p.du), \(p.dv); need 4096)")
            }
            if (p.biasMantissa << p.biasExponent) > (p.vthMantissa << 6) {
                problems.append("population \(p.name) fires without input (bias above threshold)")
            }
        }

        let tables = SpikeCountModel.connectionTables(
            network: network, coreMap: coreMap, starts: starts, sizes: sizes, names: names, bias: bias,
            refractory: refractory, problems: &problems)
        let (fixed, plasticList, sources, dense, oneToOne, outgoing, maxDelay) = (
            tables.fixed, tables.plastic, tables.sources, tables.dense, tables.oneToOne, tables.outgoing,
            tables.maxDelay
        )
        if !problems.isEmpty { throw Unsupported(problems: problems) }
        (fixedStart, fixedSource, fixedDelay, fixedOneToOne, fixedCurrentOffset, fixedCurrents) =
            SpikeCountModel.flatten(fixed)
        plastic = plasticList
        learningCores = Set(plasticList.filter(\.learns).flatMap { $0.postsPerCore.map(\.core) }).sorted()
        connectionSource = sources
        connectionDense = dense.map { $0 != nil }
        denseOps = dense.map { $0 ?? [] }
        oneToOneCore = oneToOne

        // Messages: one per (fired source, distinct destination core), docs/energy.md.
        let messages = SpikeCountModel.messageTables(
            sizes: sizes, starts: starts, populations: populations.count, outgoing: outgoing, dense: dense,
            oneToOne: oneToOne, coreMap: coreMap)
        (destStart, destCores, hopsEW, hopsNS, paths) = messages
        groups = sizes.count

        // Rings of powers of two: slots by masking, no division in the step loop.
        var ring = 4
        while ring < maxDelay + 3 { ring *= 2 }
        depth = ring
        mask = ring - 1
        flags = .allocate(capacity: depth * total)
        flags.initialize(repeating: 0, count: depth * total)
        firedIndex = .allocate(capacity: depth * total)
        firedIndex.initialize(repeating: 0, count: depth * total)
        firedCount = .allocate(capacity: depth * sizes.count)
        firedCount.initialize(repeating: 0, count: depth * sizes.count)
        pending = .allocate(capacity: 4 * total)
        pending.initialize(repeating: 0, count: 4 * total)
        touched = .allocate(capacity: 4 * total)
        touched.initialize(repeating: 0, count: 4 * total)
        pendingInPopulation = .allocate(capacity: 4 * populations.count)
        pendingInPopulation.initialize(repeating: false, count: 4 * populations.count)
        touchedCount = .allocate(capacity: 4)
        touchedCount.initialize(repeating: 0, count: 4)
        activeEntries = .allocate(capacity: max(1, 2 * fixedSource.count))
        activeEntries.initialize(repeating: 0, count: max(1, 2 * fixedSource.count))
    }

    /// What the connections give the model before it is flattened: fixed inputs per
    /// population, plastic (and weight-matrix) connections, per connection its source group
    /// and target cores, per group its outgoing connections, and the longest delay.
    struct ConnectionTables {
        var fixed: [[FixedInput]]
        var plastic: [PlasticConnection] = []
        var sources: [Int] = []
        var dense: [[(core: Int, count: Int)]?] = []
        var oneToOne: [[Int32]] = []
        var outgoing: [[Int]]
        var maxDelay = 0
    }

    static func connectionTables(
        network: NetworkDescription, coreMap: CoreMap, starts: [Int], sizes: [Int], names: [String: Int],
        bias: [Int32], refractory: [Int], problems: inout [String]
    ) -> ConnectionTables {
        let populationCount = network.populations.count
        var tables = ConnectionTables(
            fixed: Array(repeating: [], count: populationCount), outgoing: Array(repeating: [], count: sizes.count))
        for (index, c) in network.connections.enumerated() {
            guard let g = names[c.source], let t = names[c.target], t < populationCount else {
                problems.append("connection \(c.name) has an unknown source or target")
                tables.sources.append(0)
                tables.dense.append(nil)
                tables.oneToOne.append([])
                continue
            }
            tables.outgoing[g].append(index)
            tables.sources.append(g)
            tables.maxDelay = max(tables.maxDelay, c.delay)
            let targetCores = (0..<sizes[t]).map { Int32(coreMap.coreOfCompartment[starts[t] + $0]) }
            var perCore: [Int: Int] = [:]
            for core in targetCores { perCore[Int(core), default: 0] += 1 }
            let ops = perCore.sorted { $0.key < $1.key }.map { (core: $0.key, count: $0.value) }
            let shift = 6 + c.exponent
            switch c.pattern {
            case .oneToOne:
                tables.dense.append(nil)
                tables.oneToOne.append(targetCores)
            case .oneToAll, .allToAll:
                tables.dense.append(ops)
                tables.oneToOne.append([])
            case .sparse, .random:
                problems.append("connection \(c.name) is sparse (not supported)")
                tables.dense.append(nil)
                tables.oneToOne.append([])
            }
            if c.delays != nil { problems.append("connection \(c.name) has per-synapse delays (not supported)") }
            if c.isPlastic || c.pattern == .allToAll {
                // Row sums of mantissas shift as one only for e >= 0 (e < 0 floors each synapse).
                guard c.pattern == .allToAll, c.delay == 0, c.exponent >= 0 else {
                    problems.append("plastic connection \(c.name) must be all-to-all with delay 0 and exponent >= 0")
                    continue
                }
                if bias[t] == 0 || refractory[t] < 1 {
                    problems.append("plastic connection \(c.name) targets an unbiased population")
                }
                guard let (pre, post, r1, epoch) = SpikeCountModel.learningShape(of: c, problems: &problems) else {
                    continue
                }
                tables.plastic.append(
                    PlasticConnection(
                        index: index, learns: c.isPlastic, sourceGroup: g, target: t, shift: shift, epoch: epoch,
                        nPre: sizes[g],
                        postsPerCore: ops,
                        traceUpdatesPerCore: ops.map { (core: $0.core, count: pre * sizes[g] + post * $0.count + r1) }))
            } else if c.pattern == .oneToOne || c.pattern == .oneToAll {
                let currents = (0..<sizes[t]).map { j -> Int32 in
                    let w = c.weights?[j] ?? c.weight ?? 0
                    if shift >= 0 { return Int32(truncatingIfNeeded: w << shift) }
                    let magnitude = abs(w) >> -shift
                    return Int32(w < 0 ? -magnitude : magnitude)
                }
                tables.fixed[t].append(
                    FixedInput(sourceGroup: g, delay: c.delay, oneToOne: c.pattern == .oneToOne, current: currents))
            }
        }
        return tables
    }

    /// The trace counts (x1/x2, y1..y3, r1) and the epoch of a plastic connection's rule;
    /// nil when a plastic connection has no rule. Problems are appended: counting processed
    /// synapses as (spiking pre) x (spiking post) needs a pair rule learning every step.
    static func learningShape(of c: ConnectionSpec, problems: inout [String])
        -> (pre: Int, post: Int, r1: Int, epoch: Int)?
    {
        guard let learning = c.learning else {
            if c.plastic == true {
                problems.append("plastic connection \(c.name) has no learning rule")
                return nil
            }
            return (0, 0, 0, 1)
        }
        let epoch = max(1, learning.epoch)
        if epoch != 1 {
            problems.append("plastic connection \(c.name) learns every \(epoch) steps (need 1)")
        }
        do {
            let rules = try LearningRuleParser.parseSet(learning.rule)
            let variables = rules.variables
            let pre = [RuleVariable.x1, .x2].filter { variables.contains($0) }.count
            let post = [RuleVariable.y1, .y2, .y3].filter { variables.contains($0) }.count
            let r1 = variables.contains(.r1) ? 1 : 0
            // Processed synapses = (spiking pre) x (spiking post) needs: every product
            // holds x0 and y0, no dt rule, and one product that is a non-zero constant
            // times x0*y0 (NeuroChip's pair path then hits every such pair).
            let pairRule =
                rules.dt == nil
                && rules.dw.map { rule in
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
            return (pre, post, r1, epoch)
        } catch {
            problems.append("plastic connection \(c.name): \(error)")
            return (0, 0, 0, epoch)
        }
    }

    /// Per source (global index): its destination cores, hops and path bit, as NeuroChip
    /// precomputes them.
    static func messageTables(
        sizes: [Int], starts: [Int], populations: Int, outgoing: [[Int]], dense: [[(core: Int, count: Int)]?],
        oneToOne: [[Int32]], coreMap: CoreMap
    ) -> (start: [Int32], cores: [UInt8], hopsEW: [Int32], hopsNS: [Int32], paths: [UInt32]) {
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
                // Spike generators (g >= populations) send from off-chip: no hops.
                let route =
                    g < populations
                    ? ChipGeometry.route(from: Int(coreMap.coreOfCompartment[starts[g] + i]), to: sorted) : (0, 0, 0)
                dCores += sorted.map { UInt8($0) }
                dStart.append(Int32(dCores.count))
                ew.append(Int32(route.0))
                ns.append(Int32(route.1))
                seenPaths.append(route.2)
            }
        }
        return (dStart, dCores, ew, ns, seenPaths)
    }

    /// The fixed inputs of every population as flat arrays (population p's entries are
    /// `start[p] ..< start[p + 1]`), so the step loop reads no nested array.
    static func flatten(_ fixed: [[FixedInput]]) -> (
        start: [Int], source: [Int], delay: [Int], oneToOne: [Bool], offset: [Int], currents: [Int32]
    ) {
        var fStart: [Int] = [0]
        var fSource: [Int] = []
        var fDelay: [Int] = []
        var fOne: [Bool] = []
        var fOffset: [Int] = []
        var fCurrents: [Int32] = []
        for p in fixed.indices {
            for f in fixed[p] {
                fSource.append(f.sourceGroup)
                fDelay.append(f.delay)
                fOne.append(f.oneToOne)
                fOffset.append(fCurrents.count)
                fCurrents += f.current
            }
            fStart.append(fSource.count)
        }
        return (fStart, fSource, fDelay, fOne, fOffset, fCurrents)
    }

    deinit {
        flags.deallocate()
        firedIndex.deallocate()
        firedCount.deallocate()
        pending.deallocate()
        touched.deallocate()
        touchedCount.deallocate()
        pendingInPopulation.deallocate()
        activeEntries.deallocate()
    }

    /// Forgets all spikes (a fresh chip) and numbers the next step `first`.
    func reset(step first: Int) {
        for slot in 0..<depth { clearSlot(slot) }
        for slot in 0..<4 { clearPending(slot) }
        step = first
    }

    private func clearSlot(_ slot: Int) {
        for g in 0..<groups {
            let count = Int(firedCount[slot * groups + g])
            if count == 0 { continue }
            let list = firedIndex + slot * sourceCount + groupStart[g]
            let base = flags + slot * sourceCount + groupStart[g]
            for k in 0..<count { base[Int(list[k])] = 0 }
            firedCount[slot * groups + g] = 0
        }
    }

    private func clearPending(_ slot: Int) {
        let base = pending + slot * sourceCount
        let list = touched + slot * sourceCount
        for k in 0..<touchedCount[slot] { base[Int(list[k])] = 0 }
        touchedCount[slot] = 0
        for p in 0..<populationCount { pendingInPopulation[slot * populationCount + p] = false }
    }

    /// Starts the next step: clears its history slot.
    func beginStep() {
        clearSlot(step & mask)
    }

    /// Marks local indices of group `g` (population or generator) as fired in this step.
    func fire(group g: Int, _ indices: UnsafeBufferPointer<Int32>) {
        if indices.isEmpty { return }
        let slot = step & mask
        let base = flags + slot * sourceCount + groupStart[g]
        let list = firedIndex + slot * sourceCount + groupStart[g]
        var count = Int(firedCount[slot * groups + g])
        for i in indices where base[Int(i)] == 0 {
            base[Int(i)] = 1
            list[count] = i
            count += 1
        }
        firedCount[slot * groups + g] = Int32(count)
    }

    func fire(group g: Int, _ indices: [Int32]) {
        indices.withUnsafeBufferPointer { fire(group: g, $0) }
    }

    func fire(group g: Int, index i: Int32) {
        withUnsafePointer(to: i) { fire(group: g, UnsafeBufferPointer(start: $0, count: 1)) }
    }

    /// Spikes of group g in step t (empty outside the history).
    @inline(__always)
    private func fired(_ g: Int, at t: Int, now s: Int) -> UnsafeBufferPointer<Int32> {
        if t < 0 || t <= s - depth || t > s { return UnsafeBufferPointer(start: nil, count: 0) }
        let slot = t & mask
        return UnsafeBufferPointer(
            start: firedIndex + slot * sourceCount + groupStart[g], count: Int(firedCount[slot * groups + g]))
    }

    /// Fixed inputs of population p that deliver a spike in step t, written into
    /// `activeEntries` from `offset`; returns the range they occupy.
    @inline(__always)
    private func activeInputs(_ p: Int, at t: Int, now s: Int, offset: Int) -> Range<Int> {
        var n = offset
        for e in fixedStart[p]..<fixedStart[p + 1] {
            let source = t - 1 - fixedDelay[e]
            if source < 0 || source <= s - depth || source > s { continue }
            if firedCount[(source & mask) * groups + fixedSource[e]] > 0 {
                activeEntries[n] = e
                n += 1
            }
        }
        return offset..<n
    }

    /// Summed input current of compartment j of population p in step t (raw, wrapping),
    /// over the fixed inputs listed in activeEntries[from ..< to] for step t.
    @inline(__always)
    private func input(_ p: Int, _ j: Int, at t: Int, entries: Range<Int>, now s: Int) -> Int32 {
        var a: Int32 = 0
        for k in entries {
            let e = activeEntries[k]
            if fixedOneToOne[e] {
                let source = t - 1 - fixedDelay[e]
                let flag = flags[(source & mask) * sourceCount + groupStart[fixedSource[e]] + j]
                if flag == 0 { continue }
            }
            a &+= fixedCurrents[fixedCurrentOffset[e] + j]
        }
        if t >= s - 1 && t <= s + 1 {
            a &+= pending[(t & 3) * sourceCount + groupStart[p] + j]
        }
        return a
    }

    /// Whether compartment j of population p is inactive in step s (see the header):
    /// a(s) == 0 and wrap24(a(s-1)) == 0.
    @inline(__always)
    private func isInactive(_ p: Int, _ j: Int, now s: Int, current: Range<Int>, previous: Range<Int>) -> Bool {
        input(p, j, at: s, entries: current, now: s) == 0
            && wrap24(input(p, j, at: s - 1, entries: previous, now: s)) == 0
    }

    /// Ends the step and advances to the next. With a tally, adds this step's events at
    /// `position` of the sample: one increment per spike, the idle compartments and the
    /// processed synapses; every other count is linear in the spikes and is priced once
    /// per position in `counts(of:)` (which keeps the per-sample cost a few µs).
    /// `plasticSum(connection, j)` gives the summed weight (mantissa units) of this step's
    /// presynaptic spikes onto target j of an all-to-all connection, with the weights
    /// before this step's learning; nil when unknown (counted, taken as zero).
    func endStep(
        tally: SpikeTally?, position: Int, plasticSum: (_ connection: Int, _ target: Int) -> Int32?
    ) {
        let s = step
        clearPending((s + 1) & 3)
        if let tally {
            let idle = tally.inactive + position * ChipGeometry.cores
            let processed = tally.processed + position * ChipGeometry.cores
            let spikes = tally.spikes + position * sourceCount
            tally.steps[position] += 1

            // Compartments: only the candidates of the header can be inactive.
            for p in 0..<populationCount {
                let start = groupStart[p]
                if bias[p] != 0 && refractory[p] < 2 { continue }
                var anyCandidate = bias[p] == 0
                if !anyCandidate {
                    for m in 2...refractory[p] where fired(p, at: s - m, now: s).count > 0 { anyCandidate = true }
                }
                if !anyCandidate { continue }
                let current = activeInputs(p, at: s, now: s, offset: 0)
                let previous = activeInputs(p, at: s - 1, now: s, offset: fixedSource.count)
                let quiet =
                    current.isEmpty && previous.isEmpty && !pendingInPopulation[(s & 3) * populationCount + p]
                    && !pendingInPopulation[((s - 1) & 3) * populationCount + p]
                if quiet && bias[p] != 0 {
                    // No input at all in s-1 and s: every candidate is idle.
                    for m in 2...refractory[p] {
                        for j32 in fired(p, at: s - m, now: s) { idle[Int(coreOf[start + Int(j32)])] += 1 }
                    }
                    continue
                }
                if bias[p] == 0 {
                    let firedBefore = fired(p, at: s - 1, now: s)
                    for j in 0..<groupCount[p] {
                        if firedBefore.count > 0 && flags[((s - 1) & mask) * sourceCount + start + j] != 0 { continue }
                        if isInactive(p, j, now: s, current: current, previous: previous) {
                            idle[Int(coreOf[start + j])] += 1
                        }
                    }
                } else {
                    for m in 2...refractory[p] {
                        for j32 in fired(p, at: s - m, now: s)
                        where isInactive(p, Int(j32), now: s, current: current, previous: previous) {
                            idle[Int(coreOf[start + Int(j32)])] += 1
                        }
                    }
                }
            }

            // One increment per spike (sources in global order).
            for g in 0..<groups {
                let list = fired(g, at: s, now: s)
                if list.isEmpty { continue }
                let base = spikes + groupStart[g]
                for i in list { base[Int(i)] &+= 1 }
            }

            // Processed synapses: (spiking pre) x (spiking post) of a learning connection.
            for c in plastic where c.learns && c.epoch == 1 {
                let pre = fired(c.sourceGroup, at: s, now: s).count
                if pre == 0 { continue }
                let start = groupStart[c.target]
                for j in fired(c.target, at: s, now: s) { processed[Int(coreOf[start + Int(j)])] += pre }
            }
        }

        // The plastic inputs of the targets that may be inactive in s+1 or s+2.
        let nextSlot = (s + 1) & 3
        let next = pending + nextSlot * sourceCount
        for c in plastic {
            if fired(c.sourceGroup, at: s, now: s).isEmpty { continue }
            let start = groupStart[c.target]
            // A target with refractory 1 is never a candidate (header), so needs no sums.
            let window = refractory[c.target] >= 2 ? refractory[c.target] : 0
            for m in 0..<window {
                for j32 in fired(c.target, at: s - m, now: s) {
                    let j = Int(j32)
                    let sum: Int32
                    if let known = plasticSum(c.index, j) {
                        sum = known
                    } else {
                        unresolvedInputs += 1
                        sum = 0
                    }
                    let k = start + j
                    if next[k] == 0 {
                        touched[nextSlot * sourceCount + touchedCount[nextSlot]] = Int32(k)
                        touchedCount[nextSlot] += 1
                    }
                    pendingInPopulation[nextSlot * populationCount + c.target] = true
                    next[k] &+= sum &<< Int32(c.shift)
                }
            }
        }
        step = s + 1
    }

    /// The counts of every step position of a tally: per position, 128 per-core records
    /// (the used cores filled), summed over the tally's samples.
    func counts(of tally: SpikeTally) -> [[CoreStepCounts]] {
        (0..<tally.positions).map { position in
            var counts = [CoreStepCounts](repeating: CoreStepCounts(), count: ChipGeometry.cores)
            let steps = tally.steps[position]
            let idle = tally.inactive + position * ChipGeometry.cores
            let processed = tally.processed + position * ChipGeometry.cores
            let spikes = tally.spikes + position * sourceCount
            for core in usedCores {
                counts[core].inactiveCompartments = idle[core]
                counts[core].activeCompartments = compartmentsPerCore[core] * steps - idle[core]
                counts[core].plasticSynapseUpdatesProcessed = processed[core]
            }
            // Learning: every step sweeps, runs one epoch per learning core, updates traces.
            for core in learningCores { counts[core].learningEpochs = steps }
            for c in plastic where c.learns {
                for entry in c.traceUpdatesPerCore { counts[entry.core].traceUpdates += entry.count * steps }
                for entry in c.postsPerCore { counts[entry.core].plasticSynapsesSwept += entry.count * c.nPre * steps }
            }
            // Spikes, messages and synaptic ops, linear in each source's spike count.
            var groupSpikes = [Int](repeating: 0, count: groups)
            for g in 0..<groups {
                for i in 0..<groupCount[g] {
                    let source = groupStart[g] + i
                    let n = Int(spikes[source])
                    if n == 0 { continue }
                    groupSpikes[g] += n
                    if g < populationCount {
                        let core = Int(coreOf[source])
                        counts[core].spikesGenerated += n
                        counts[core].messagesOut += n * Int(destStart[source + 1] - destStart[source])
                        counts[core].hopsEastWest += n * Int(hopsEW[source])
                        counts[core].hopsNorthSouth += n * Int(hopsNS[source])
                        counts[core].messagePathsSeen |= paths[source]
                    }
                    for k in Int(destStart[source])..<Int(destStart[source + 1]) {
                        if g < populationCount {
                            counts[Int(destCores[k])].messagesIn += n
                        } else {
                            counts[Int(destCores[k])].hostMessagesIn += n
                        }
                    }
                }
            }
            for c in connectionSource.indices {
                let g = connectionSource[c]
                if groupSpikes[g] == 0 { continue }
                if connectionDense[c] {
                    for op in denseOps[c] { counts[op.core].synapticOps += op.count * groupSpikes[g] }
                } else {
                    let cores = oneToOneCore[c]
                    for i in 0..<groupCount[g] {
                        let n = Int(spikes[groupStart[g] + i])
                        if n > 0 { counts[Int(cores[i])].synapticOps += n }
                    }
                }
            }
            return counts
        }
    }

    @inline(__always)
    private func wrap24(_ x: Int32) -> Int32 { (x << 8) >> 8 }
}

/// What `SpikeCountModel` keeps per step position of a mode: spikes per source, idle
/// compartments and processed synapses per core, steps seen.
final class SpikeTally {
    let positions: Int
    let sourceCount: Int
    let spikes: UnsafeMutablePointer<UInt32>
    let inactive: UnsafeMutablePointer<Int>
    let processed: UnsafeMutablePointer<Int>
    var steps: [Int]
    /// Complete samples (every sample of the fast path has all its steps).
    var samples = 0

    init(positions: Int, sourceCount: Int) {
        self.positions = positions
        self.sourceCount = sourceCount
        spikes = .allocate(capacity: positions * sourceCount)
        spikes.initialize(repeating: 0, count: positions * sourceCount)
        inactive = .allocate(capacity: positions * ChipGeometry.cores)
        inactive.initialize(repeating: 0, count: positions * ChipGeometry.cores)
        processed = .allocate(capacity: positions * ChipGeometry.cores)
        processed.initialize(repeating: 0, count: positions * ChipGeometry.cores)
        steps = Array(repeating: 0, count: positions)
    }

    deinit {
        spikes.deallocate()
        inactive.deallocate()
        processed.deallocate()
    }

}
