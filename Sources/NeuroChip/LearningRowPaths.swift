// The row paths of the rule evaluation (LearningEvaluation.swift): pair sums over the
// spiking posts, fused sweep rows, and the general full row.

extension LearningRuntime {
    /// Pair path: a dw-only rule without synapse factors whose products all contain x0 and
    /// y0 (nBP's `4*x0*y0*r1 - 2*x0*y0`, and any STDP-like epoch-1 rule) can only change
    /// (spiking pre) x (spiking post) pairs. The post factors are the same for every row, so
    /// they are taken once per epoch for the spiking posts (column parts), and each pair is
    /// a short dot product of row and column parts. Same synapses and draws as the
    /// per-synapse path.
    func evaluatePairs(
        plan: EvaluationPlan, rule: CompiledRule, buffers b: SynapseBuffers, draws: RoundingDraws,
        counts: UnsafeMutablePointer<CoreStepCounts>
    ) {
        let m = postList.count
        if m == 0 { return }
        pairColumns.removeAll(keepingCapacity: true)
        for p in rule.products {
            for j32 in postList {
                var value: Int64 = 1
                for f in p.post { value *= postValue(f, Int(j32)) }
                pairColumns.append(value)
            }
        }
        if pairSums.count < m {
            pairSums = [Int64](repeating: 0, count: m)
            pairNonZero = [Int32](repeating: 0, count: m)
            pairHits = [Int](repeating: 0, count: m)
        }
        for jj in 0..<m { pairHits[jj] = 0 }
        for i32 in preList {
            let i = Int(i32)
            var anyRow = false
            for (index, p) in rule.products.enumerated() {
                var value = plan.globalPart[index]
                if value != 0 { for f in p.pre { value *= preValue(f, i) } }
                plan.rowPart[index] = value
                if value != 0 { anyRow = true }
            }
            if anyRow { pairRow(i, rule: rule, plan: plan, buffers: b, draws: draws) }
        }
        var processed = 0
        for jj in 0..<m where pairHits[jj] != 0 {
            counts[Int(postCore[Int(postList[jj])])].plasticSynapseUpdatesProcessed += pairHits[jj]
            processed += pairHits[jj]
        }
        processedCount += processed
    }

    /// One row of the pair path: the sums of all spiking posts first (vectorisable), then
    /// one pass in post order that rounds (the draws) and stores.
    @inline(__always)
    private func pairRow(
        _ i: Int, rule: CompiledRule, plan: EvaluationPlan, buffers b: SynapseBuffers, draws: RoundingDraws
    ) {
        let m = postList.count
        let sh = rule.roundingShift
        let mask = (Int64(1) &<< Int64(sh)) &- 1
        let lo = rule.range.lowerBound
        let hi = rule.range.upperBound
        pairColumns.withUnsafeBufferPointer { columns in
            postList.withUnsafeBufferPointer { posts in
                pairSums.withUnsafeMutableBufferPointer { sums in
                    pairNonZero.withUnsafeMutableBufferPointer { nz in
                        for jj in 0..<m {
                            sums[jj] = 0
                            nz[jj] = 0
                        }
                        for index in 0..<rule.products.count {
                            let a = plan.rowPart[index]
                            if a == 0 { continue }
                            let column = columns.baseAddress! + index &* m
                            for jj in 0..<m {
                                let value = a &* column[jj]
                                sums[jj] &+= value
                                nz[jj] |= value != 0 ? 1 : 0
                            }
                        }
                        for jj in 0..<m { pairHits[jj] &+= Int(nz[jj]) }
                        let rowBase = i &* rowStride
                        for jj in 0..<m {
                            let sum = sums[jj]
                            if sum == 0 { continue }
                            let k = rowBase &+ Int(posts[jj])
                            var change = sum
                            if sh != 0 {
                                let remainder = UInt64(bitPattern: sum & mask)
                                let up: Int64 =
                                    remainder != 0
                                        && draws.stream.roundsUp(draws.first &+ k, remainder: remainder, shift: sh)
                                    ? 1 : 0
                                change = ((sum &>> Int64(sh)) &+ up) &* rule.grid
                            }
                            if change == 0 { continue }
                            let w = Int64(b.mantissa[k])
                            let updated = min(max(w &+ change, lo), hi)
                            if updated != w { b.store(k, updated) }
                        }
                    }
                }
            }
        }
    }

    /// Fused path for the common shape of sweep rules (only dw; constant terms, at most one
    /// product of post traces, at most one product `c * (w + k)`): the sum, rounding and
    /// store of a row run in LearningKernels.sweepRow32 (or sweepRow when the sums may
    /// exceed 2^30). Returns false, doing nothing, when the row does not have that shape.
    func evaluateFusedRow(
        row i: Int, plan: EvaluationPlan, buffers b: SynapseBuffers, draws: RoundingDraws,
        counts: UnsafeMutablePointer<CoreStepCounts>
    ) -> Bool {
        var terms = SweepRowTerms()
        var postColumn = -1
        var hasWeight = false
        for index in 0..<plan.dwKinds.count {
            let a = plan.rowPart[index]
            if a == 0 { continue }
            switch plan.dwKinds[index] {
            case .constant:
                terms.constant &+= a
                terms.constantCounts = true
            case .post where postColumn < 0:
                terms.postA = a
                postColumn = index
            case .weight(let offset) where !hasWeight:
                terms.weightA = a
                terms.weightOffset = offset
                hasWeight = true
            default:
                return false
            }
        }
        let column = postColumn >= 0 ? q[postColumn] : zeroColumn
        let column32 = postColumn >= 0 ? q32[postColumn] : zeroColumn32
        let rounding = plan.dwRounding
        column.withUnsafeBufferPointer { column in
            column32.withUnsafeBufferPointer { column32 in
                sweepScratch.withUnsafeMutableBufferPointer { scratch in
                    for run in postCoreRuns {
                        let processed =
                            rounding.lanes32
                            ? LearningKernels.sweepRow32(
                                run.start..<run.end, rowBase: i &* rowStride, terms: terms, column: column32.baseAddress!,
                                weights: b.mantissa, target: b.target, rule: rounding, scratch: scratch.baseAddress!,
                                draws: draws)
                            : LearningKernels.sweepRow(
                                run.start..<run.end, rowBase: i &* rowStride, terms: terms, column: column.baseAddress!,
                                weights: b.mantissa, target: b.target, rule: rounding, draws: draws)
                        counts[run.core].plasticSynapseUpdatesProcessed += processed
                        processedCount += processed
                    }
                }
            }
        }
        return true
    }

    /// General full row: vectorisable sums per product, then one pass to round and store.
    func evaluateFullRow(
        row i: Int, plan: EvaluationPlan, buffers b: SynapseBuffers, draws: EpochDraws,
        counts: UnsafeMutablePointer<CoreStepCounts>
    ) {
        let n = nPost
        let rowBase = i * rowStride
        rowSums.withUnsafeMutableBufferPointer { dw in
            rowTagSums.withUnsafeMutableBufferPointer { dt in
                rowNonZero.withUnsafeMutableBufferPointer { nz in
                    for j in 0..<n {
                        dw[j] = 0
                        dt[j] = 0
                        nz[j] = 0
                    }
                    var flat = 0
                    for rule in compiled {
                        for p in rule.products {
                            let a = plan.rowPart[flat]
                            let column = q[flat]
                            flat += 1
                            if a == 0 { continue }
                            column.withUnsafeBufferPointer { col in
                                addProduct(
                                    p, a: a, column: col, rowBase: rowBase, into: rule.target == .dw ? dw : dt,
                                    nonZero: nz, buffers: b)
                            }
                        }
                    }
                    if let rule = plan.dwRule, plan.dtRule == nil, !usesGeneralEvaluation {
                        roundAndStoreRow(
                            rowBase, rule: rule, sums: dw, nonZero: nz, buffers: b, draws: draws.weights, counts: counts)
                    } else {
                        for j in 0..<n where nz[j] != 0 {
                            applySynapse(
                                rowBase + j, post: j, dwSum: dw[j], dtSum: dt[j], plan: plan, buffers: b, draws: draws,
                                counts: counts)
                        }
                    }
                }
            }
        }
    }

    /// `out[j] += a * column[j] * synapse factors` for one product over the row.
    @inline(__always)
    private func addProduct(
        _ p: CompiledProduct, a: Int64, column col: UnsafeBufferPointer<Int64>, rowBase: Int,
        into out: UnsafeMutableBufferPointer<Int64>, nonZero nz: UnsafeMutableBufferPointer<UInt8>,
        buffers b: SynapseBuffers
    ) {
        let n = nPost
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
            let m = b.mantissa + rowBase
            for j in 0..<n {
                let value = a &* (Int64(m[j]) &+ offset)
                out[j] &+= value
                nz[j] |= value != 0 ? 1 : 0
            }
        default:
            for j in 0..<n {
                var value = a &* col[j]
                for f in p.synapse { value &*= synapseValue(f, rowBase + j, b) }
                out[j] &+= value
                nz[j] |= value != 0 ? 1 : 0
            }
        }
    }

    /// Common case of the full row (only dw): round and store in one tight loop per core run.
    /// Branch-free (data-dependent branches mispredict on random weights): every synapse
    /// takes its draw, and one with a zero remainder never rounds up; a zero sum gives a zero
    /// change and the weight is stored unchanged. All values are small, so the wrapping
    /// operators never wrap.
    @inline(__always)
    private func roundAndStoreRow(
        _ rowBase: Int, rule: CompiledRule, sums dw: UnsafeMutableBufferPointer<Int64>,
        nonZero nz: UnsafeMutableBufferPointer<UInt8>, buffers b: SynapseBuffers, draws: RoundingDraws,
        counts: UnsafeMutablePointer<CoreStepCounts>
    ) {
        let sh = rule.roundingShift
        let mask = (Int64(1) &<< Int64(sh)) &- 1
        let lo = rule.range.lowerBound
        let hi = rule.range.upperBound
        for run in postCoreRuns {
            var processed = 0
            for j in run.start..<run.end {
                processed &+= Int(nz[j])
                let sum = dw[j]
                let k = rowBase &+ j
                let remainder = UInt64(bitPattern: sum & mask)
                let up: Int64 = sh != 0 && draws.stream.roundsUp(draws.first &+ k, remainder: remainder, shift: sh) ? 1 : 0
                let change = ((sum &>> Int64(sh)) &+ up) &* rule.grid
                b.store(k, min(max(Int64(b.mantissa[k]) &+ change, lo), hi))
            }
            counts[run.core].plasticSynapseUpdatesProcessed += processed
            processedCount += processed
        }
    }
}
