/// The pointers of one `NBPDeepState`, for one sample: the forward pass, the output error
/// and the layer-by-layer backward pass with its updates (docs/nbp.md, "Deeper networks").
struct NBPDeepHandle {
    let units: [Int]
    let wOffset: [Int]
    let mOffset: [Int]
    let unitOffset: [Int]
    let w: UnsafeMutablePointer<Int16>
    let m: UnsafeMutablePointer<Int16>
    let sums: UnsafeMutablePointer<Int32>
    let errors: UnsafeMutablePointer<Int32>
    let bits: UnsafeMutablePointer<UInt8>
    let active: UnsafeMutablePointer<Int32>
    let activeCount: UnsafeMutablePointer<Int>
    let lists: UnsafeMutablePointer<Int32>

    static let (hBit, hmBit, hpBit): (UInt8, UInt8, UInt8) = (1, 2, 4)
    /// The chip's weight range.
    static let (low, high): (Int16, Int16) = (-256, 254)

    var layers: Int { units.count - 1 }

    /// W_l, pre-major (row i holds the n_l weights from unit i of layer l - 1).
    func weightRows(_ l: Int) -> UnsafeMutablePointer<Int16> { w + wOffset[l - 1] }
    /// M_l, pre-major like W_l (n_{l-1} x n_l).
    func mRows(_ l: Int) -> UnsafeMutablePointer<Int16> { m + mOffset[l - 1] }

    /// The firing units of layer l (l >= 1).
    func firing(_ l: Int) -> UnsafeMutableBufferPointer<Int32> {
        UnsafeMutableBufferPointer(start: active + unitOffset[l], count: activeCount[l])
    }

    /// a_l = W_l h_{l-1} for every layer; h, hm, hp of the hidden layers and o, om, op.
    func forward(_ input: ArraySlice<Int32>, firing rule: NBPFiringRule) {
        input.withUnsafeBufferPointer { input in
            var pre = input
            for l in 1...layers {
                let n = units[l]
                let a = sums + unitOffset[l]
                a.update(repeating: 0, count: n)
                let rows = weightRows(l)
                for i in pre {
                    let row = rows + Int(i) &* n
                    for j in 0..<n { a[j] &+= Int32(row[j]) }
                }
                let bits = self.bits + unitOffset[l]
                let list = active + unitOffset[l]
                var count = 0
                for j in 0..<n {
                    let h: UInt8 = rule.fires(a[j], lift: rule.onLift) ? NBPDeepHandle.hBit : 0
                    let hm: UInt8 = rule.fires(a[j], lift: rule.minusLift) ? NBPDeepHandle.hmBit : 0
                    let hp: UInt8 = rule.fires(a[j], lift: rule.plusLift) ? NBPDeepHandle.hpBit : 0
                    bits[j] = h | hm | hp
                    list[count] = Int32(j)
                    count &+= h != 0 ? 1 : 0
                }
                activeCount[l] = count
                pre = UnsafeBufferPointer(firing(l))
            }
        }
    }

    /// o with the training margin: the target must exceed 512 + m, the others stay at or
    /// below 512 - m.
    func applyMargin(label: Int, margin: Int32, firing rule: NBPFiringRule) {
        let top = layers
        let z = sums + unitOffset[top]
        let bits = self.bits + unitOffset[top]
        for k in 0..<units[top] {
            let lift = k == label ? rule.onLift - margin : rule.onLift + margin
            let on = rule.fires(z[k], lift: lift)
            bits[k] = (bits[k] & ~NBPDeepHandle.hBit) | (on ? NBPDeepHandle.hBit : 0)
        }
    }

    func outcome(label: Int) -> NBPSampleOutcome {
        let top = layers
        let z = sums + unitOffset[top]
        let bits = self.bits + unitOffset[top]
        var exact = true
        var first = -1
        var best = 0
        var outputBits: UInt64 = 0
        for k in 0..<units[top] {
            let on = bits[k] & NBPDeepHandle.hBit != 0
            if on != (k == label) { exact = false }
            if on && first < 0 { first = k }
            if z[k] > z[best] { best = k }
            if on && k < 64 { outputBits |= 1 << UInt64(k) }
        }
        return NBPSampleOutcome(exact: exact, firstActive: max(first, 0), argmaxInput: best, outputBits: outputBits)
    }

    /// The output error d+ = t & !o & om, d- = o & !t & !op, then every block from the top
    /// down: block l carries the error of layer l + 1 into layer l and updates W_{l+1} on
    /// layer l's replayed units (all firing units unless `gates` vetoes some; W_1 on the
    /// replayed inputs).
    func backward(label: Int, active input: ArraySlice<Int32>, gates: NBPSampleGates, firing rule: NBPFiringRule) {
        let top = layers
        let width = units.max() ?? 0
        // Four lists: the + / - error of the layer above, the + / - error being built.
        var above = (plus: lists, minus: lists + width)
        var below = (plus: lists + 2 * width, minus: lists + 3 * width)
        let bits = self.bits + unitOffset[top]
        var counts = (plus: 0, minus: 0)
        for k in 0..<units[top] {
            let o = bits[k] & NBPDeepHandle.hBit != 0
            let t = k == label
            above.plus[counts.plus] = Int32(k)
            counts.plus &+= t && !o && bits[k] & NBPDeepHandle.hmBit != 0 ? 1 : 0
            above.minus[counts.minus] = Int32(k)
            counts.minus &+= o && !t && bits[k] & NBPDeepHandle.hpBit == 0 ? 1 : 0
        }
        if counts.plus == 0 && counts.minus == 0 { return }
        for l in stride(from: top - 1, through: 0, by: -1) {
            let plus = UnsafeBufferPointer(start: above.plus, count: counts.plus)
            let minus = UnsafeBufferPointer(start: above.minus, count: counts.minus)
            if l == 0 {
                input.withUnsafeBufferPointer { x in
                    NBPFastEngine.withReplayed(gates.potentiationReplay, or: x) { xPlus in
                        NBPFastEngine.withReplayed(gates.depressionReplay, or: x) { xMinus in
                            _ = update(1, pre: (xPlus, xMinus), plus: plus, minus: minus, rule: rule, errorsInto: nil)
                        }
                    }
                }
                return
            }
            counts = update(
                l + 1, pre: replayed(l, gates: gates), plus: plus, minus: minus, rule: rule, errorsInto: below)
            swap(&above, &below)
            if counts.plus == 0 && counts.minus == 0 { return }
        }
    }

    /// The units of hidden layer l replayed in the + and - halves: the firing units the
    /// replay gates keep (`lists` holds them past the four error lists).
    func replayed(_ l: Int, gates: NBPSampleGates)
        -> (plus: UnsafeBufferPointer<Int32>, minus: UnsafeBufferPointer<Int32>)
    {
        let all = UnsafeBufferPointer(firing(l))
        guard let keptPlus = gates.potentiationHidden, let keptMinus = gates.depressionHidden else { return (all, all) }
        let width = units.max() ?? 0
        let maskOffset = unitOffset[l] - units[0]
        func keep(_ kept: [UInt8], into list: UnsafeMutablePointer<Int32>) -> UnsafeBufferPointer<Int32> {
            var count = 0
            kept.withUnsafeBufferPointer { kept in
                for i in all {
                    list[count] = i
                    count &+= Int(kept[maskOffset &+ Int(i)])
                }
            }
            return UnsafeBufferPointer(start: list, count: count)
        }
        return (keep(keptPlus, into: lists + 4 * width), keep(keptMinus, into: lists + 5 * width))
    }

    /// Block l = `post` - 1: W_post (and M_post) learn +2 on (pre.plus, plus) then -2 on
    /// (pre.minus, minus); with `errorsInto`, the error carried into layer l before each half
    /// (e+ = W^T plus + M minus, read before the +2 update; e- = W^T minus + M plus,
    /// read after it) selects layer l's + / - error units: e > 0 and b = hm & !hp.
    @discardableResult
    func update(
        _ post: Int, pre: (plus: UnsafeBufferPointer<Int32>, minus: UnsafeBufferPointer<Int32>),
        plus: UnsafeBufferPointer<Int32>, minus: UnsafeBufferPointer<Int32>, rule: NBPFiringRule,
        errorsInto errorLists: (plus: UnsafeMutablePointer<Int32>, minus: UnsafeMutablePointer<Int32>)?
    ) -> (plus: Int, minus: Int) {
        var counts = (plus: 0, minus: 0)
        if let errorLists { counts.plus = select(post, plus, minus, rule: rule, into: errorLists.plus) }
        change(post, pre: pre.plus, weightsOn: plus, mOn: minus, delta: 2, withM: errorLists != nil)
        if let errorLists { counts.minus = select(post, minus, plus, rule: rule, into: errorLists.minus) }
        change(post, pre: pre.minus, weightsOn: minus, mOn: plus, delta: -2, withM: errorLists != nil)
        return counts
    }

    /// e[i] = sum_{j in first} W_post[j, i] + sum_{j in second} M_post[i, j] for every unit i
    /// of layer post - 1; returns the units with e > 0 (the backward population fires,
    /// lifted like hm) whose derivative gate b = hm & !hp is open.
    func select(
        _ post: Int, _ first: UnsafeBufferPointer<Int32>, _ second: UnsafeBufferPointer<Int32>, rule: NBPFiringRule,
        into list: UnsafeMutablePointer<Int32>
    ) -> Int {
        let n = units[post]
        let layer = post - 1
        let e = errors + unitOffset[layer]
        let bits = self.bits + unitOffset[layer]
        let (rows, mRows) = (weightRows(post), mRows(post))
        var count = 0
        for i in 0..<units[layer] {
            let row = rows + i &* n
            let mRow = mRows + i &* n
            var sum: Int32 = 0
            for j in first { sum &+= Int32(row[Int(j)]) }
            for j in second { sum &+= Int32(mRow[Int(j)]) }
            e[i] = sum
            let b = bits[i] & (NBPDeepHandle.hmBit | NBPDeepHandle.hpBit) == NBPDeepHandle.hmBit
            list[count] = Int32(i)
            count &+= b && rule.fires(sum, lift: rule.minusLift) ? 1 : 0
        }
        return count
    }

    /// W_post[j, i] += delta for i in `pre`, j in `weightsOn`; M_post[i, j] += delta for
    /// j in `mOn` (when the layer below has an M): clamped to [-256, 254].
    func change(
        _ post: Int, pre: UnsafeBufferPointer<Int32>, weightsOn: UnsafeBufferPointer<Int32>,
        mOn: UnsafeBufferPointer<Int32>, delta: Int16, withM: Bool
    ) {
        let n = units[post]
        let (low, high) = (NBPDeepHandle.low, NBPDeepHandle.high)
        let rows = weightRows(post)
        for i in pre {
            let row = rows + Int(i) &* n
            for j in weightsOn { row[Int(j)] = min(high, max(low, row[Int(j)] &+ delta)) }
        }
        guard withM else { return }
        let mRows = self.mRows(post)
        for i in pre {
            let row = mRows + Int(i) &* n
            for j in mOn { row[Int(j)] = min(high, max(low, row[Int(j)] &+ delta)) }
        }
    }
}
