// The learning engine of one plastic all-to-all connection on one run of its posts
// (docs/neurochip.md "One time step", step 5, and "Learning engine and rule grammar"): traces, reward, epochs, and the rule evaluation
// (LearningEvaluation.swift) with stochastic rounding and clamping.
//
// A connection whose posts are split over partitions (threads or ranks) has one runtime
// per run of posts; each keeps its own copy of the presynaptic traces, as every chip core
// holding posts of a connection does, and works on its own columns of the weights.
//
// Event-driven evaluation: each product is split into a row part P (constant, global
// and presynaptic factors) and a column part Q (postsynaptic factors). A row whose P
// are all 0 is skipped (every product contains x0 and the pre did not spike), and a row
// whose non-zero products all contain y0 visits only the posts that spiked in the epoch.
// Counters still report what the chip processes: all plastic synapses per epoch
// (`plasticSynapsesSwept`) and those with a non-zero product (`...Processed`).

/// Product of a rule compiled to integers at scale 2^shift of the rule.
struct CompiledProduct {
    /// mantissa * 2^(exponent + scale), exact in Int64.
    var coefficient: Int64
    var pre: [RuleFactor]
    var post: [RuleFactor]
    var global: [RuleFactor]
    var synapse: [RuleFactor]
    var hasY0: Bool
    /// Its role in a fused sweep row (LearningEvaluation.swift).
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
    /// remainder is always 0 and the rule never draws (docs/neurochip.md "Learning engine and rule grammar": results are
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
    /// Posts of this runtime: local posts `postOffset ..< postOffset + nPost` of the target.
    let nPost: Int
    let postOffset: Int
    /// Row length of the connection's weights (all its posts): synapse (i, j) is
    /// `i * rowStride + postOffset + j`.
    let rowStride: Int
    /// The partition whose thread runs this runtime.
    let partition: Int
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
        rules: RuleSet, spec: LearningSpec, signMode: SignMode, rewardGroup: Int?, nPre: Int,
        posts: Range<Int>, rowStride: Int, postCore: [Int32], partition: Int = 0
    ) {
        self.rules = rules
        self.partition = partition
        self.spec = spec
        self.epoch = spec.epoch
        self.rewardGroup = rewardGroup
        self.nPre = nPre
        self.nPost = posts.count
        self.postOffset = posts.lowerBound
        self.rowStride = rowStride
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
        compiled = rules.rules.map { Self.compile($0, signMode: signMode) }
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
        usesTag = Self.readsTags(rules)
        uniformPairRule =
            allX0 && allY0 && pairSumIsUniform && rules.dt == nil && compiled.count == 1 ? compiled[0] : nil
        usedTraces = rules.variables
        usesX1 = usedTraces.contains(.x1)
        usesX2 = usedTraces.contains(.x2)
        usesY1 = usedTraces.contains(.y1)
        usesY2 = usedTraces.contains(.y2)
        usesY3 = usedTraces.contains(.y3)
        usesR1 = usedTraces.contains(.r1)
        let n = posts.count
        x1 = Array(repeating: 0, count: nPre)
        x2 = Array(repeating: 0, count: nPre)
        y1 = Array(repeating: 0, count: n)
        y2 = Array(repeating: 0, count: n)
        y3 = Array(repeating: 0, count: n)
        preFlag = Array(repeating: 0, count: nPre)
        postFlag = Array(repeating: 0, count: n)
        rowSums = Array(repeating: 0, count: n)
        sweepScratch = Array(repeating: 0, count: n)
        rowTagSums = Array(repeating: 0, count: n)
        rowNonZero = Array(repeating: 0, count: n)
    }

    /// Whether a rule set reads or writes the synaptic tags.
    static func readsTags(_ rules: RuleSet) -> Bool { rules.dt != nil || rules.variables.contains(.t) }

    static func compile(_ rule: LearningRule, signMode: SignMode) -> CompiledRule {
        let scale = max(0, -(rule.products.map(\.exponent).min() ?? 0))
        let gridLog = rule.target == .dw && signMode == .mixed ? 1 : 0
        let range: ClosedRange<Int> = rule.target == .dw ? signMode.weightRange : ChipLimits.tagRange
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
    /// equal to it (docs/neurochip.md "Learning engine and rule grammar"), decided by draw `index` of the trace's stream of
    /// this step. tau 0: no decay; tau 1: nothing is kept.
    @inline(__always)
    static func decayTrace(_ x: Int32, tau: Int, draws: ChipDrawStream, index: Int) -> Int32 {
        if tau == 0 || x == 0 { return x }
        if tau == 1 { return 0 }
        let t = Int32(tau)
        var decrement = x / t
        let remainder = x % t
        if remainder != 0 && draws.below(index, UInt64(tau)) < UInt64(remainder) { decrement += 1 }
        return x - decrement
    }

    /// Decays and bumps one trace array; value i draws at index `first + i`.
    private static func updateTrace(
        _ trace: inout [Int32], _ parameters: TraceParameters, flags: UnsafePointer<UInt8>, draws: ChipDrawStream,
        first: Int
    ) {
        let impulse = Int32(parameters.impulse)
        let tau = parameters.tau
        trace.withUnsafeMutableBufferPointer { x in
            for i in x.indices {
                let decayed = decayTrace(x[i], tau: tau, draws: draws, index: first &+ i)
                x[i] = min(127, decayed + impulse * Int32(flags[i]))
            }
        }
    }

    /// Step 5 of the step (docs/neurochip.md "One time step") for this runtime's synapses: traces of this step, then
    /// the rule if the epoch ends at `step`. `sourceFlags` marks every source that fired
    /// this step; `postSpikes` are the spikes of this runtime's posts. Random draws are
    /// keyed by (seed, connection, purpose, step) and the trace value's or synapse's index.
    func learn(
        step: Int, connection c: ConnectionRuntime, sourceFlags: UnsafePointer<UInt8>,
        preSpikes: UnsafeBufferPointer<Int32>, postSpikes: UnsafeBufferPointer<Int32>,
        rewardNow: Bool, seed: UInt64, counts: UnsafeMutablePointer<CoreStepCounts>
    ) -> (processed: Int, swept: Int) {
        processedCount = 0
        noteEpochSpikes(
            preSpikes: preSpikes, postSpikes: postSpikes, preBase: Int32(c.sourceStart),
            postBase: Int32(c.targetStart + postOffset))
        if rewardNow { r0 = true }
        func draws(_ purpose: DrawPurpose) -> ChipDrawStream {
            ChipDrawStream(seed: seed, connection: c.drawKey, purpose: purpose, step: step)
        }
        updateTraces(
            preFlags: sourceFlags + c.sourceStart, postFlags: sourceFlags + c.targetStart + postOffset,
            rewardNow: rewardNow, draws: draws, counts: counts)

        guard (step + 1) % epoch == 0 else { return (0, 0) }
        for (core, count) in postsPerCore {
            counts[core].learningEpochs = 1
            counts[core].plasticSynapsesSwept += count * nPre
        }
        if epoch > 1 {
            preList.sort()
            postList.sort()
        }
        // Nothing can be non-zero without the spikes every product needs (event-driven).
        if !(allX0 && preList.isEmpty) && !(allY0 && postList.isEmpty) {
            let rounding = EpochDraws(
                weights: RoundingDraws(stream: draws(.weightRounding), first: postOffset),
                tags: RoundingDraws(stream: draws(.tagRounding), first: postOffset))
            if let rule = uniformPairRule, !usesGeneralEvaluation {
                evaluateUniformPairs(connection: c, rule: rule, draws: rounding.weights, counts: counts)
            } else {
                evaluate(connection: c, draws: rounding, counts: counts)
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

    /// Epoch membership (x0, y0).
    private func noteEpochSpikes(
        preSpikes: UnsafeBufferPointer<Int32>, postSpikes: UnsafeBufferPointer<Int32>, preBase: Int32, postBase: Int32
    ) {
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
    }

    /// Traces of this step and their update counts: every core holding posts keeps its own
    /// copy of the presynaptic traces. Pre trace i draws at index i, post trace j at its
    /// post's index in the target population, r1 at 0.
    private func updateTraces(
        preFlags: UnsafePointer<UInt8>, postFlags: UnsafePointer<UInt8>, rewardNow: Bool,
        draws: (DrawPurpose) -> ChipDrawStream, counts: UnsafeMutablePointer<CoreStepCounts>
    ) {
        var preTraceCount = 0
        var postTraceCount = 0
        if usesX1 {
            Self.updateTrace(&x1, spec.x1, flags: preFlags, draws: draws(.x1Decay), first: 0)
            preTraceCount += 1
        }
        if usesX2 {
            Self.updateTrace(&x2, spec.x2, flags: preFlags, draws: draws(.x2Decay), first: 0)
            preTraceCount += 1
        }
        if usesY1 {
            Self.updateTrace(&y1, spec.y1, flags: postFlags, draws: draws(.y1Decay), first: postOffset)
            postTraceCount += 1
        }
        if usesY2 {
            Self.updateTrace(&y2, spec.y2, flags: postFlags, draws: draws(.y2Decay), first: postOffset)
            postTraceCount += 1
        }
        if usesY3 {
            Self.updateTrace(&y3, spec.y3, flags: postFlags, draws: draws(.y3Decay), first: postOffset)
            postTraceCount += 1
        }
        if usesR1 {
            // With tau 0 or 1 r1 equals this step's reward (docs/neurochip.md "Learning engine and rule grammar").
            let impulse = Int32(spec.r1.impulse) * (rewardNow ? 1 : 0)
            r1 =
                spec.r1.tau <= 1
                ? min(127, impulse)
                : min(127, Self.decayTrace(r1, tau: spec.r1.tau, draws: draws(.r1Decay), index: 0) + impulse)
        }
        for (core, count) in postsPerCore {
            counts[core].traceUpdates += preTraceCount * nPre + postTraceCount * count + (usesR1 ? 1 : 0)
        }
    }
}

/// The rounding draws of one epoch: `dw` and `dt` updates each have their own stream.
struct EpochDraws {
    let weights: RoundingDraws
    let tags: RoundingDraws
}
