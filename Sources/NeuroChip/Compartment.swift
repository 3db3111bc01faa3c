// One compartment's integer dynamics (docs/neurochip.md "One time step", steps 1–3) as a pure step
// function, plus the entry to the vector kernel the simulator runs over contiguous arrays
// (C, NeuroChipKernels.c, same arithmetic; tests compare the two).

import CNeuroChipKernels

/// Compartment parameters in current units (after mantissa/exponent scaling).
public struct CompartmentParameters: Sendable, Equatable {
    /// The widest voltage range of the chip, the default of `vmin`/`vmax`: ±(2^23 − 1).
    public static let voltageLimit = (1 << 23) - 1

    public var du: Int32
    public var dv: Int32
    public var bias: Int32
    public var vth: Int32
    public var refractory: Int32
    /// v saturates to [vmin, vmax] after every voltage update (vmin <= 0 <= vmax).
    public var vmin: Int32
    public var vmax: Int32

    public init(
        du: Int, dv: Int, bias: Int, vth: Int, refractory: Int,
        vmin: Int = -voltageLimit, vmax: Int = voltageLimit
    ) {
        self.du = Int32(du)
        self.dv = Int32(dv)
        self.bias = Int32(bias)
        self.vth = Int32(vth)
        self.refractory = Int32(refractory)
        self.vmin = Int32(vmin)
        self.vmax = Int32(vmax)
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

/// Two's complement wrap to 24 bits (docs/neurochip.md "Units").
@inlinable @inline(__always)
func wrap24(_ x: Int32) -> Int32 { (x << 8) >> 8 }

/// Pure step of one compartment: returns the new state, whether it spiked, and whether u
/// wrapped (0 or 1). u wraps at 24 bits; v saturates to [vmin, vmax] instead (the chip
/// clamps it, so a very negative v stays very negative and never spikes).
@inlinable
public func compartmentStep(
    _ state: CompartmentState, input: Int32, parameters p: CompartmentParameters
) -> (state: CompartmentState, spike: Bool, wraps: Int) {
    let rawU = chipDecay(state.u, 4096 - p.du) &+ input
    let u = wrap24(rawU)
    let wraps = u != rawU ? 1 : 0
    if state.refractoryLeft > 0 {
        return (CompartmentState(u: u, v: 0, refractoryLeft: state.refractoryLeft - 1), false, wraps)
    }
    // |decay(v)|, |u| < 2^23 and |bias| < 2^23: the sum fits 32 bits before the clamp.
    let v = min(max(chipDecay(state.v, 4096 - p.dv) &+ u &+ p.bias, p.vmin), p.vmax)
    if v > p.vth {
        return (CompartmentState(u: u, v: 0, refractoryLeft: p.refractory - 1), true, wraps)
    }
    return (CompartmentState(u: u, v: v, refractoryLeft: 0), false, wraps)
}

/// Counts the compartment kernel reports for one segment.
struct SegmentTally {
    var active: Int = 0
    var fired: Int = 0
    var wraps: Int = 0
    /// False only when the kernel checked for change and every compartment had zero input
    /// and kept u, v and its refractory count (the segment is at a fixed point).
    var changed = true
}

/// Updates compartments `range` of the flat state arrays with the inputs of `slot`
/// (zeroing them for reuse), writing 1/0 into `spikes`. The kernel is C
/// (nc_update_compartments, NeuroChipKernels.h): the same branch-free integer steps as
/// `compartmentStep`, with an AVX2 variant picked at run time; `detectChange` also
/// reports whether any input or state was non-zero / changed. Tests check the kernel
/// against `compartmentStep`, and the golden tests run through it.
@inline(__always)
func updateCompartments(
    range: Range<Int>, parameters p: CompartmentParameters,
    u: UnsafeMutablePointer<Int32>, v: UnsafeMutablePointer<Int32>,
    refractoryLeft: UnsafeMutablePointer<Int32>, input: UnsafeMutablePointer<Int32>,
    spikes: UnsafeMutablePointer<UInt8>, detectChange: Bool = false, variant: NCKernelVariant = NCKernelAuto
) -> SegmentTally {
    let t = nc_update_compartments(
        Int64(range.lowerBound), Int64(range.upperBound), p.du, p.dv, p.bias, p.vth, p.refractory, p.vmin, p.vmax,
        u, v, refractoryLeft, input, spikes, detectChange ? 1 : 0, variant)
    return SegmentTally(
        active: Int(t.active), fired: Int(t.fired), wraps: Int(t.wraps), changed: !detectChange || t.changed != 0)
}
