import Foundation
import Testing

@testable import NeuroChip

/// One case of golden/compartment.json (loihi-model.md §6).
struct CompartmentCase: Decodable, CustomTestStringConvertible, Sendable {
    struct Expected: Decodable, Sendable {
        var u: Int
        var v: Int
        var spike: Int
    }
    var name: String
    var du: Int
    var dv: Int
    var bias: Int
    var vth: Int
    var refractory: Int
    var input: [Int]
    var expected: [Expected]

    var testDescription: String { name }
    var parameters: CompartmentParameters {
        CompartmentParameters(du: du, dv: dv, bias: bias, vth: vth, refractory: refractory)
    }
}

enum GoldenFiles {
    static var specDirectory: URL {
        // Tests/NeuroChipTests/<file> -> package root -> ../shared/spec
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("../shared/spec/golden").standardized
    }

    static func compartmentCases() -> [CompartmentCase] {
        let url = specDirectory.appendingPathComponent("compartment.json")
        struct File: Decodable { var cases: [CompartmentCase] }
        guard let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(File.self, from: data) else {
            return []
        }
        return file.cases
    }
}

@Test func goldenCompartmentFileIsPresent() throws {
    let cases = GoldenFiles.compartmentCases()
    #expect(
        !cases.isEmpty,
        "golden/compartment.json missing or unreadable at \(GoldenFiles.specDirectory.path); check out ../shared/spec next to the package"
    )
    #expect(cases.count >= 6)
}

@Test(arguments: GoldenFiles.compartmentCases())
func goldenCompartmentPureStep(_ c: CompartmentCase) {
    var state = CompartmentState()
    for (s, input) in c.input.enumerated() {
        let result = compartmentStep(state, input: Int32(input), parameters: c.parameters)
        state = result.state
        #expect(Int(state.u) == c.expected[s].u, "\(c.name) step \(s) u")
        #expect(Int(state.v) == c.expected[s].v, "\(c.name) step \(s) v")
        #expect((result.spike ? 1 : 0) == c.expected[s].spike, "\(c.name) step \(s) spike")
    }
}

/// The vector kernel the simulator runs, on 3 copies of the compartment at once.
@Test(arguments: GoldenFiles.compartmentCases())
func goldenCompartmentVectorKernel(_ c: CompartmentCase) {
    let n = 3
    var u = [Int32](repeating: 0, count: n)
    var v = [Int32](repeating: 0, count: n)
    var r = [Int32](repeating: 0, count: n)
    var a = [Int32](repeating: 0, count: n)
    var spikes = [UInt8](repeating: 0, count: n)
    for (s, input) in c.input.enumerated() {
        for i in 0..<n { a[i] = Int32(input) }
        _ = updateCompartments(
            range: 0..<n, parameters: c.parameters, u: &u, v: &v, refractoryLeft: &r,
            input: &a, spikes: &spikes)
        for i in 0..<n {
            #expect(
                Int(u[i]) == c.expected[s].u && Int(v[i]) == c.expected[s].v
                    && Int(spikes[i]) == c.expected[s].spike, "\(c.name) step \(s) copy \(i)")
            #expect(a[i] == 0, "input slot is cleared for reuse")
        }
    }
}

/// Splits a golden bias into the description's mantissa/exponent form.
func biasParts(_ bias: Int) -> (mantissa: Int, exponent: Int)? {
    var m = bias
    var e = 0
    while !ChipLimits.biasMantissaRange.contains(m) {
        guard m % 2 == 0 else { return nil }
        m /= 2
        e += 1
    }
    return (m, e)
}

/// The whole simulator on a one-compartment network, for the cases whose threshold is a
/// multiple of 2^6 (vth = vthMantissa * 64); inputs go straight into A[s].
@Test(arguments: GoldenFiles.compartmentCases().filter { $0.vth % 64 == 0 })
func goldenCompartmentSimulator(_ c: CompartmentCase) throws {
    let bias = try #require(biasParts(c.bias))
    let net = NetworkDescription(
        populations: [
            PopulationSpec(
                name: "c", size: 1, du: c.du, dv: c.dv, biasMantissa: bias.mantissa,
                biasExponent: bias.exponent, vthMantissa: c.vth / 64,
                refractory: c.refractory)
        ],
        probes: [
            ProbeSpec(name: "s", kind: .spikes, target: "c"), ProbeSpec(name: "u", kind: .u, target: "c"),
            ProbeSpec(name: "v", kind: .v, target: "c"),
        ])
    let chip = try ChipSimulator(net)
    for input in c.input {
        chip.addInput(current: Int32(input), compartment: 0)
        chip.step()
    }
    let records = chip.probeRecords
    for s in c.input.indices {
        #expect(records[1].data[s] == [c.expected[s].u], "\(c.name) step \(s) u")
        #expect(records[2].data[s] == [c.expected[s].v], "\(c.name) step \(s) v")
        #expect(records[0].data[s] == (c.expected[s].spike == 1 ? [0] : []), "\(c.name) step \(s) spike")
    }
    if c.name.contains("wrap") { #expect(chip.wrapCount > 0, "wraps are counted") }
}
