import Testing

@testable import NeuroChip

/// Test bench for the learning engine: generator `pre` (nPre channels) feeds population
/// `h` (nPost) through the plastic all-to-all connection `W`; generator `drive` makes h's
/// compartments fire exactly one step after it fires (so a post spike can be placed at
/// any step), and `reward` is the reward channel. Plastic currents are tiny (exponent -8)
/// so they never make h fire on their own.
func plasticBench(
    nPre: Int, nPost: Int, weights: [Int], rule: String, signMode: SignMode = .mixed, epoch: Int = 1,
    rewardSteps: [Int] = [], traces: (LearningSpec) -> LearningSpec = { $0 }, seed: UInt64 = 1
) -> NetworkDescription {
    var learning = LearningSpec(rule: rule, epoch: epoch, reward: "reward")
    learning = traces(learning)
    return NetworkDescription(
        populations: [PopulationSpec(name: "h", size: nPost, du: 4096, dv: 4096, vthMantissa: 10000, refractory: 1)],
        connections: [
            ConnectionSpec(
                name: "W", source: "pre", target: "h", pattern: .allToAll, weights: weights,
                exponent: -8, signMode: signMode, learning: learning),
            ConnectionSpec(
                name: "D", source: "drive", target: "h", pattern: .oneToOne, weight: 255, exponent: 7,
                signMode: .excitatory),
        ],
        generators: [
            SpikeGeneratorSpec(name: "pre", size: nPre), SpikeGeneratorSpec(name: "drive", size: nPost),
            SpikeGeneratorSpec(name: "reward", size: 1, spikeTimes: [rewardSteps]),
        ],
        seed: seed)
}

/// Runs `steps` steps with pre spikes `pre[step]` and post spikes `post[step]` (driven one
/// step earlier).
func runBench(_ chip: ChipSimulator, steps: Int, pre: [Int: [Int]], post: [Int: [Int]]) throws {
    for s in 0..<steps {
        if let p = pre[s] { try chip.inject(generator: "pre", channels: p) }
        if let q = post[s + 1] { try chip.inject(generator: "drive", channels: q) }
        chip.step()
        #expect(try chip.spikes(of: "h") == (post[s] ?? []).sorted(), "post spikes at step \(s)")
    }
}
