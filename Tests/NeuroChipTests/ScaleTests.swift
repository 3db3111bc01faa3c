import Foundation
import Testing

@testable import NeuroChip

/// Random connections, generated networks, networks on several chips.
@Suite("large networks: random synapses and several chips")
struct ScaleTests {
    @Test func randomSynapsesAreDrawnFromTheSeedAndStayInRange() throws {
        var net = NetworkDescription(seed: 9)
        net.populations = [
            PopulationSpec(name: "a", size: 300, vthMantissa: 100), PopulationSpec(name: "b", size: 200, vthMantissa: 100),
        ]
        net.connections = [
            ConnectionSpec(
                name: "r", source: "a", target: "b", pattern: .random, random: RandomSynapses(fanOut: 7, weightMin: -40, weightMax: 20))
        ]
        let chip = try ChipSimulator(net)
        let weights = try chip.weights(of: "r")
        #expect(weights.count == 300 * 7)
        #expect(weights.allSatisfy { (-40...20).contains($0) && $0 % 2 == 0 })
        #expect(Set(weights).count > 20, "weights are spread over the range")
        #expect(try ChipSimulator(net).weights(of: "r") == weights, "the same seed draws the same synapses")
        net.seed = 10
        #expect(try ChipSimulator(net).weights(of: "r") != weights)
        let incoming = net.incomingSynapses(ofConnection: 0)
        #expect(incoming.reduce(0, +) == 300 * 7 && incoming.count == 200)
    }

    @Test func randomConnectionsAreRefusedWithoutTheirSpecOrWithWeights() {
        var net = NetworkDescription(populations: [PopulationSpec(name: "a", size: 4, vthMantissa: 1)])
        net.connections = [
            ConnectionSpec(name: "r", source: "a", target: "a", pattern: .random),
            ConnectionSpec(
                name: "s", source: "a", target: "a", pattern: .random, weights: [2, 4],
                random: RandomSynapses(fanOut: 2, weightMin: 10, weightMax: -10)),
            ConnectionSpec(
                name: "t", source: "a", target: "a", pattern: .sparse, weight: 2, pre: [0], post: [1],
                random: RandomSynapses(fanOut: 1, weightMin: 0, weightMax: 0)),
        ]
        #expect {
            try ChipSimulator(net)
        } throws: { error in
            let text = "\(error)"
            return text.contains("a random connection needs `random` (fanOut, weightMin, weightMax)")
                && text.contains("give random.weightMin/weightMax or `weight`, not `weights`")
                && text.contains("random.weightMin 10 > weightMax -10")
                && text.contains("`random` is only for random connections")
        }
    }

    /// Blocks of the generator on three chips: messages that cross chips are counted as
    /// inter-chip messages (sent = received), not as mesh messages, and everything is the
    /// same on 1 and 3 threads.
    @Test func aGeneratedNetworkOnSeveralChipsCountsInterChipMessages() throws {
        var net = NetworkGenerator.blocks(compartments: 6 * 1024, fanIn: 40, block: 1024, seed: 3)
        net.mapping.maxCompartmentsPerCore = 24
        let chip = try ChipSimulator(net)
        #expect(chip.coreMap.chips >= 2)
        chip.run(steps: 60)
        let totals = chip.totals.chip
        #expect(totals.spikesGenerated > 1000)
        #expect(totals.interChipMessagesOut > 0 && totals.interChipMessagesOut == totals.interChipMessagesIn)
        #expect(totals.messagesOut == totals.messagesIn)
        #expect(NetworkGenerator.synapseCount(net) == 6 * 1024 * 40)
        let threads = try ChipSimulator(net, execution: ChipExecution(threads: 3))
        threads.run(steps: 60)
        #expect(threads.snapshot().differences(from: chip.snapshot()).isEmpty)
        // A record with inter-chip counts keeps them through JSON; one without has no such key.
        let encoded = try JSONEncoder().encode(totals)
        #expect(try JSONDecoder().decode(CoreStepCounts.self, from: encoded) == totals)
        #expect(!String(decoding: try JSONEncoder().encode(CoreStepCounts()), as: UTF8.self).contains("interChip"))
    }

    @Test func placementsNameTheirChipAndStayWithinTheLimit() throws {
        var net = NetworkDescription(populations: [
            PopulationSpec(name: "a", size: 10, vthMantissa: 1), PopulationSpec(name: "b", size: 10, vthMantissa: 1),
        ])
        net.mapping.placement = ["a": [CorePlacement(core: 5, count: 10, chip: 1)]]
        let chip = try ChipSimulator(net)
        #expect(chip.coreMap.coreOfCompartment[0] == 128 + 5)
        #expect(chip.coreMap.chips == 2)
        net.mapping.chips = 1
        #expect {
            try ChipSimulator(net)
        } throws: { error in
            "\(error)".contains("chip 1 is outside 0..<1; raise mapping.chips")
        }
        net.mapping.chips = 0
        #expect {
            try ChipSimulator(net)
        } throws: { error in
            "\(error)".contains("mapping: chips 0; use 1...128")
        }
    }
}
