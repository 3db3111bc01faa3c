import Foundation
import Testing

@testable import NeuroChip

/// Description files as `synfire chip run` reads them (docs/robustness.md): unknown keys
/// and absurd sizes are refused with the file's name, and a run's memory is bounded
/// before it starts.
@Suite("Network description files are read strictly and bounded")
struct DescriptionReaderTests {
    func problems(_ json: String, file: String = "net.json") -> String {
        do {
            _ = try NetworkDescriptionReader.decode(Data(json.utf8), file: file)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test(
        arguments: [
            (#"{"populations":[{"name":"a","size":1,"vthMantisa":5}]}"#, "populations[0]: unknown key 'vthMantisa'"),
            (#"{"populations":[{"name":"a","size":1,"vthMantissa":5}],"probe":[]}"#, "top level: unknown key 'probe'"),
            (
                #"{"populations":[{"name":"a","size":2,"vthMantissa":5}],"connections":[{"name":"c","source":"a","target":"a","pattern":"all-to-all","weight":2,"learning":{"rule":"dw = x0","x1":{"impulse":1,"taus":2}}}]}"#,
                "connections[0].learning.x1: unknown key 'taus'"
            ),
            (
                #"{"populations":[{"name":"a","size":1,"vthMantissa":5}],"mapping":{"placement":{"a":[{"core":1,"count":1,"x":0}]}}}"#,
                "mapping.placement['a'][0]: unknown key 'x'"
            ),
        ])
    func unknownKeysAreRefusedNamingKeyAndFile(json: String, fragment: String) {
        let text = problems(json, file: "nets/typo.json")
        #expect(text.hasPrefix("nets/typo.json: invalid network description"), "\(text)")
        #expect(text.contains(fragment), "\(text)")
        #expect(text.contains("docs/neurochip.md"))
    }

    @Test func decodingErrorsSayWhere() {
        #expect(
            problems(#"{"populations":[{"name":"a","size":1e308,"vthMantissa":5}]}"#).contains("populations[0].size"))
        #expect(problems(#"{"populations":[{"name":"a","vthMantissa":5}]}"#).contains("missing required key 'size'"))
        #expect(problems("[1, 2]").contains("the top level must be a JSON object"))
        #expect(problems("{").contains("not valid JSON"))
    }

    /// A 2^62-compartment population, a population bigger than the chip, generators and
    /// connections beyond their limits: validation problems, never an allocation.
    @Test func absurdSizesAreProblemsNotAllocations() {
        let huge = problems(
            #"{"populations":[{"name":"a","size":4611686018427387904,"vthMantissa":1},{"name":"b","size":9223372036854775807,"vthMantissa":1}],"connections":[{"name":"c","source":"a","target":"b","pattern":"all-to-all","weight":2}]}"#
        )
        #expect(huge.contains("populations[0] 'a': size 4611686018427387904; use 1...131072"), "\(huge)")
        #expect(huge.contains("compartments in all, more than the chip's 131072"), "\(huge)")
        let generator = problems(
            #"{"populations":[{"name":"a","size":1,"vthMantissa":1}],"generators":[{"name":"g","size":99999999}]}"#)
        #expect(generator.contains("generators[0] 'g': size 99999999; use 1...1048576"), "\(generator)")
        let synapses = problems(
            #"{"populations":[{"name":"a","size":65536,"vthMantissa":1},{"name":"b","size":65536,"vthMantissa":1}],"connections":[{"name":"c","source":"a","target":"b","pattern":"all-to-all","weight":2}]}"#
        )
        #expect(synapses.contains("4294967296 synapses in all, more than the simulator's limit"), "\(synapses)")
        let placement = problems(
            #"{"populations":[{"name":"a","size":2,"vthMantissa":1}],"mapping":{"placement":{"a":[{"core":1,"count":9223372036854775807},{"core":2,"count":2}]}}}"#
        )
        #expect(placement.contains("mapping.placement['a']: places"), "\(placement)")
    }

    @Test func aValidFileDecodesAndCompiles() throws {
        let json = #"{"populations":[{"name":"a","size":3,"vthMantissa":5}],"probes":[{"kind":"v","target":"a"}]}"#
        let network = try NetworkDescriptionReader.decode(Data(json.utf8), file: "ok.json")
        try network.checkRun(steps: 100)
        let chip = try ChipSimulator(network)
        chip.run(steps: 3)
        #expect(chip.probeRecords[0].steps == [0, 1, 2])
    }

    /// The allowed key lists cover everything the encoder writes, so a round trip through
    /// JSON is never refused.
    @Test func everyEncodedKeyIsKnown() throws {
        var learning = LearningSpec(rule: "dw = x0", epoch: 2, reward: "g")
        learning.y3 = TraceParameters(impulse: 2, tau: 3)
        let network = NetworkDescription(
            populations: [PopulationSpec(name: "a", size: 2, vthMantissa: 1, vmin: -5, vmax: 5)],
            connections: [
                ConnectionSpec(
                    name: "c", source: "g", target: "a", pattern: .allToAll, weights: [2, 2, 2, 2], exponent: 1,
                    delay: 1, signMode: .mixed, plastic: true, learning: learning),
                ConnectionSpec(
                    name: "s", source: "a", target: "a", pattern: .sparse, weight: 2, delays: [1], pre: [0], post: [1]),
            ],
            generators: [SpikeGeneratorSpec(name: "g", size: 2, spikeTimes: [[1], []])],
            probes: [ProbeSpec(name: "p", kind: .u, target: "a", interval: 2)],
            mapping: CoreMappingSpec(
                newCorePerPopulation: false, maxCompartmentsPerCore: 4,
                placement: ["a": [CorePlacement(core: 3, count: 2)]], ignoreSynapticMemory: true),
            seed: 9)
        let data = try JSONEncoder().encode(network)
        #expect(try NetworkDescriptionReader.decode(data, file: "round-trip.json") == network)
    }

    /// `--steps` near 2^31 and 2^63: refused with the number and the fix when the probes
    /// would outgrow memory or the count passes the limit; a long run without probes is legal.
    @Test func runLengthLimits() throws {
        let probed = NetworkDescription(
            populations: [PopulationSpec(name: "a", size: 100, vthMantissa: 1)],
            probes: [ProbeSpec(name: "v", kind: .v, target: "a")])
        #expect(throws: ChipRunLimitError.self) { try probed.checkRun(steps: 2_147_483_647) }
        do {
            try probed.checkRun(steps: 2_000_000)
        } catch {
            #expect(error.message.contains("--steps 2000000 would make the probes record 200000100 values"))
            #expect(error.message.contains("raise the probes' `interval`"))
        }
        var sparse = probed
        sparse.probes[0].interval = 1000
        try sparse.checkRun(steps: 2_000_000)
        let quiet = NetworkDescription(populations: [PopulationSpec(name: "a", size: 100, vthMantissa: 1)])
        try quiet.checkRun(steps: 2_147_483_647)
        do {
            try quiet.checkRun(steps: Int.max)
            Issue.record("Int.max steps accepted")
        } catch {
            #expect(error.message.contains("--steps 9223372036854775807 is more than 2147483647"))
        }
        #expect(throws: ChipRunLimitError.self) { try quiet.checkRun(steps: 0) }
    }
}
