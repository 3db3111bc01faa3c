// The learning engine of one plastic all-to-all connection (docs/neurochip.md "One time step" step 5
// and docs/neurochip.md "Learning engine and rule grammar"): traces, reward, epochs, rule evaluation with stochastic
// rounding, clamping.
//
// Event-driven evaluation: each product is split into a row part P (constant, global
// and presynaptic factors) and a column part Q (postsynaptic factors). A row whose P
// are all 0 is skipped (every product contains x0 and the pre did not spike), and a row
// whose non-zero products all contain y0 visits only the posts that spiked in the epoch.
// Counters still report what the chip processes: all plastic synapses per epoch
// (`plasticSynapsesSwept`) and those with a non-zero product (`...Processed`).

import CNeuroChipKernels

/// Product of a rule compiled to integers at scale 2^shift of the rule.
struct CompiledProduct {
    /// mantissa * 2^(exponent + scale), exact in Int64.
    var coefficient: Int64
    var pre: [RuleFactor]
    var post: [RuleFactor]
    var global: [RuleFactor]
    var synapse: [RuleFactor]
    var hasY0: Bool
    /// Its role in a fused sweep row (`LearningRuntime.evaluate`).
    var sweepKind: SweepKind
}

/// Shape of a product for the fused sweep: a row constant (no post or synapse factor), a
/// post column (post factors only), `a * (w + offset)`, or anything else (not fusable).
enum SweepKind {
    case constant, post
    case weight(offset: Int64)
    case other
}

struct CompiledRule {
    var target: RuleTarget
    var products: [CompiledProduct]
    /// Bits below the result grid: scale + log2(grid).
    var roundingShift: Int
    var grid: Int64
    var range: ClosedRange<Int64>
    /// Upper bound of |sum| over all values the factors can take (Int64.max if that
    /// overflows): below 2^30 the sweep runs in Int32 lanes.
    var sumBound: Int64

    /// What the kernels need of the rule, as a trivial value (no arrays to retain per call).
    var rounding: RuleRounding {
        let mask = (Int64(1) << Int64(roundingShift)) - 1
        return RuleRounding(
            shift: roundingShift, gridLog: grid.trailingZeroBitCount, lo: range.lowerBound, hi: range.upperBound,
            onGrid: products.allSatisfy { $0.coefficient & mask == 0 }, lanes32: sumBound < 1 << 30)
    }
}

struct RuleRounding {
    /// Bits below the result grid, and log2 of the grid.
    var shift: Int
    var gridLog: Int
    var lo: Int64
    var hi: Int64
    /// Every coefficient is a multiple of 2^shift, so every sum lies on the grid: the
    /// remainder is always 0 and the rule never draws (docs/neurochip.md "Learning engine and rule grammar": results
    /// are
    /// deterministic when every term is on the grid, as in nBP).
    var onGrid: Bool
    /// `sumBound < 2^30`: the sweep may run in Int32 lanes.
    var lanes32: Bool
}

final class LearningRuntime {
    let rules: RuleSet
    let compiled: [CompiledRule]
    let spec: LearningSpec
    let epoch: Int
    let rewardGroup: Int?
    let nPre: Int
    let nPost: Int
    let allX0: Bool
    let allY0: Bool
    let usesTag: Bool
    let usedTraces: Set<RuleVariable>
    /// Which traces the rules read (plain flags: `learn` runs every step).
    let usesX1: Bool, usesX2: Bool, usesY1: Bool, usesY2: Bool, usesY3: Bool, usesR1: Bool

    // Traces (docs/neurochip.md "Learning engine and rule grammar"), saturating 0...127.
    var x1: [Int32]
    var x2: [Int32]
    var y1: [Int32]
    var y2: [Int32]
    var y3: [Int32]
    var r1: Int32 = 0
    var r0 = false
    /// Synapses processed (non-zero product) in the current `learn` call.
    var processedCount = 0
    /// x0 / y0: spiked within the current epoch, and the sorted lists of who did.
    var preFlag: [UInt8]
    var postFlag: [UInt8]
    var preList: [Int32] = []
    var postList: [Int32] = []
    var tags: [Int16]

    /// Core of each post (local index) and posts per core, for counters.
    let postCore: [Int32]
    let postsPerCore: [(core: Int, count: Int)]
    /// Contiguous runs of posts on one core.
    let postCoreRuns: [(core: Int, start: Int, end: Int)]

    // Scratch for the full-row path.
    var q: [[Int64]] = []
    var qValid = false
    var rowSums: [Int64]
    var rowTagSums: [Int64]
    var rowNonZero: [UInt8]
    /// Column parts of the spiking posts, product-major, for the pair path.
    var pairColumns: [Int64] = []
    /// Per spiking post of the pair path: sum, non-zero flag and synapses processed.
    var pairSums: [Int64] = []
    var pairNonZero: [Int32] = []
    var pairHits: [Int] = []
    /// Some product reads w or t (those need the per-synapse path).
    let hasSynapseFactors: Bool
    /// Pre factors are all plain x0 and post factors all plain y0 (nBP's rule): on a
    /// (spiking pre) x (spiking post) pair every product is its coefficient times the global
    /// factors, so one sum serves every pair of the epoch.
    let pairSumIsUniform: Bool
    /// The `dw` rule when it takes the uniform pair path: dw only, every product has x0 and
    /// y0, and `pairSumIsUniform`.
    let uniformPairRule: CompiledRule?
    /// Tests only: evaluate every rule with the general per-synapse code instead of the
    /// specialised kernels, to check that both give the same weights, tags, counts and draws.
    var usesGeneralEvaluation = false
    /// Zero column part for rules without a post product (full-row kernel).
    var zeroColumn: [Int64] = []
    /// Per-post scratch of the Int32 sweep kernel.
    var sweepScratch: [Int32]
    /// `q` in Int32 lanes, and the zero column in that width.
    var q32: [[Int32]] = []
    var zeroColumn32: [Int32] = []

    init(
        rules: RuleSet, spec: LearningSpec, signMode: SignMode, rewardGroup: Int?, nPre: Int, nPost: Int,
        postCore: [Int32]
    ) {
        self.rules = rules
        self.spec = spec
        self.epoch = spec.epoch
        self.rewardGroup = rewardGroup
        self.nPre = nPre
        self.nPost = nPost
        self.postCore = postCore
        var perCore: [Int: Int] = [:]
        for c in postCore { perCore[Int(c), default: 0] += 1 }
        postsPerCore = perCore.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        var runs: [(core: Int, start: Int, end: Int)] = []
        for (j, c) in postCore.enumerated() {
            if let last = runs.last, last.core == Int(c), last.end == j {
                runs[runs.count - 1].end = j + 1
            } else {
                runs.append((Int(c), j, j + 1))
            }
        }
        postCoreRuns = runs
        compiled = rules.rules.map { rule in
            let scale = max(0, -(rule.products.map(\.exponent).min() ?? 0))
            let gridLog = rule.target == .dw && signMode == .mixed ? 1 : 0
            let range: ClosedRange<Int>
            if rule.target == .dw { range = signMode.weightRange } else { range = ChipLimits.tagRange }
            return CompiledRule(
                target: rule.target,
                products: rule.products.map { p in
                    CompiledProduct(
                        coefficient: Int64(p.mantissa) << Int64(p.exponent + scale),
                        pre: p.factors.filter { $0.variable.side == .pre },
                        post: p.factors.filter { $0.variable.side == .post },
                        global: p.factors.filter { $0.variable.side == .global },
                        synapse: p.factors.filter { $0.variable.side == .synapse },
                        hasY0: p.contains(.y0),
                        sweepKind: Self.sweepKind(p))
                },
                roundingShift: scale + gridLog, grid: Int64(1 << gridLog),
                range: Int64(range.lowerBound)...Int64(range.upperBound),
                sumBound: Self.sumBound(rule, signMode: signMode, scale: scale))
        }
        hasSynapseFactors = rules.rules.contains { rule in
            rule.products.contains { p in p.factors.contains { $0.variable.side == .synapse } }
        }
        pairSumIsUniform = rules.rules.allSatisfy { rule in
            rule.products.allSatisfy { p in
                p.factors.allSatisfy { f in
                    f.offset == 0 && (f.variable == .x0 || f.variable == .y0 || f.variable.side == .global)
                }
            }
        }
        allX0 = rules.rules.allSatisfy { $0.everyProductContains(.x0) }
        allY0 = rules.rules.allSatisfy { $0.everyProductContains(.y0) }
        usesTag = rules.dt != nil || rules.variables.contains(.t)
        uniformPairRule =
            allX0 && allY0 && pairSumIsUniform && rules.dt == nil && compiled.count == 1 ? compiled[0] : nil
        usedTraces = rules.variables
        usesX1 = usedTraces.contains(.x1)
        usesX2 = usedTraces.contains(.x2)
        usesY1 = usedTraces.contains(.y1)
        usesY2 = usedTraces.contains(.y2)
        usesY3 = usedTraces.contains(.y3)
        usesR1 = usedTraces.contains(.r1)
        x1 = Array(repeating: 0, count: nPre)
        x2 = Array(repeating: 0, count: nPre)
        y1 = Array(repeating: 0, count: nPost)
        y2 = Array(repeating: 0, count: nPost)
        y3 = Array(repeating: 0, count: nPost)
        preFlag = Array(repeating: 0, count: nPre)
        postFlag = Array(repeating: 0, count: nPost)
        tags = usesTag ? Array(repeating: 0, count: nPre * nPost) : []
        rowSums = Array(repeating: 0, count: nPost)
        sweepScratch = Array(repeating: 0, count: nPost)
        rowTagSums = Array(repeating: 0, count: nPost)
        rowNonZero = Array(repeating: 0, count: nPost)
    }

    static func sweepKind(_ p: RuleProduct) -> SweepKind {
        let post = p.factors.filter { $0.variable.side == .post }
        let synapse = p.factors.filter { $0.variable.side == .synapse }
        if post.isEmpty && synapse.isEmpty { return .constant }
        if synapse.isEmpty { return .post }
        if post.isEmpty && synapse.count == 1 && synapse[0].variable == .w {
            return .weight(offset: Int64(synapse[0].offset))
        }
        return .other
    }

    /// Bound of |rule sum| at scale 2^scale: coefficients times the largest magnitude each
    /// factor can reach (0...1 for x0/y0/r0, 0...127 for traces, the weight range for w,
    /// the tag range for t, each shifted by its offset).
    static func sumBound(_ rule: LearningRule, signMode: SignMode, scale: Int) -> Int64 {
        var total: Int64 = 0
        for p in rule.products {
            var bound = Int64(abs(p.mantissa)) << Int64(p.exponent + scale)
            for f in p.factors {
                let range: ClosedRange<Int>
                switch f.variable {
                case .x0, .y0, .r0: range = 0...1
                case .w: range = signMode.weightRange
                case .t: range = ChipLimits.tagRange
                default: range = 0...127
                }
                let magnitude = Int64(max(abs(range.lowerBound + f.offset), abs(range.upperBound + f.offset)))
                let (product, overflow) = bound.multipliedReportingOverflow(by: magnitude)
                if overflow { return .max }
                bound = product
            }
            let (sum, overflow) = total.addingReportingOverflow(bound)
            if overflow { return .max }
            total = sum
        }
        return total
    }

    /// `decay_trace(x, tau) = x - x/tau` with the fraction rounded up with probability
    /// equal to it (docs/neurochip.md "Learning engine and rule grammar"). tau 0: no decay; tau 1: nothing is kept.
    @inline(__always)
    static func decayTrace(_ x: Int32, tau: Int, random: inout ChipRandom) -> Int32 {
        if tau == 0 || x == 0 { return x }
        if tau == 1 { return 0 }
        let t = Int32(tau)
        var decrement = x / t
        let remainder = x % t
        if remainder != 0 && random.below(UInt64(tau)) < UInt64(remainder) { decrement += 1 }
        return x - decrement
    }

    private static func updateTrace(
        _ trace: inout [Int32], _ parameters: TraceParameters, flags: UnsafePointer<UInt8>,
        random: inout ChipRandom
    ) {
        let impulse = Int32(parameters.impulse)
        let tau = parameters.tau
        trace.withUnsafeMutableBufferPointer { x in
            for i in x.indices {
                let decayed = decayTrace(x[i], tau: tau, random: &random)
                x[i] = min(127, decayed + impulse * Int32(flags[i]))
            }
        }
    }

    /// Step 5 of docs/neurochip.md "One time step" for this connection: traces of this step, then the rule
    /// if the epoch ends at `step`. `sourceFlags` marks every source that fired this step.
    func learn(
        step: Int, connection c: ConnectionRuntime, sourceFlags: UnsafePointer<UInt8>,
        preSpikes: UnsafeBufferPointer<Int32>, postSpikes: UnsafeBufferPointer<Int32>,
        rewardNow: Bool, random: inout ChipRandom, counts: UnsafeMutablePointer<CoreStepCounts>
    ) -> (processed: Int, swept: Int) {
        processedCount = 0
        // Epoch membership (x0, y0, r0).
        let preBase = Int32(c.sourceStart)
        let postBase = Int32(c.targetStart)
        for s in preSpikes {
            let i = Int(s - preBase)
            if preFlag[i] == 0 {
                preFlag[i] = 1
                preList.append(Int32(i))
            }
        }
        for s in postSpikes {
            let j = Int(s - postBase)
            if postFlag[j] == 0 {
                postFlag[j] = 1
                postList.append(Int32(j))
            }
        }
        if rewardNow { r0 = true }

        // Traces, in a fixed order so the random draws are reproducible.
        let preFlags = sourceFlags + c.sourceStart
        let postFlags = sourceFlags + c.targetStart
        var preTraceCount = 0
        var postTraceCount = 0
        if usesX1 {
            Self.updateTrace(&x1, spec.x1, flags: preFlags, random: &random)
            preTraceCount += 1
        }
        if usesX2 {
            Self.updateTrace(&x2, spec.x2, flags: preFlags, random: &random)
            preTraceCount += 1
        }
        if usesY1 {
            Self.updateTrace(&y1, spec.y1, flags: postFlags, random: &random)
            postTraceCount += 1
        }
        if usesY2 {
            Self.updateTrace(&y2, spec.y2, flags: postFlags, random: &random)
            postTraceCount += 1
        }
        if usesY3 {
            Self.updateTrace(&y3, spec.y3, flags: postFlags, random: &random)
            postTraceCount += 1
        }
        if usesR1 {
            // With tau 0 or 1 r1 equals this step's reward (docs/neurochip.md "Learning engine and rule grammar").
            let impulse = Int32(spec.r1.impulse) * (rewardNow ? 1 : 0)
            r1 =
                spec.r1.tau <= 1
                ? min(127, impulse)
                : min(127, Self.decayTrace(r1, tau: spec.r1.tau, random: &random) + impulse)
        }
        // Every core holding posts keeps its own copy of the presynaptic traces.
        for (core, count) in postsPerCore {
            counts[core].traceUpdates += preTraceCount * nPre + postTraceCount * count + (usesR1 ? 1 : 0)
        }

        guard (step + 1) % epoch == 0 else { return (0, 0) }
        for (core, count) in postsPerCore {
            counts[core].learningEpochs = 1
            counts[core].plasticSynapsesSwept += count * nPre
        }
        if epoch > 1 {
            preList.sort()
            postList.sort()
        }
        // Nothing can be non-zero without the spikes every product needs (event-driven, docs/neurochip.md "Learning
        // engine and rule grammar").
        if !(allX0 && preList.isEmpty) && !(allY0 && postList.isEmpty) {
            if let rule = uniformPairRule, !usesGeneralEvaluation {
                evaluateUniformPairs(connection: c, rule: rule, random: &random, counts: counts)
            } else {
                evaluate(connection: c, random: &random, counts: counts)
            }
        }
        for i in preList { preFlag[Int(i)] = 0 }
        for j in postList { postFlag[Int(j)] = 0 }
        preList.removeAll(keepingCapacity: true)
        postList.removeAll(keepingCapacity: true)
        r0 = false
        qValid = false
        return (processedCount, nPre * nPost)
    }

    @inline(__always)
    private func preValue(_ f: RuleFactor, _ i: Int) -> Int64 {
        let raw: Int32
        switch f.variable {
        case .x0: raw = Int32(preFlag[i])
        case .x1: raw = x1[i]
        default: raw = x2[i]
        }
        return Int64(raw) + Int64(f.offset)
    }

    @inline(__always)
    private func postValue(_ f: RuleFactor, _ j: Int) -> Int64 {
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
    private func synapseValue(_ f: RuleFactor, _ k: Int, _ c: ConnectionRuntime) -> Int64 {
        let raw = f.variable == .w ? Int64(c.mantissa[k]) : Int64(tags[k])
        return raw + Int64(f.offset)
    }

    private func globalValue(_ f: RuleFactor) -> Int64 {
        let raw: Int64 = f.variable == .r0 ? (r0 ? 1 : 0) : Int64(r1)
        return raw + Int64(f.offset)
    }

    /// Pair path of a rule whose pair sum is uniform (nBP's `4*x0*y0*r1 - 2*x0*y0`): with
    /// x0 = y0 = 1 on every (spiking pre) x (spiking post) pair, each product is its
    /// coefficient times the global factors, so one sum and one non-zero test serve the whole
    /// epoch. No scratch arrays, no per-pair products; rows then posts ascending, as the
    /// general path (same draws when the sum is off the grid).
    private func evaluateUniformPairs(
        connection c: ConnectionRuntime, rule: CompiledRule, random: inout ChipRandom,
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
        postCore.withUnsafeBufferPointer { core in
            postList.withUnsafeBufferPointer { posts in
                for j in posts { counts[Int(core[Int(j)])].plasticSynapseUpdatesProcessed += rowCount }
            }
        }
        processedCount += rowCount * m
        if sum == 0 { return }
        let shift = c.shift
        let mode = c.signMode
        let n = nPost
        c.mantissa.withUnsafeMutableBufferPointer { mant in
            c.packed.withUnsafeMutableBufferPointer { packed in
                c.currents.withUnsafeMutableBufferPointer { currents in
                    let target = DeliveryTarget(
                        shift: shift, mode: mode, currents: currents.isEmpty ? nil : currents.baseAddress,
                        packed: packed.isEmpty ? nil : packed.baseAddress)
                    preList.withUnsafeBufferPointer { rows in
                        postList.withUnsafeBufferPointer { posts in
                            LearningKernels.updatePairs(
                                rows: rows, posts: posts, rowLength: n, sum: sum, weights: mant.baseAddress!,
                                target: target, rule: rule, random: &random)
                        }
                    }
                }
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

    /// Rounds `sum` (at scale 2^shift) stochastically to the grid and returns the change.
    @inline(__always)
    private static func rounded(_ sum: Int64, _ rule: CompiledRule, _ random: inout ChipRandom) -> Int64 {
        let shift = rule.roundingShift
        if shift == 0 { return sum }
        let floor = sum >> Int64(shift)
        let remainder = UInt64(sum & ((1 << Int64(shift)) - 1))
        let up: Int64 = remainder != 0 && random.roundsUp(remainder: remainder, shift: shift) ? 1 : 0
        return (floor + up) * rule.grid
    }

    private func evaluate(
        connection c: ConnectionRuntime, random: inout ChipRandom,
        counts: UnsafeMutablePointer<CoreStepCounts>
    ) {
        let productCount = compiled.reduce(0) { $0 + $1.products.count }
        // Row part per product: coefficient * global factors (pre factors added per row).
        var globalPart = [Int64](repeating: 0, count: productCount)
        var flat = 0
        for rule in compiled {
            for p in rule.products {
                var value = p.coefficient
                for f in p.global { value *= globalValue(f) }
                globalPart[flat] = value
                flat += 1
            }
        }
        var rowPart = [Int64](repeating: 0, count: productCount)
        let rows: [Int32] = allX0 ? preList : Array(0..<Int32(nPre))
        let dwRule = compiled.first { $0.target == .dw }
        let dtRule = compiled.first { $0.target == .dt }
        let dwKinds = dwRule?.products.map(\.sweepKind) ?? []
        let dwRounding =
            dwRule?.rounding ?? RuleRounding(shift: 0, gridLog: 0, lo: 0, hi: 0, onGrid: true, lanes32: true)
        // Row parts of every product for every row, product-major, once per epoch: rows
        // differ only in their pre factors, and the row loops below then read plain values.
        let rowParts = UnsafeMutablePointer<Int64>.allocate(capacity: max(1, productCount * nPre))
        defer { rowParts.deallocate() }
        flat = 0
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
        let productHasY0 = compiled.flatMap { $0.products.map(\.hasY0) }
        let n = nPost
        let shift = c.shift
        let mode = c.signMode
        let exponent = c.exponent
        let hasPacked = !c.packed.isEmpty

        // Unsafe views of the synapse arrays for the whole evaluation (see Connection.swift).
        c.mantissa.withUnsafeMutableBufferPointer { mant in
            c.packed.withUnsafeMutableBufferPointer { packed in
                c.currents.withUnsafeMutableBufferPointer { currents in
                    tags.withUnsafeMutableBufferPointer { tg in
                        postCore.withUnsafeBufferPointer { core in
                            @inline(__always)
                            func synapseValue(_ f: RuleFactor, _ k: Int) -> Int64 {
                                (f.variable == .w ? Int64(mant[k]) : Int64(tg[k])) + Int64(f.offset)
                            }

                            @inline(__always)
                            func apply(_ i: Int, _ j: Int, _ dwSum: Int64, _ dtSum: Int64) {
                                counts[Int(core[j])].plasticSynapseUpdatesProcessed += 1
                                processedCount += 1
                                let k = i * n + j
                                if let rule = dwRule, dwSum != 0 {
                                    let change = Self.rounded(dwSum, rule, &random)
                                    if change != 0 {
                                        let w = Int64(mant[k])
                                        let updated = min(max(w + change, rule.range.lowerBound), rule.range.upperBound)
                                        if updated != w {
                                            mant[k] = Int16(updated)
                                            if shift < 0 {
                                                currents[k] = synapticCurrent(
                                                    mantissa: Int(updated), exponent: exponent)
                                            } else if hasPacked {
                                                packed[k] = ConnectionRuntime.pack(Int(updated), mode)
                                            }
                                        }
                                    }
                                }
                                if let rule = dtRule, dtSum != 0 {
                                    let change = Self.rounded(dtSum, rule, &random)
                                    let t = Int64(tg[k])
                                    tg[k] = Int16(min(max(t + change, rule.range.lowerBound), rule.range.upperBound))
                                }
                            }

                            // Pair path: a dw-only rule without synapse factors whose products all contain
                            // x0 and y0 (nBP's `4*x0*y0*r1 - 2*x0*y0`, and any STDP-like epoch-1 rule) can
                            // only change (spiking pre) x (spiking post) pairs. The post factors are the
                            // same for every row, so they are taken once per epoch for the spiking posts
                            // (column parts), and each pair is a short dot product of row and column
                            // parts. Same synapses, same order, same draws as the per-synapse path below.
                            let target = DeliveryTarget(
                                shift: shift, mode: mode, currents: currents.isEmpty ? nil : currents.baseAddress,
                                packed: packed.isEmpty ? nil : packed.baseAddress)
                            if allX0 && allY0, let rule = dwRule, dtRule == nil, !hasSynapseFactors,
                                !usesGeneralEvaluation
                            {
                                let m = postList.count
                                if m == 0 { return }
                                let products = rule.products.count
                                pairColumns.removeAll(keepingCapacity: true)
                                for p in rule.products {
                                    for j32 in postList {
                                        var value: Int64 = 1
                                        for f in p.post { value *= postValue(f, Int(j32)) }
                                        pairColumns.append(value)
                                    }
                                }
                                let sh = rule.roundingShift
                                let mask = (Int64(1) &<< Int64(sh)) &- 1
                                let grid = rule.grid
                                let lo = rule.range.lowerBound
                                let hi = rule.range.upperBound
                                if pairSums.count < m {
                                    pairSums = [Int64](repeating: 0, count: m)
                                    pairNonZero = [Int32](repeating: 0, count: m)
                                    pairHits = [Int](repeating: 0, count: m)
                                }
                                var processed = 0
                                pairColumns.withUnsafeBufferPointer { columns in
                                    postList.withUnsafeBufferPointer { posts in
                                        pairSums.withUnsafeMutableBufferPointer { sums in
                                            pairNonZero.withUnsafeMutableBufferPointer { nz in
                                                pairHits.withUnsafeMutableBufferPointer { hits in
                                                    for jj in 0..<m { hits[jj] = 0 }
                                                    for i32 in rows {
                                                        let i = Int(i32)
                                                        var anyRow = false
                                                        for (index, p) in rule.products.enumerated() {
                                                            var value = globalPart[index]
                                                            if value != 0 { for f in p.pre { value *= preValue(f, i) } }
                                                            rowPart[index] = value
                                                            if value != 0 { anyRow = true }
                                                        }
                                                        if !anyRow { continue }
                                                        // Sums of all spiking posts first (vectorisable), then one pass
                                                        // in post order that rounds (the draws) and stores.
                                                        for jj in 0..<m {
                                                            sums[jj] = 0
                                                            nz[jj] = 0
                                                        }
                                                        for index in 0..<products {
                                                            let a = rowPart[index]
                                                            if a == 0 { continue }
                                                            let column = columns.baseAddress! + index &* m
                                                            for jj in 0..<m {
                                                                let value = a &* column[jj]
                                                                sums[jj] &+= value
                                                                nz[jj] |= value != 0 ? 1 : 0
                                                            }
                                                        }
                                                        for jj in 0..<m {
                                                            hits[jj] &+= Int(nz[jj])
                                                        }
                                                        let rowBase = i &* n
                                                        for jj in 0..<m {
                                                            let sum = sums[jj]
                                                            if sum == 0 { continue }
                                                            var change = sum
                                                            if sh != 0 {
                                                                let remainder = UInt64(bitPattern: sum & mask)
                                                                var up: Int64 = 0
                                                                if remainder != 0 {
                                                                    up =
                                                                        random.roundsUp(remainder: remainder, shift: sh)
                                                                        ? 1 : 0
                                                                }
                                                                change = ((sum &>> Int64(sh)) &+ up) &* grid
                                                            }
                                                            if change == 0 { continue }
                                                            let k = rowBase &+ Int(posts[jj])
                                                            let w = Int64(mant[k])
                                                            let updated = min(max(w &+ change, lo), hi)
                                                            if updated == w { continue }
                                                            mant[k] = Int16(truncatingIfNeeded: updated)
                                                            if shift < 0 {
                                                                currents[k] = synapticCurrent(
                                                                    mantissa: Int(updated), exponent: exponent)
                                                            } else if hasPacked {
                                                                packed[k] = ConnectionRuntime.pack(Int(updated), mode)
                                                            }
                                                        }
                                                    }
                                                    for jj in 0..<m where hits[jj] != 0 {
                                                        counts[Int(core[Int(posts[jj])])]
                                                            .plasticSynapseUpdatesProcessed += hits[jj]
                                                        processed += hits[jj]
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                                processedCount += processed
                                return
                            }

                            for i32 in rows {
                                let i = Int(i32)
                                var anyRow = false
                                var onlyY0 = true
                                for index in 0..<productCount {
                                    let value = rowParts[index &* nPre &+ i]
                                    rowPart[index] = value
                                    if value != 0 {
                                        anyRow = true
                                        if !productHasY0[index] { onlyY0 = false }
                                    }
                                }
                                if !anyRow { continue }

                                if onlyY0 {
                                    // Event-driven columns: only posts that spiked in the epoch.
                                    for j32 in postList {
                                        let j = Int(j32)
                                        let k = i * n + j
                                        var dwSum: Int64 = 0
                                        var dtSum: Int64 = 0
                                        var nonZero = false
                                        flat = 0
                                        for rule in compiled {
                                            var sum: Int64 = 0
                                            for p in rule.products {
                                                var value = rowPart[flat]
                                                flat += 1
                                                if value == 0 { continue }
                                                for f in p.post { value *= postValue(f, j) }
                                                for f in p.synapse { value *= synapseValue(f, k) }
                                                if value != 0 {
                                                    nonZero = true
                                                    sum += value
                                                }
                                            }
                                            if rule.target == .dw { dwSum = sum } else { dtSum = sum }
                                        }
                                        if nonZero { apply(i, j, dwSum, dtSum) }
                                    }
                                    continue
                                }

                                // Full row.
                                if !qValid { buildColumnParts() }

                                // Fused path for the common shape of sweep rules (only dw; constant terms, at
                                // most one product of post traces, at most one product `c * (w + k)`): the
                                // sum, rounding and store of a row run in LearningKernels.sweepRow32 (or
                                // sweepRow when the sums may exceed 2^30).
                                if dwRule != nil, dtRule == nil, !usesGeneralEvaluation {
                                    var constant: Int64 = 0
                                    var anyConstant = false
                                    var postA: Int64 = 0
                                    var postColumn = 0
                                    var hasPost = false
                                    var weightA: Int64 = 0
                                    var weightOffset: Int64 = 0
                                    var hasWeight = false
                                    var fusable = true
                                    for index in 0..<dwKinds.count {
                                        let a = rowPart[index]
                                        if a == 0 { continue }
                                        switch dwKinds[index] {
                                        case .constant:
                                            constant &+= a
                                            anyConstant = true
                                        case .post where !hasPost:
                                            postA = a
                                            postColumn = index
                                            hasPost = true
                                        case .weight(let offset) where !hasWeight:
                                            weightA = a
                                            weightOffset = offset
                                            hasWeight = true
                                        default:
                                            fusable = false
                                        }
                                    }
                                    if fusable {
                                        var terms = SweepRowTerms()
                                        terms.constant = constant
                                        terms.constantCounts = anyConstant
                                        terms.postA = postA
                                        terms.weightA = weightA
                                        terms.weightOffset = weightOffset
                                        let columnSource = hasPost ? q[postColumn] : zeroColumn
                                        let columnSource32 = hasPost ? q32[postColumn] : zeroColumn32
                                        let lanes32 = dwRounding.lanes32
                                        columnSource.withUnsafeBufferPointer { column in
                                            columnSource32.withUnsafeBufferPointer { column32 in
                                                sweepScratch.withUnsafeMutableBufferPointer { scratch in
                                                    for run in postCoreRuns {
                                                        let processed =
                                                            lanes32
                                                            ? LearningKernels.sweepRow32(
                                                                run.start..<run.end, rowBase: i &* n, terms: terms,
                                                                column: column32.baseAddress!,
                                                                weights: mant.baseAddress!,
                                                                target: target, rule: dwRounding,
                                                                scratch: scratch.baseAddress!,
                                                                random: &random)
                                                            : LearningKernels.sweepRow(
                                                                run.start..<run.end, rowBase: i &* n, terms: terms,
                                                                column: column.baseAddress!, weights: mant.baseAddress!,
                                                                target: target, rule: dwRounding, random: &random)
                                                        counts[run.core].plasticSynapseUpdatesProcessed += processed
                                                        processedCount += processed
                                                    }
                                                }
                                            }
                                        }
                                        continue
                                    }
                                }

                                // General full row: vectorisable sums per product, then one pass to round
                                // and store.
                                rowSums.withUnsafeMutableBufferPointer { dw in
                                    rowTagSums.withUnsafeMutableBufferPointer { dt in
                                        rowNonZero.withUnsafeMutableBufferPointer { nz in
                                            for j in 0..<n {
                                                dw[j] = 0
                                                dt[j] = 0
                                                nz[j] = 0
                                            }
                                            let rowBase = i * n
                                            var flat = 0
                                            for rule in compiled {
                                                let out = rule.target == .dw ? dw : dt
                                                for p in rule.products {
                                                    let a = rowPart[flat]
                                                    let column = q[flat]
                                                    flat += 1
                                                    if a == 0 { continue }
                                                    column.withUnsafeBufferPointer { col in
                                                        switch (p.post.isEmpty, p.synapse.count) {
                                                        case (true, 0):
                                                            for j in 0..<n {
                                                                out[j] &+= a
                                                                nz[j] = 1
                                                            }
                                                        case (false, 0):
                                                            for j in 0..<n {
                                                                let value = a &* col[j]
                                                                out[j] &+= value
                                                                nz[j] |= value != 0 ? 1 : 0
                                                            }
                                                        case (true, 1) where p.synapse[0].variable == .w:
                                                            let offset = Int64(p.synapse[0].offset)
                                                            let m = mant.baseAddress! + rowBase
                                                            for j in 0..<n {
                                                                let value = a &* (Int64(m[j]) &+ offset)
                                                                out[j] &+= value
                                                                nz[j] |= value != 0 ? 1 : 0
                                                            }
                                                        default:
                                                            for j in 0..<n {
                                                                var value = a &* col[j]
                                                                for f in p.synapse {
                                                                    value &*= synapseValue(f, rowBase + j)
                                                                }
                                                                out[j] &+= value
                                                                nz[j] |= value != 0 ? 1 : 0
                                                            }
                                                        }
                                                    }
                                                }
                                            }
                                            if let rule = dwRule, dtRule == nil, !usesGeneralEvaluation {
                                                // Common case (only dw): round and store in one tight loop per core
                                                // run.
                                                let sh = rule.roundingShift
                                                let mask = (Int64(1) &<< Int64(sh)) &- 1
                                                let grid = rule.grid
                                                let lo = rule.range.lowerBound
                                                let hi = rule.range.upperBound
                                                // Branch-free apart from the random draw (data-dependent branches
                                                // mispredict on random weights); a synapse with a zero sum gets a
                                                // zero change and is stored unchanged. All values are small, so the
                                                // wrapping operators never wrap.
                                                for run in postCoreRuns {
                                                    var processed = 0
                                                    for j in run.start..<run.end {
                                                        processed &+= Int(nz[j])
                                                        let sum = dw[j]
                                                        let remainder = UInt64(bitPattern: sum & mask)
                                                        var up: Int64 = 0
                                                        if remainder != 0 {
                                                            up =
                                                                random.roundsUp(remainder: remainder, shift: sh) ? 1 : 0
                                                        }
                                                        let change = ((sum &>> Int64(sh)) &+ up) &* grid
                                                        let k = rowBase &+ j
                                                        let updated = min(max(Int64(mant[k]) &+ change, lo), hi)
                                                        mant[k] = Int16(truncatingIfNeeded: updated)
                                                        if shift < 0 {
                                                            currents[k] = synapticCurrent(
                                                                mantissa: Int(updated), exponent: exponent)
                                                        } else if hasPacked {
                                                            packed[k] = ConnectionRuntime.pack(Int(updated), mode)
                                                        }
                                                    }
                                                    counts[run.core].plasticSynapseUpdatesProcessed += processed
                                                    processedCount += processed
                                                }
                                            } else {
                                                for j in 0..<n where nz[j] != 0 { apply(i, j, dw[j], dt[j]) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

// MARK: - Specialised kernels
//
// The hot loops of the learning engine, written once per (delivery copy, rounding) pair
// through generics that the optimiser specialises: no per-synapse switch, no class
// property access, the generator state in a register. They make the same draws in the
// same order as the general code above (one `next()` per synapse whose sum is off the
// grid, rows ascending, then posts ascending; docs/neurochip.md), which the tests check
// against `usesGeneralEvaluation`.

/// Where a changed weight mantissa is mirrored for delivery (Connection.swift).
enum DeliveryTarget {
    /// e < 0: currents `(w >> -e) << 6`, `rightShift` = -e.
    case currents(UnsafeMutablePointer<Int32>, rightShift: Int32)
    case packedMixed(UnsafeMutablePointer<Int8>)
    case packedExcitatory(UnsafeMutablePointer<Int8>)
    case packedInhibitory(UnsafeMutablePointer<Int8>)
    case mantissaOnly

    init(
        shift: Int, mode: SignMode, currents: UnsafeMutablePointer<Int32>?, packed: UnsafeMutablePointer<Int8>?
    ) {
        if shift < 0, let currents {
            self = .currents(currents, rightShift: Int32(-shift))
        } else if shift >= 0, let packed {
            switch mode {
            case .mixed: self = .packedMixed(packed)
            case .excitatory: self = .packedExcitatory(packed)
            case .inhibitory: self = .packedInhibitory(packed)
            }
        } else {
            self = .mantissaOnly
        }
    }
}

protocol WeightCopy {
    /// `w` is a clamped weight mantissa.
    func store(_ k: Int, _ w: Int32)
}

/// `synapticCurrent` for e < 0: `floor(w * 2^e) * 64`, an arithmetic right shift by r = -e
/// then a left shift by 6.
struct CurrentCopy: WeightCopy {
    let base: UnsafeMutablePointer<Int32>
    let rightShift: Int32
    @inline(__always) func store(_ k: Int, _ w: Int32) {
        base[k] = (w &>> rightShift) &<< 6
    }
}

/// `ConnectionRuntime.pack` for the three sign modes (w is already in the mode's range).
struct PackedMixedCopy: WeightCopy {
    let base: UnsafeMutablePointer<Int8>
    @inline(__always) func store(_ k: Int, _ w: Int32) { base[k] = Int8(truncatingIfNeeded: w &>> 1) }
}

struct PackedExcitatoryCopy: WeightCopy {
    let base: UnsafeMutablePointer<Int8>
    @inline(__always) func store(_ k: Int, _ w: Int32) { base[k] = Int8(truncatingIfNeeded: w) }
}

struct PackedInhibitoryCopy: WeightCopy {
    let base: UnsafeMutablePointer<Int8>
    @inline(__always) func store(_ k: Int, _ w: Int32) { base[k] = Int8(truncatingIfNeeded: 0 &- w) }
}

struct NoCopy: WeightCopy {
    @inline(__always) func store(_ k: Int, _ w: Int32) {}
}

protocol GridRounding {
    /// The change of a synapse whose rule sum (at scale 2^shift) is `sum`.
    func change(_ sum: Int64, _ random: inout ChipRandom) -> Int64
}

/// Stochastic rounding to the grid (docs/neurochip.md "Learning engine and rule grammar"): floor, plus one with
/// probability
/// remainder / 2^shift. Branch-free: the state advances only when the remainder is non-zero
/// (the draw semantics of `ChipRandom.roundsUp`), and with remainder 0 the unsigned
/// comparison `top bits < 0` is false, so no draw and no round-up, exactly as the general
/// path that skips the draw.
struct StochasticRounding: GridRounding {
    let shift: Int64
    let gridLog: Int64

    @inline(__always) func change(_ sum: Int64, _ random: inout ChipRandom) -> Int64 {
        let remainder = UInt64(bitPattern: sum & ((1 &<< shift) &- 1))
        random.state &+= remainder != 0 ? ChipRandom.increment : 0
        let z = ChipRandom.output(random.state)
        let up: Int64 = (z &>> UInt64(64 &- shift)) < remainder ? 1 : 0
        return ((sum &>> shift) &+ up) &<< gridLog
    }
}

/// Rules whose every coefficient is on the grid (`CompiledRule.onGrid`): the remainder is
/// always 0, so there is never a draw.
struct ExactRounding: GridRounding {
    let shift: Int64
    let gridLog: Int64

    @inline(__always) func change(_ sum: Int64, _ random: inout ChipRandom) -> Int64 {
        (sum &>> shift) &<< gridLog
    }
}

/// The terms of a fused sweep row: `constant + postA * column[j] + weightA * (w + weightOffset)`.
struct SweepRowTerms {
    var constant: Int64 = 0
    /// Some constant product is non-zero: every synapse of the row is processed.
    var constantCounts = false
    var postA: Int64 = 0
    var weightA: Int64 = 0
    var weightOffset: Int64 = 0
}

enum LearningKernels {
    /// Fused sweep of posts `range` of one row: sum, round, clamp, store. Returns how many
    /// synapses had a non-zero product.
    static func sweepRow(
        _ range: Range<Int>, rowBase: Int, terms: SweepRowTerms, column: UnsafePointer<Int64>,
        weights: UnsafeMutablePointer<Int16>, target: DeliveryTarget, rule: RuleRounding, random: inout ChipRandom
    ) -> Int {
        let gridLog = Int64(rule.gridLog)
        let shift = Int64(rule.shift)
        if rule.onGrid {
            return sweepRow(
                range, rowBase, terms, column, weights, target, ExactRounding(shift: shift, gridLog: gridLog),
                rule.lo...rule.hi, &random)
        }
        return sweepRow(
            range, rowBase, terms, column, weights, target, StochasticRounding(shift: shift, gridLog: gridLog),
            rule.lo...rule.hi, &random)
    }

    @inline(__always)
    private static func sweepRow<Round: GridRounding>(
        _ range: Range<Int>, _ rowBase: Int, _ terms: SweepRowTerms, _ column: UnsafePointer<Int64>,
        _ weights: UnsafeMutablePointer<Int16>, _ target: DeliveryTarget, _ rounding: Round,
        _ limits: ClosedRange<Int64>, _ random: inout ChipRandom
    ) -> Int {
        switch target {
        case .currents(let base, let r):
            return sweepRow(
                range, rowBase, terms, column, weights, CurrentCopy(base: base, rightShift: r), rounding, limits,
                &random)
        case .packedMixed(let base):
            return sweepRow(
                range, rowBase, terms, column, weights, PackedMixedCopy(base: base), rounding, limits, &random)
        case .packedExcitatory(let base):
            return sweepRow(
                range, rowBase, terms, column, weights, PackedExcitatoryCopy(base: base), rounding, limits, &random)
        case .packedInhibitory(let base):
            return sweepRow(
                range, rowBase, terms, column, weights, PackedInhibitoryCopy(base: base), rounding, limits, &random)
        case .mantissaOnly:
            return sweepRow(range, rowBase, terms, column, weights, NoCopy(), rounding, limits, &random)
        }
    }

    @inline(never)
    private static func sweepRow<Copy: WeightCopy, Round: GridRounding>(
        _ range: Range<Int>, _ rowBase: Int, _ terms: SweepRowTerms, _ column: UnsafePointer<Int64>,
        _ weights: UnsafeMutablePointer<Int16>, _ copy: Copy, _ rounding: Round, _ limits: ClosedRange<Int64>,
        _ random: inout ChipRandom
    ) -> Int {
        // Locals, so the loop keeps everything (the generator state too) in registers. All
        // values are small (rule constants are bounded, LearningRule.swift), so the
        // wrapping operators never wrap.
        var generator = random
        let constant = terms.constant
        let always = terms.constantCounts ? 1 : 0
        let postA = terms.postA
        let weightA = terms.weightA
        let weightOffset = terms.weightOffset
        let lo = limits.lowerBound
        let hi = limits.upperBound
        var processed = 0
        for j in range {
            let k = rowBase &+ j
            let w = Int64(weights[k])
            let termPost = postA &* column[j]
            let termWeight = weightA &* (w &+ weightOffset)
            let sum = constant &+ termPost &+ termWeight
            processed &+= always | ((termPost | termWeight) != 0 ? 1 : 0)
            let updated = min(max(w &+ rounding.change(sum, &generator), lo), hi)
            weights[k] = Int16(truncatingIfNeeded: updated)
            copy.store(k, Int32(truncatingIfNeeded: updated))
        }
        random = generator
        return processed
    }

    /// `sweepRow` in three passes over Int32 lanes, for rules with `sumBound < 2^30` (so
    /// no lane can wrap): the sums (vectorisable), the draws (the only serial part: the
    /// generator state, one SplitMix64 step per off-grid synapse, in post order), then
    /// clamp and store (vectorisable). `scratch` holds at least `range.count` values.
    static func sweepRow32(
        _ range: Range<Int>, rowBase: Int, terms: SweepRowTerms, column: UnsafePointer<Int32>,
        weights: UnsafeMutablePointer<Int16>, target: DeliveryTarget, rule: RuleRounding,
        scratch: UnsafeMutablePointer<Int32>, random: inout ChipRandom
    ) -> Int {
        let count = range.count
        if count == 0 { return 0 }
        let w = weights + (rowBase &+ range.lowerBound)
        let processed = Int(
            nc_sweep_sums(
                scratch, column + range.lowerBound, w, Int64(count), Int32(truncatingIfNeeded: terms.constant),
                terms.constantCounts ? 1 : 0, Int32(truncatingIfNeeded: terms.postA),
                Int32(truncatingIfNeeded: terms.weightA), Int32(truncatingIfNeeded: terms.weightOffset), NCKernelAuto))
        let shift = Int32(rule.shift)
        if rule.onGrid {
            for j in 0..<count { scratch[j] = scratch[j] &>> shift }
        } else {
            if (1...31).contains(shift) {
                random.state = nc_round_stochastically(scratch, Int64(count), shift, random.state, NCKernelAuto)
            } else {
                roundStochastically32(count, shift, scratch, &random)
            }
        }
        let gridLog = Int32(rule.gridLog)
        let lo = Int32(rule.lo)
        let hi = Int32(rule.hi)
        let first = rowBase &+ range.lowerBound
        switch target {
        case .currents(let base, let r):
            store32(count, first, gridLog, lo, hi, scratch, weights, CurrentCopy(base: base, rightShift: r))
        case .packedMixed(let base):
            store32(count, first, gridLog, lo, hi, scratch, weights, PackedMixedCopy(base: base))
        case .packedExcitatory(let base):
            store32(count, first, gridLog, lo, hi, scratch, weights, PackedExcitatoryCopy(base: base))
        case .packedInhibitory(let base):
            store32(count, first, gridLog, lo, hi, scratch, weights, PackedInhibitoryCopy(base: base))
        case .mantissaOnly:
            store32(count, first, gridLog, lo, hi, scratch, weights, NoCopy())
        }
        return processed
    }

    /// Pass 2 (pass 1, the sums, is the C kernel `nc_sweep_sums`): `sums[j] = floor(sum /
    /// 2^shift) + up`, with `StochasticRounding`'s branch-free draw (one `next()` only when
    /// the remainder is non-zero), in post order. The reference of the C kernel
    /// `nc_round_stochastically` (four draws at once with AVX2), which runs it for shifts
    /// 1...31; this loop serves any other shift.
    @inline(never)
    static func roundStochastically32(
        _ count: Int, _ shift: Int32, _ sums: UnsafeMutablePointer<Int32>, _ random: inout ChipRandom
    ) {
        var state = random.state
        let mask = (Int32(1) &<< shift) &- 1
        // (z >> (64 - shift)) < remainder  <=>  z < remainder * 2^(64 - shift) (no overflow:
        // remainder < 2^shift); a multiply by a register instead of a shift by cl.
        let scale = UInt64(1) &<< UInt64(64 &- shift)
        for j in 0..<count {
            let sum = sums[j]
            let remainder = UInt64(UInt32(bitPattern: sum & mask))
            state &+= remainder != 0 ? ChipRandom.increment : 0
            let z = ChipRandom.output(state)
            sums[j] = (sum &>> shift) &+ (z < remainder &* scale ? 1 : 0)
        }
        random.state = state
    }

    /// Pass 3: clamp `w + change * grid` to the range, store the mantissa and its copy.
    @inline(never)
    private static func store32<Copy: WeightCopy>(
        _ count: Int, _ first: Int, _ gridLog: Int32, _ lo: Int32, _ hi: Int32,
        _ scratch: UnsafeMutablePointer<Int32>, _ weights: UnsafeMutablePointer<Int16>, _ copy: Copy
    ) {
        for j in 0..<count {
            let k = first &+ j
            let updated = min(max(Int32(weights[k]) &+ (scratch[j] &<< gridLog), lo), hi)
            weights[k] = Int16(truncatingIfNeeded: updated)
            copy.store(k, updated)
        }
    }

    /// Adds the rounded `sum` to every (row, post) pair, rows then posts in the given
    /// (ascending) order: the pair path of a rule whose pair sum is uniform.
    static func updatePairs(
        rows: UnsafeBufferPointer<Int32>, posts: UnsafeBufferPointer<Int32>, rowLength: Int, sum: Int64,
        weights: UnsafeMutablePointer<Int16>, target: DeliveryTarget, rule: CompiledRule, random: inout ChipRandom
    ) {
        let rule = rule.rounding
        let gridLog = Int64(rule.gridLog)
        let shift = Int64(rule.shift)
        let remainder = sum & ((Int64(1) &<< shift) &- 1)
        if remainder == 0 {
            // No draws: one change for every pair.
            let change = (sum &>> shift) &<< gridLog
            if change == 0 { return }
            updatePairs(rows, posts, rowLength, weights, target, rule.lo...rule.hi, &random) { _ in change }
        } else {
            let rounding = StochasticRounding(shift: shift, gridLog: gridLog)
            updatePairs(rows, posts, rowLength, weights, target, rule.lo...rule.hi, &random) { random in
                rounding.change(sum, &random)
            }
        }
    }

    @inline(__always)
    private static func updatePairs(
        _ rows: UnsafeBufferPointer<Int32>, _ posts: UnsafeBufferPointer<Int32>, _ rowLength: Int,
        _ weights: UnsafeMutablePointer<Int16>, _ target: DeliveryTarget, _ limits: ClosedRange<Int64>,
        _ random: inout ChipRandom, _ change: (inout ChipRandom) -> Int64
    ) {
        switch target {
        case .currents(let base, let r):
            updatePairs(
                rows, posts, rowLength, weights, CurrentCopy(base: base, rightShift: r), limits, &random, change)
        case .packedMixed(let base):
            updatePairs(rows, posts, rowLength, weights, PackedMixedCopy(base: base), limits, &random, change)
        case .packedExcitatory(let base):
            updatePairs(rows, posts, rowLength, weights, PackedExcitatoryCopy(base: base), limits, &random, change)
        case .packedInhibitory(let base):
            updatePairs(rows, posts, rowLength, weights, PackedInhibitoryCopy(base: base), limits, &random, change)
        case .mantissaOnly:
            updatePairs(rows, posts, rowLength, weights, NoCopy(), limits, &random, change)
        }
    }

    @inline(__always)
    private static func updatePairs<Copy: WeightCopy>(
        _ rows: UnsafeBufferPointer<Int32>, _ posts: UnsafeBufferPointer<Int32>, _ rowLength: Int,
        _ weights: UnsafeMutablePointer<Int16>, _ copy: Copy, _ limits: ClosedRange<Int64>,
        _ random: inout ChipRandom, _ change: (inout ChipRandom) -> Int64
    ) {
        var generator = random
        let lo = limits.lowerBound
        let hi = limits.upperBound
        for i in rows {
            let rowBase = Int(i) &* rowLength
            for j in posts {
                let k = rowBase &+ Int(j)
                let updated = min(max(Int64(weights[k]) &+ change(&generator), lo), hi)
                weights[k] = Int16(truncatingIfNeeded: updated)
                copy.store(k, Int32(truncatingIfNeeded: updated))
            }
        }
        random = generator
    }
}
