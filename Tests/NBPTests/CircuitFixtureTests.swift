import Foundation
import Testing

@testable import NBP

/// The one-hidden-layer circuits as data, against `Fixtures/circuit-400-400-10.json`: the
/// builder for any depth must give exactly the papers' circuit (populations, connections,
/// schedule) for one hidden layer (docs/nbp.md, "Deeper networks").
@Suite("nBP circuit: one hidden layer equals its fixture")
struct CircuitFixtureTests {
    /// The circuits the fixture holds, by name.
    static func circuits() throws -> [String: NBPCircuit] {
        let sizes = NBPSizes.mnist
        return [
            "training": try NBPCircuit.training(sizes: sizes),
            "training-margin-192-replay": try NBPCircuit.training(sizes: sizes, margin: 192, replayGate: true),
            "inference": try NBPCircuit.inference(sizes: sizes),
        ]
    }

    @Test("400-400-10: training (plain, margin + replay gates) and inference circuits equal the fixture")
    func oneHiddenLayerEqualsFixture() throws {
        let url = try #require(
            Bundle.module.url(forResource: "circuit-400-400-10", withExtension: "json", subdirectory: "Fixtures"),
            "fixture Fixtures/circuit-400-400-10.json is missing")
        let expected = try JSONDecoder().decode([String: NBPCircuit].self, from: Data(contentsOf: url))
        let circuits = try CircuitFixtureTests.circuits()
        #expect(circuits.keys.sorted() == expected.keys.sorted())
        for (name, circuit) in circuits {
            #expect(circuit == expected[name], "\(name) differs from the fixture")
        }
    }
}
