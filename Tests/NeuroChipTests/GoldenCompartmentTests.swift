import Foundation
import Testing

@testable import NeuroChip

/// One case of the repository's copy of the chip's golden vectors,
/// `Fixtures/golden/compartment.json` (a verbatim copy; docs/neurochip.md, "Golden vectors").
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
    /// Set only on the stand-in case that reports a missing or unreadable fixture, so the
    /// parameterised tests fail instead of running zero cases.
    var loadError: String? = nil

    var testDescription: String { name }
    var parameters: CompartmentParameters {
        CompartmentParameters(du: du, dv: dv, bias: bias, vth: vth, refractory: refractory)
    }

    static func missing(_ reason: String) -> CompartmentCase {
        CompartmentCase(
            name: "missing fixture", du: 0, dv: 0, bias: 0, vth: 0, refractory: 1, input: [], expected: [],
            loadError: reason)
    }
}

/// One entry of the fixture's `weights` section: a mantissa and exponent and the current
/// one spike of that synapse delivers.
struct WeightCase: Decodable, CustomTestStringConvertible, Sendable {
    var mantissa: Int
    var exponent: Int
    var current: Int
    var loadError: String? = nil
    var testDescription: String { "w=\(mantissa) e=\(exponent)" }
}

enum GoldenFiles {
    struct File: Decodable {
        var cases: [CompartmentCase]
        var weights: [WeightCase]
    }

    /// The fixture, or why it could not be read.
    static let file: Result<File, GoldenFixtureError> = {
        guard let url = Bundle.module.url(forResource: "compartment", withExtension: "json", subdirectory: "Fixtures/golden")
        else { return .failure(GoldenFixtureError(reason: "Fixtures/golden/compartment.json is not in the test bundle")) }
        do {
            let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
            guard file.cases.count >= 7, !file.weights.isEmpty else {
                return .failure(GoldenFixtureError(reason: "\(url.path) has \(file.cases.count) cases and \(file.weights.count) weights"))
            }
            return .success(file)
        } catch {
            return .failure(GoldenFixtureError(reason: "\(url.path) is unreadable: \(error)"))
        }
    }()

    static func compartmentCases() -> [CompartmentCase] {
        switch file {
        case .success(let f): return f.cases
        case .failure(let e): return [.missing(e.reason)]
        }
    }

    static func weightCases() -> [WeightCase] {
        switch file {
        case .success(let f): return f.weights
        case .failure(let e): return [WeightCase(mantissa: 0, exponent: 0, current: 0, loadError: e.reason)]
        }
    }
}

struct GoldenFixtureError: Error, CustomStringConvertible {
    let reason: String
    var description: String { "golden fixture missing or empty: \(reason)" }
}

@Test func goldenCompartmentFileIsPresent() throws {
    let file = try GoldenFiles.file.get()
    #expect(file.cases.count >= 7)
    #expect(file.weights.count >= 10)
}

/// Every weight case of the fixture: the current one spike delivers, computed directly
/// and seen through the simulator's u probe (a du = 0 compartment that never fires).
@Test(arguments: GoldenFiles.weightCases())
func goldenWeightCurrent(_ w: WeightCase) throws {
    try #require(w.loadError == nil, "\(w.loadError ?? "")")
    #expect(Int(synapticCurrent(mantissa: w.mantissa, exponent: w.exponent)) == w.current)
    let net = NetworkDescription(
        populations: [PopulationSpec(name: "post", size: 1, du: 0, dv: 4096, vthMantissa: 131_071)],
        connections: [
            ConnectionSpec(
                name: "c", source: "pre", target: "post", pattern: .oneToOne, weight: w.mantissa,
                exponent: w.exponent,
                signMode: w.mantissa % 2 == 0 ? .mixed : (w.mantissa < 0 ? .inhibitory : .excitatory))
        ],
        generators: [SpikeGeneratorSpec(name: "pre", size: 1, spikeTimes: [[0]])],
        probes: [ProbeSpec(name: "u", kind: .u, target: "post")])
    let chip = try ChipSimulator(net)
    chip.run(steps: 3)
    #expect(chip.probeRecords[0].data[1] == [w.current], "current arrives in step 1")
}

@Test(arguments: GoldenFiles.compartmentCases())
func goldenCompartmentPureStep(_ c: CompartmentCase) throws {
    try #require(c.loadError == nil, "\(c.loadError ?? "")")
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
func goldenCompartmentVectorKernel(_ c: CompartmentCase) throws {
    try #require(c.loadError == nil, "\(c.loadError ?? "")")
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
    try #require(c.loadError == nil, "\(c.loadError ?? "")")
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
