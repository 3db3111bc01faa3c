import CNeuroChipKernels
import Testing

@testable import NeuroChip

/// The C delivery kernels (NeuroChipKernels.h) against a row-by-row reference in Swift:
/// the portable and the AVX2 variant must give the same integers as adding every row's
/// currents one at a time with wrapping 32-bit adds (docs/neurochip.md "One time step", step 4).
struct DeliveryKernelTests {
    /// Row-by-row reference: target[j] += row[j] << shift (or -=), wrapping.
    static func reference(
        target: [Int32], rows: [Int8], stride: Int, spikes: [Int32], base: Int32, n: Int, shift: Int32,
        kind: NCRowKind
    ) -> [Int32] {
        var out = target
        for s in spikes {
            let row = Int(s - base) * stride
            for j in 0..<n {
                let value = kind == NCRowsSigned ? Int32(rows[row + j]) : Int32(UInt8(bitPattern: rows[row + j]))
                if kind == NCRowsUnsignedSubtract {
                    out[j] &-= value &<< shift
                } else {
                    out[j] &+= value &<< shift
                }
            }
        }
        return out
    }

    static func run(
        target: [Int32], rows: [Int8], stride: Int, spikes: [Int32], base: Int32, n: Int, shift: Int32,
        kind: NCRowKind, variant: NCKernelVariant
    ) -> [Int32] {
        var out = target
        out.withUnsafeMutableBufferPointer { t in
            rows.withUnsafeBufferPointer { r in
                spikes.withUnsafeBufferPointer { s in
                    nc_dense_rows_add(
                        t.baseAddress!, r.baseAddress!, Int64(stride), s.baseAddress, Int64(s.count), base, Int64(n),
                        shift, kind, variant)
                }
            }
        }
        return out
    }

    /// Sizes around the tile (1,024 columns) and batch (256 rows) edges, odd widths, repeated
    /// rows (the same source twice in a batch cannot happen on the chip, but the sums must
    /// still be exact), extreme weights and large shifts that wrap 32 bits.
    @Test(arguments: [
        (n: 1, rows: 1, shift: 0), (n: 7, rows: 3, shift: 14), (n: 33, rows: 9, shift: 7),
        (n: 1024, rows: 51, shift: 8), (n: 1025, rows: 257, shift: 13), (n: 2500, rows: 600, shift: 3),
        (n: 400, rows: 300, shift: 25),
    ])
    func denseVariantsMatchRowByRowReference(n: Int, rows rowCount: Int, shift: Int32) {
        var random = ChipRandom(seed: UInt64(n * 1000 + rowCount))
        let sources = max(rowCount / 2, 4)
        let stride = n + 5
        // Extremes first so every case includes -128/127 and 0/255 sums.
        var rows = (0..<(sources * stride)).map { _ in Int8(truncatingIfNeeded: random.below(256)) }
        for j in 0..<n {
            rows[j] = -128
            rows[stride + j] = 127
        }
        let base: Int32 = 17
        let spikes = (0..<rowCount).map { k in base + Int32(k < 4 ? k % 2 : Int(random.below(UInt64(sources)))) }
        let target = (0..<n).map { _ in Int32(truncatingIfNeeded: random.next()) }
        for kind in [NCRowsSigned, NCRowsUnsignedAdd, NCRowsUnsignedSubtract] {
            let expected = Self.reference(
                target: target, rows: rows, stride: stride, spikes: spikes, base: base, n: n, shift: shift, kind: kind)
            for variant in [NCKernelPortable, NCKernelAVX2, NCKernelAuto] {
                let got = Self.run(
                    target: target, rows: rows, stride: stride, spikes: spikes, base: base, n: n, shift: shift,
                    kind: kind, variant: variant)
                #expect(got == expected, "kind \(kind.rawValue), variant \(variant.rawValue)")
            }
        }
    }

    @Test func denseStrideZeroSharesOneRow() {
        let rows: [Int8] = [3, -4, 127, -128]
        let spikes: [Int32] = [0, 1, 2]
        let target: [Int32] = [1, 2, 3, 4]
        for variant in [NCKernelPortable, NCKernelAVX2] {
            let got = Self.run(
                target: target, rows: rows, stride: 0, spikes: spikes, base: 0, n: 4, shift: 2, kind: NCRowsSigned,
                variant: variant)
            let expected: [Int32] = [37, -46, 1527, -1532]  // target + 3 * row << 2
            #expect(got == expected)
        }
    }

    @Test func variantResolutionFollowsTheCPU() {
        #expect(nc_resolve_variant(NCKernelPortable) == NCKernelPortable)
        let avx2 = nc_cpu_supports_avx2() == 1
        #expect(nc_resolve_variant(NCKernelAVX2) == (avx2 ? NCKernelAVX2 : NCKernelPortable))
        #expect(nc_resolve_variant(NCKernelAuto) != NCKernelAuto)
    }

    @Test func sparseKernelMatchesPerSynapseReference() {
        var random = ChipRandom(seed: 99)
        let sources = 50
        let n = 65536
        var rowStart: [Int32] = [0]
        var posts: [UInt16] = []
        var weights: [Int8] = []
        for _ in 0..<sources {
            for _ in 0..<Int(random.below(40)) {
                posts.append(UInt16(random.below(UInt64(n))))
                weights.append(Int8(truncatingIfNeeded: random.below(256)))
            }
            rowStart.append(Int32(posts.count))
        }
        weights[0] = -128
        weights[1] = 127
        // 3 bytes per synapse: post (little-endian), weight.
        let rows = posts.indices.flatMap { k in
            [UInt8(posts[k] & 0xFF), UInt8(posts[k] >> 8), UInt8(bitPattern: weights[k])]
        }
        let base: Int32 = 1000
        let spikes = (0..<30).map { _ in base + Int32(random.below(UInt64(sources))) }
        for kind in [NCRowsSigned, NCRowsUnsignedAdd, NCRowsUnsignedSubtract] {
            for shift: Int32 in [0, 7, 14, 30] {
                var expected = [Int32](repeating: 5, count: n)
                var touched = 0
                for s in spikes {
                    let i = Int(s - base)
                    for k in Int(rowStart[i])..<Int(rowStart[i + 1]) {
                        let w = kind == NCRowsSigned ? Int32(weights[k]) : Int32(UInt8(bitPattern: weights[k]))
                        if kind == NCRowsUnsignedSubtract {
                            expected[Int(posts[k])] &-= w &<< shift
                        } else {
                            expected[Int(posts[k])] &+= w &<< shift
                        }
                        touched += 1
                    }
                }
                var got = [Int32](repeating: 5, count: n)
                let synapses = got.withUnsafeMutableBufferPointer { t in
                    nc_sparse_rows_add(
                        t.baseAddress!, rows, rowStart, spikes, Int64(spikes.count), base, shift, kind)
                }
                #expect(got == expected, "kind \(kind.rawValue), shift \(shift)")
                #expect(Int(synapses) == touched)
            }
        }
    }
}

/// The compartment kernel (C, both variants) against the pure step function that the
/// golden tests check, on random 24-bit states, inputs near the wrap, every decay kind.
struct CompartmentKernelTests {
    @Test(arguments: [(0, 0), (4096, 4096), (410, 0), (0, 205), (4096, 1), (1, 4095), (2048, 4096), (123, 3000)])
    func kernelMatchesCompartmentStep(du: Int, dv: Int) {
        var random = ChipRandom(seed: UInt64(du * 5000 + dv))
        let n = 777
        func value24() -> Int32 { Int32(Int(random.below(1 << 24)) - (1 << 23)) }
        for round in 0..<4 {
            // Odd rounds narrow the voltage range, so the clamp on both sides is exercised.
            let limit = CompartmentParameters.voltageLimit
            let parameters = CompartmentParameters(
                du: du, dv: dv, bias: Int(random.below(1 << 20)) - (1 << 19), vth: Int(random.below(1 << 23)),
                refractory: 1 + Int(random.below(4)),
                vmin: round % 2 == 0 ? -limit : -Int(random.below(1 << 22)),
                vmax: round % 2 == 0 ? limit : Int(random.below(1 << 22)))
            var states = (0..<n).map { k in
                CompartmentState(
                    u: k < 3 ? [Int32(-1 << 23), Int32((1 << 23) - 1), 0][k] : value24(),
                    v: k % 5 == 0 ? 0 : value24(), refractoryLeft: Int32(random.below(4)))
            }
            let inputs = (0..<n).map { k in k % 3 == 0 ? 0 : value24() }
            var expected: [(CompartmentState, Bool)] = []
            var active = 0
            var wraps = 0
            for i in 0..<n {
                let r = compartmentStep(states[i], input: inputs[i], parameters: parameters)
                expected.append((r.state, r.spike))
                wraps += r.wraps
                let s = states[i]
                if inputs[i] != 0 || s.u != 0 || s.v != 0 || r.spike { active += 1 }
            }
            for variant in [NCKernelPortable, NCKernelAVX2] {
                var u = states.map(\.u)
                var v = states.map(\.v)
                var left = states.map(\.refractoryLeft)
                var input = inputs
                var spikes = [UInt8](repeating: 7, count: n)
                let tally = updateCompartments(
                    range: 0..<n, parameters: parameters, u: &u, v: &v, refractoryLeft: &left, input: &input,
                    spikes: &spikes, detectChange: true, variant: variant)
                for i in 0..<n {
                    #expect(
                        CompartmentState(u: u[i], v: v[i], refractoryLeft: left[i]) == expected[i].0
                            && (spikes[i] == 1) == expected[i].1,
                        "round \(round), variant \(variant.rawValue), compartment \(i)")
                }
                #expect(input.allSatisfy { $0 == 0 })
                #expect(tally.active == active && tally.wraps == wraps)
                #expect(tally.fired == expected.filter(\.1).count)
                #expect(tally.changed)
            }
            states = []
        }
    }

    @Test func restingCompartmentsReportNoChange() {
        // Memoryless, silent: u = 0, v = bias every step (the nBP neurons between phases).
        let parameters = CompartmentParameters(du: 4096, dv: 4096, bias: -8192 * 64, vth: 1024 * 64, refractory: 2)
        var u = [Int32](repeating: 0, count: 40)
        var v = [Int32](repeating: 0, count: 40)
        var left = [Int32](repeating: 0, count: 40)
        var input = [Int32](repeating: 0, count: 40)
        var spikes = [UInt8](repeating: 0, count: 40)
        let first = updateCompartments(
            range: 0..<40, parameters: parameters, u: &u, v: &v, refractoryLeft: &left, input: &input,
            spikes: &spikes, detectChange: true)
        #expect(first.changed)  // v moved from 0 to the bias
        let second = updateCompartments(
            range: 0..<40, parameters: parameters, u: &u, v: &v, refractoryLeft: &left, input: &input,
            spikes: &spikes, detectChange: true)
        #expect(!second.changed && second.active == 40 && second.fired == 0)
        input[7] = 1
        let third = updateCompartments(
            range: 0..<40, parameters: parameters, u: &u, v: &v, refractoryLeft: &left, input: &input,
            spikes: &spikes, detectChange: true)
        #expect(third.changed)
    }
}
