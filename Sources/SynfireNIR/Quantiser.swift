// Real numbers to chip integers (docs/nir.md, Quantisation): decays from dt / tau, the
// weight mantissa and exponent that minimise the squared current error of a connection,
// and a bias as mantissa * 2^exponent. Pure functions.

import NeuroChip

enum Quantiser {
    /// Decay in [0, 4096] for a per-step fraction `fraction` (= dt / tau).
    static func decay(_ fraction: Double) -> Int { min(max(Int((fraction * 4096).rounded()), 0), 4096) }

    /// The current a mantissa and exponent deliver (docs/neurochip.md: the two-part shift for e < 0).
    static func current(mantissa m: Int, exponent e: Int) -> Int {
        e >= 0 ? m << (6 + e) : (m >> -e) << 6
    }

    /// The mantissa of `mode` and exponent `e` whose current is closest to `target`.
    static func mantissa(for target: Double, exponent e: Int, mode: SignMode) -> Int {
        let range = mode.weightRange
        var m: Int
        if e >= 0 {
            let unit = Double(64 << e) * Double(mode.weightStep)
            m = Int((target / unit).rounded()) * mode.weightStep
        } else {
            // floor(m / 2^-e) * 64: mantissas q * 2^-e deliver exactly q * 64.
            m = Int((target / 64).rounded()) << -e
        }
        m = min(max(m, range.lowerBound), range.upperBound)
        if mode == .mixed && m % 2 != 0 { m -= 1 }
        return m
    }

    /// Sign mode, exponent and mantissas for the currents `targets` of one connection:
    /// the exponent with the least summed squared error (ties: the smaller exponent).
    /// Only exponents from two below the smallest one that holds the largest current up to
    /// one above it can win (a smaller one clips the largest currents, a larger one only
    /// coarsens the grid), and every negative one while that smallest one is <= 0.
    static func weights(_ targets: [Double]) -> (mode: SignMode, exponent: Int, mantissas: [Int]) {
        let mode: SignMode =
            targets.allSatisfy { $0 >= 0 } ? .excitatory : (targets.allSatisfy { $0 <= 0 } ? .inhibitory : .mixed)
        let largest = targets.map(abs).max() ?? 0
        let fit = ChipLimits.exponentRange.first { Double(current(mantissa: 254, exponent: $0)) >= largest } ?? 7
        let candidates = fit <= 0 ? -8...min(fit + 1, 7) : max(fit - 2, -8)...min(fit + 1, 7)
        var best = (error: Double.infinity, exponent: 0, mantissas: [Int]())
        for e in candidates {
            var error = 0.0
            var mantissas = [Int](repeating: 0, count: targets.count)
            for (k, t) in targets.enumerated() {
                let m = mantissa(for: t, exponent: e, mode: mode)
                mantissas[k] = m
                let d = Double(current(mantissa: m, exponent: e)) - t
                error += d * d
            }
            if error < best.error { best = (error, e, mantissas) }
        }
        return (mode, best.exponent, best.mantissas)
    }

    /// Bias mantissa and exponent closest to `value` (13-bit signed mantissa, exponent 0...23).
    static func bias(_ value: Double) -> (mantissa: Int, exponent: Int) {
        var e = 0
        while e < 23 && abs(value / Double(1 << e)) > 4095.5 { e += 1 }
        let m = min(max(Int((value / Double(1 << e)).rounded()), -4096), 4095)
        return (m, e)
    }
}

/// Relative errors of one quantised quantity: largest and mean (docs/nir.md defines the
/// scale each is relative to).
public struct ErrorSummary: Codable, Sendable, Equatable {
    public var max: Double
    public var mean: Double
    public var count: Int

    public init(max: Double = 0, mean: Double = 0, count: Int = 0) {
        self.max = max
        self.mean = mean
        self.count = count
    }

    mutating func add(_ errors: [Double]) {
        guard !errors.isEmpty else { return }
        let total = mean * Double(count) + errors.reduce(0, +)
        count += errors.count
        mean = total / Double(count)
        max = Swift.max(max, errors.max()!)
    }

    mutating func add(_ other: ErrorSummary) {
        guard other.count > 0 else { return }
        let total = mean * Double(count) + other.mean * Double(other.count)
        count += other.count
        mean = total / Double(count)
        max = Swift.max(max, other.max)
    }
}
