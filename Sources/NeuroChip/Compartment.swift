// One compartment's integer dynamics (loihi-model.md §2, steps 1–3) as a pure step
// function, plus the vector kernel the simulator runs over contiguous arrays. Both use
// the same inlined arithmetic, so the golden tests of the pure function cover the kernel.

/// Compartment parameters in current units (after mantissa/exponent scaling).
public struct CompartmentParameters: Sendable, Equatable {
    public var du: Int32
    public var dv: Int32
    public var bias: Int32
    public var vth: Int32
    public var refractory: Int32

    public init(du: Int, dv: Int, bias: Int, vth: Int, refractory: Int) {
        self.du = Int32(du)
        self.dv = Int32(dv)
        self.bias = Int32(bias)
        self.vth = Int32(vth)
        self.refractory = Int32(refractory)
    }
}

/// State of one compartment: 24-bit current and voltage, and the number of steps it
/// still stays silent.
public struct CompartmentState: Sendable, Equatable {
    public var u: Int32 = 0
    public var v: Int32 = 0
    public var refractoryLeft: Int32 = 0
    public init(u: Int32 = 0, v: Int32 = 0, refractoryLeft: Int32 = 0) {
        self.u = u
        self.v = v
        self.refractoryLeft = refractoryLeft
    }
}

/// `decay(x, d) = sign(x) * ((|x| * (4096 - d)) >> 12)` for |x| <= 2^23, computed in 32
/// bits: |x| = hi*4096 + lo gives (|x|*k) >> 12 = hi*k + (lo*k) >> 12 exactly.
@inlinable @inline(__always)
func chipDecay(_ x: Int32, _ keep: Int32) -> Int32 {
    let magnitude = x < 0 ? 0 &- x : x
    let result = (magnitude >> 12) &* keep &+ (((magnitude & 4095) &* keep) >> 12)
    return x < 0 ? 0 &- result : result
}

/// Two's complement wrap to 24 bits (loihi-model.md §1).
@inlinable @inline(__always)
func wrap24(_ x: Int32) -> Int32 { (x << 8) >> 8 }

/// Pure step of one compartment: returns the new state, whether it spiked, and how many
/// of u and v wrapped (0, 1 or 2).
@inlinable
public func compartmentStep(
    _ state: CompartmentState, input: Int32, parameters p: CompartmentParameters
) -> (state: CompartmentState, spike: Bool, wraps: Int) {
    let rawU = chipDecay(state.u, 4096 - p.du) &+ input
    let u = wrap24(rawU)
    var wraps = u != rawU ? 1 : 0
    if state.refractoryLeft > 0 {
        return (CompartmentState(u: u, v: 0, refractoryLeft: state.refractoryLeft - 1), false, wraps)
    }
    let rawV = chipDecay(state.v, 4096 - p.dv) &+ u &+ p.bias
    let v = wrap24(rawV)
    if v != rawV { wraps += 1 }
    if v > p.vth {
        return (CompartmentState(u: u, v: 0, refractoryLeft: p.refractory - 1), true, wraps)
    }
    return (CompartmentState(u: u, v: v, refractoryLeft: 0), false, wraps)
}

/// Counts the compartment kernel reports for one segment.
@usableFromInline
struct SegmentTally {
    @usableFromInline var active: Int = 0
    @usableFromInline var fired: Int = 0
    @usableFromInline var wraps: Int = 0
    @usableFromInline init() {}
}

/// Sign-magnitude decay without branches (same result as `chipDecay`): s = x >> 31 is
/// 0 or -1, and (m ^ s) - s negates m when s is -1.
@inlinable @inline(__always)
func chipDecayBranchFree(_ x: Int32, _ keep: Int32) -> Int32 {
    let s = x >> 31
    let magnitude = (x ^ s) &- s
    let result = (magnitude >> 12) &* keep &+ (((magnitude & 4095) &* keep) >> 12)
    return (result ^ s) &- s
}

/// -1 when x != 0, else 0.
@inlinable @inline(__always)
func nonZeroMask(_ x: Int32) -> Int32 { (x | (0 &- x)) >> 31 }

/// Decay specialisations: d = 4096 forgets everything, d = 0 keeps everything; both are
/// common (nBP's neurons are memoryless) and need no multiply.
@usableFromInline protocol DecayKind { static func decay(_ x: Int32, _ keep: Int32) -> Int32 }
@usableFromInline enum FullDecay: DecayKind {
    @inlinable @inline(__always) static func decay(_ x: Int32, _ keep: Int32) -> Int32 { 0 }
}
@usableFromInline enum NoDecay: DecayKind {
    @inlinable @inline(__always) static func decay(_ x: Int32, _ keep: Int32) -> Int32 { x }
}
@usableFromInline enum PartialDecay: DecayKind {
    @inlinable @inline(__always) static func decay(_ x: Int32, _ keep: Int32) -> Int32 {
        chipDecayBranchFree(x, keep)
    }
}

/// Updates compartments `range` of the flat state arrays with the inputs of `slot`
/// (zeroing them for reuse), writing 1/0 into `spikes`; dispatches on the decay kinds.
@inlinable
func updateCompartments(
    range: Range<Int>, parameters p: CompartmentParameters,
    u: UnsafeMutablePointer<Int32>, v: UnsafeMutablePointer<Int32>,
    refractoryLeft: UnsafeMutablePointer<Int32>, input: UnsafeMutablePointer<Int32>,
    spikes: UnsafeMutablePointer<UInt8>
) -> SegmentTally {
    // 0 = full decay, 1 = none, 2 = partial.
    let ku = p.du == 4096 ? 0 : (p.du == 0 ? 1 : 2)
    let kv = p.dv == 4096 ? 0 : (p.dv == 0 ? 1 : 2)
    switch (ku, kv) {
    case (0, 0):
        return updateCompartments(FullDecay.self, FullDecay.self, range, p, u, v, refractoryLeft, input, spikes)
    case (0, 1): return updateCompartments(FullDecay.self, NoDecay.self, range, p, u, v, refractoryLeft, input, spikes)
    case (0, _):
        return updateCompartments(FullDecay.self, PartialDecay.self, range, p, u, v, refractoryLeft, input, spikes)
    case (1, 0): return updateCompartments(NoDecay.self, FullDecay.self, range, p, u, v, refractoryLeft, input, spikes)
    case (1, 1): return updateCompartments(NoDecay.self, NoDecay.self, range, p, u, v, refractoryLeft, input, spikes)
    case (1, _):
        return updateCompartments(NoDecay.self, PartialDecay.self, range, p, u, v, refractoryLeft, input, spikes)
    case (_, 0):
        return updateCompartments(PartialDecay.self, FullDecay.self, range, p, u, v, refractoryLeft, input, spikes)
    case (_, 1):
        return updateCompartments(PartialDecay.self, NoDecay.self, range, p, u, v, refractoryLeft, input, spikes)
    default:
        return updateCompartments(PartialDecay.self, PartialDecay.self, range, p, u, v, refractoryLeft, input, spikes)
    }
}

/// The kernel proper. Written with bit masks instead of branches so the compiler
/// vectorises it; `compartmentStep` is the readable form and the golden tests check both.
@inlinable
func updateCompartments<DU: DecayKind, DV: DecayKind>(
    _: DU.Type, _: DV.Type,
    _ range: Range<Int>, _ p: CompartmentParameters,
    _ u: UnsafeMutablePointer<Int32>, _ v: UnsafeMutablePointer<Int32>,
    _ refractoryLeft: UnsafeMutablePointer<Int32>, _ input: UnsafeMutablePointer<Int32>,
    _ spikes: UnsafeMutablePointer<UInt8>
) -> SegmentTally {
    let keepU = 4096 - p.du
    let keepV = 4096 - p.dv
    let bias = p.bias
    let vth = p.vth
    let refractoryAfterSpike = p.refractory &- 1
    var active: Int32 = 0
    var fired: Int32 = 0
    var wraps: Int32 = 0
    for i in range {
        let a = input[i]
        input[i] = 0
        let u0 = u[i]
        let v0 = v[i]
        let left = refractoryLeft[i]
        let rawU = DU.decay(u0, keepU) &+ a
        let un = wrap24(rawU)
        let rawV = DV.decay(v0, keepV) &+ un &+ bias
        let vn = wrap24(rawV)
        let refractory = (0 &- left) >> 31  // -1 while refractory (left > 0)
        let above = (vth &- vn) >> 31  // -1 when vn > vth (both 24-bit)
        let fire = above & ~refractory
        u[i] = un
        v[i] = vn & ~(refractory | fire)
        refractoryLeft[i] = (refractory & (left &- 1)) | (fire & refractoryAfterSpike)
        spikes[i] = UInt8(truncatingIfNeeded: fire & 1)
        active &+= (nonZeroMask(a | u0 | v0) | fire) & 1
        fired &+= fire & 1
        wraps &+= (nonZeroMask(un ^ rawU) & 1) &+ (nonZeroMask(vn ^ rawV) & ~refractory & 1)
    }
    var tally = SegmentTally()
    tally.active = Int(active)
    tally.fired = Int(fired)
    tally.wraps = Int(wraps)
    return tally
}
