// Rule evaluation at the end of a learning epoch (docs/neurochip.md "Learning engine and rule grammar"), by evaluation path:
// uniform pair sums (nBP's rule), pair sums (dw-only x0*y0 rules), spiking posts only
// (rows whose products all contain y0), fused sweep rows (kernels), and the general full
// row. Every path rounds each synapse with its own keyed draw (the draw at its synapse
// index), so they give the same weights (tests check each against the general per-synapse
// evaluation), in any order and on any partition.

/// The synapse arrays of one learning runtime, opened once per evaluation: pointers offset
/// to the runtime's first post, so synapse (i, j) is `i * rowStride + j` for local post j.
struct SynapseBuffers {
    let mantissa: UnsafeMutablePointer<Int16>
    let tags: UnsafeMutablePointer<Int16>?
    let currents: UnsafeMutablePointer<Int32>?
    let packed: UnsafeMutablePointer<Int8>?
    let target: DeliveryTarget
    let rowStride: Int
    let shift: Int
    let exponent: Int
    let mode: SignMode

    init(_ c: ConnectionRuntime, postOffset: Int, rowStride: Int) {
        mantissa = c.mantissa.base + postOffset
        tags = c.tags.baseIfAny.map { $0 + postOffset }
        currents = c.currents.baseIfAny.map { $0 + postOffset }
        packed = c.packed.baseIfAny.map { $0 + postOffset }
        target = DeliveryTarget(shift: c.shift, mode: c.signMode, currents: currents, packed: packed)
        self.rowStride = rowStride
        shift = c.shift
        exponent = c.exponent
        mode = c.signMode
    }

    /// Stores a changed mantissa and its delivery copy.
    @inline(__always)
    func store(_ k: Int, _ updated: Int64) {
        mantissa[k] = Int16(truncatingIfNeeded: updated)
        if shift < 0 {
            currents?[k] = synapticCurrent(mantissa: Int(updated), exponent: exponent)
        } else if let packed {
            packed[k] = ConnectionRuntime.pack(Int(updated), mode)
        }
    }
}

/// What every row of one evaluation shares: the rules, the row parts of every product for
/// every row (product-major, computed once per epoch: rows differ only in their pre
/// factors) and a scratch row.
struct EvaluationPlan {
    let dwRule: CompiledRule?
    let dtRule: CompiledRule?
    let dwKinds: [SweepKind]
    let dwRounding: RuleRounding
    let productCount: Int
    let productHasY0: [Bool]
    let globalPart: [Int64]
    let rowParts: UnsafeMutablePointer<Int64>
    /// The current row's parts (`load(row:)`).
    let rowPart: UnsafeMutablePointer<Int64>
    let nPre: Int

    func deallocate() {
        rowParts.deallocate()
        rowPart.deallocate()
    }

    /// Copies row i's parts into `rowPart`: whether any is non-zero, and whether every
    /// non-zero one has y0 (then only posts that spiked can change).
    @inline(__always)
    func load(row i: Int) -> (any: Bool, onlyY0: Bool) {
        var any = false
        var onlyY0 = true
        for index in 0..<productCount {
            let value = rowParts[index &* nPre &+ i]
            rowPart[index] = value
            if value != 0 {
                any = true
                if !productHasY0[index] { onlyY0 = false }
            }
        }
        return (any, onlyY0)
    }
}

extension LearningRuntime {
    @inline(__always)
    func preValue(_ f: RuleFactor, _ i: Int) -> Int64 {
        let raw: Int32
        switch f.variable {
        case .x0: raw = Int32(preFlag[i])
        case .x1: raw = x1[i]
        default: raw = x2[i]
        }
        return Int64(raw) + Int64(f.offset)
    }

    @inline(__always)
    func postValue(_ f: RuleFactor, _ j: Int) -> Int64 {
        let raw: Int32
        switch f.variable {
        case .y0: raw = Int32(postFlag[j])
        case .y1: raw = y1[j]
        case .y2: raw = y2[j]
        default: raw = y3[j]
        }
        return Int64(raw) + Int64(f.offset)
    }

    @inline(__always)
    func synapseValue(_ f: RuleFactor, _ k: Int, _ b: SynapseBuffers) -> Int64 {
        (f.variable == .w ? Int64(b.mantissa[k]) : Int64(b.tags?[k] ?? 0)) + Int64(f.offset)
    }

    func globalValue(_ f: RuleFactor) -> Int64 {
        let raw: Int64 = f.variable == .r0 ? (r0 ? 1 : 0) : Int64(r1)
        return raw + Int64(f.offset)
    }

    /// Pair path of a rule whose pair sum is uniform (nBP's `4*x0*y0*r1 - 2*x0*y0`): with
    /// x0 = y0 = 1 on every (spiking pre) x (spiking post) pair, each product is its
    /// coefficient times the global factors, so one sum and one non-zero test serve the whole
    /// epoch. No scratch arrays, no per-pair products; each pair draws as in the general
    /// path when the sum is off the grid.
    func evaluateUniformPairs(
        connection c: ConnectionRuntime, rule: CompiledRule, draws: RoundingDraws,
        counts: UnsafeMutablePointer<CoreStepCounts>
    ) {
        let rowCount = preList.count
        let m = postList.count
        if rowCount == 0 || m == 0 { return }
        var sum: Int64 = 0
        var anyNonZero = false
        for p in rule.products {
            var value = p.coefficient
            for f in p.global { value *= globalValue(f) }
            sum &+= value
            if value != 0 { anyNonZero = true }
        }
        if !anyNonZero { return }
        for j in postList { counts[Int(postCore[Int(j)])].plasticSynapseUpdatesProcessed += rowCount }
        processedCount += rowCount * m
        if sum == 0 { return }
        let b = SynapseBuffers(c, postOffset: postOffset, rowStride: rowStride)
        preList.withUnsafeBufferPointer { rows in
            postList.withUnsafeBufferPointer { posts in
                LearningKernels.updatePairs(
                    rows: rows, posts: posts, rowLength: rowStride, sum: sum, weights: b.mantissa, target: b.target,
                    rule: rule, draws: draws)
            }
        }
    }

    /// `out[i] *= value of pre factor f at row i`, for every row.
    private func multiply(_ out: UnsafeMutableBufferPointer<Int64>, byPreFactor f: RuleFactor) {
        let offset = Int64(f.offset)
        switch f.variable {
        case .x0:
            preFlag.withUnsafeBufferPointer { v in for i in out.indices { out[i] &*= Int64(v[i]) &+ offset } }
        case .x1:
            x1.withUnsafeBufferPointer { v in for i in out.indices { out[i] &*= Int64(v[i]) &+ offset } }
        default:
            x2.withUnsafeBufferPointer { v in for i in out.indices { out[i] &*= Int64(v[i]) &+ offset } }
        }
    }

    /// Column parts Q[rule][product][j] of every product, for rows visiting all posts.
    private func buildColumnParts() {
        q = []
        q32 = []
        for rule in compiled {
            for p in rule.products {
                var column = [Int64](repeating: 1, count: nPost)
                for f in p.post {
                    for j in 0..<nPost { column[j] *= postValue(f, j) }
                }
                q.append(column)
                // Truncation is harmless: the Int32 kernel reads a column only through a
                // non-zero row part, and then |row part * column| <= sumBound < 2^30.
                q32.append(column.map { Int32(truncatingIfNeeded: $0) })
            }
        }
        if zeroColumn.count != nPost {
            zeroColumn = [Int64](repeating: 0, count: nPost)
            zeroColumn32 = [Int32](repeating: 0, count: nPost)
        }
        qValid = true
    }

    /// Rounds synapse k's `sum` (at scale 2^shift) stochastically to the grid with its
    /// draw and returns the change.
    @inline(__always)
    static func rounded(_ sum: Int64, _ rule: CompiledRule, _ k: Int, _ draws: RoundingDraws) -> Int64 {
        let shift = rule.roundingShift
        if shift == 0 { return sum }
        let floor = sum >> Int64(shift)
        let remainder = UInt64(sum & ((1 << Int64(shift)) - 1))
        let up: Int64 = remainder != 0 && draws.stream.roundsUp(draws.first &+ k, remainder: remainder, shift: shift) ? 1 : 0
        return (floor + up) * rule.grid
    }

    /// The rules' row parts for this epoch.
    private func makePlan() -> EvaluationPlan {
        let productCount = compiled.reduce(0) { $0 + $1.products.count }
        // Row part per product: coefficient * global factors (pre factors added per row).
        var globalPart: [Int64] = []
        for rule in compiled {
            for p in rule.products {
                var value = p.coefficient
                for f in p.global { value *= globalValue(f) }
                globalPart.append(value)
            }
        }
        let rowParts = UnsafeMutablePointer<Int64>.allocate(capacity: max(1, productCount * nPre))
        var flat = 0
        for rule in compiled {
            for p in rule.products {
                let out = UnsafeMutableBufferPointer(start: rowParts + flat * nPre, count: nPre)
                out.initialize(repeating: globalPart[flat])
                if globalPart[flat] != 0 {
                    for f in p.pre { multiply(out, byPreFactor: f) }
                }
                flat += 1
            }
        }
        let dwRule = compiled.first { $0.target == .dw }
        let rowPart = UnsafeMutablePointer<Int64>.allocate(capacity: max(1, productCount))
        rowPart.initialize(repeating: 0, count: max(1, productCount))
        return EvaluationPlan(
            dwRule: dwRule, dtRule: compiled.first { $0.target == .dt }, dwKinds: dwRule?.products.map(\.sweepKind) ?? [],
            dwRounding: dwRule?.rounding
                ?? RuleRounding(shift: 0, gridLog: 0, lo: 0, hi: 0, onGrid: true, lanes32: true),
            productCount: productCount, productHasY0: compiled.flatMap { $0.products.map(\.hasY0) },
            globalPart: globalPart, rowParts: rowParts, rowPart: rowPart, nPre: nPre)
    }

    /// Every row that may change, each by the cheapest path that applies to it.
    func evaluate(
        connection c: ConnectionRuntime, draws: EpochDraws, counts: UnsafeMutablePointer<CoreStepCounts>
    ) {
        let plan = makePlan()
        defer { plan.deallocate() }
        let b = SynapseBuffers(c, postOffset: postOffset, rowStride: rowStride)
        if allX0 && allY0, let rule = plan.dwRule, plan.dtRule == nil, !hasSynapseFactors, !usesGeneralEvaluation {
            evaluatePairs(plan: plan, rule: rule, buffers: b, draws: draws.weights, counts: counts)
            return
        }
        let rows: [Int32] = allX0 ? preList : Array(0..<Int32(nPre))
        for i32 in rows {
            let i = Int(i32)
            let (any, onlyY0) = plan.load(row: i)
            if !any { continue }
            if onlyY0 {
                evaluateSpikingPosts(row: i, plan: plan, buffers: b, draws: draws, counts: counts)
                continue
            }
            if !qValid { buildColumnParts() }
            if plan.dwRule != nil, plan.dtRule == nil, !usesGeneralEvaluation,
                evaluateFusedRow(row: i, plan: plan, buffers: b, draws: draws.weights, counts: counts)
            {
                continue
            }
            evaluateFullRow(row: i, plan: plan, buffers: b, draws: draws, counts: counts)
        }
    }

    /// Rounds, clamps and stores one synapse's dw and dt sums (the general path).
    @inline(__always)
    func applySynapse(
        _ k: Int, post j: Int, dwSum: Int64, dtSum: Int64, plan: EvaluationPlan, buffers b: SynapseBuffers,
        draws: EpochDraws, counts: UnsafeMutablePointer<CoreStepCounts>
    ) {
        counts[Int(postCore[j])].plasticSynapseUpdatesProcessed += 1
        processedCount += 1
        if let rule = plan.dwRule, dwSum != 0 {
            let change = Self.rounded(dwSum, rule, k, draws.weights)
            if change != 0 {
                let w = Int64(b.mantissa[k])
                let updated = min(max(w + change, rule.range.lowerBound), rule.range.upperBound)
                if updated != w { b.store(k, updated) }
            }
        }
        if let rule = plan.dtRule, dtSum != 0, let tags = b.tags {
            let change = Self.rounded(dtSum, rule, k, draws.tags)
            let t = Int64(tags[k])
            tags[k] = Int16(min(max(t + change, rule.range.lowerBound), rule.range.upperBound))
        }
    }

    /// Rows whose non-zero products all contain y0: only the posts that spiked in the epoch.
    private func evaluateSpikingPosts(
        row i: Int, plan: EvaluationPlan, buffers b: SynapseBuffers, draws: EpochDraws,
        counts: UnsafeMutablePointer<CoreStepCounts>
    ) {
        for j32 in postList {
            let j = Int(j32)
            let k = i * rowStride + j
            var dwSum: Int64 = 0
            var dtSum: Int64 = 0
            var nonZero = false
            var flat = 0
            for rule in compiled {
                var sum: Int64 = 0
                for p in rule.products {
                    var value = plan.rowPart[flat]
                    flat += 1
                    if value == 0 { continue }
                    for f in p.post { value *= postValue(f, j) }
                    for f in p.synapse { value *= synapseValue(f, k, b) }
                    if value != 0 {
                        nonZero = true
                        sum += value
                    }
                }
                if rule.target == .dw { dwSum = sum } else { dtSum = sum }
            }
            if nonZero {
                applySynapse(k, post: j, dwSum: dwSum, dtSum: dtSum, plan: plan, buffers: b, draws: draws, counts: counts)
            }
        }
    }
}
