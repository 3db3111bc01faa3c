import EnergyModel
import Foundation
import NeuroChip

/// One step the chip engine has just simulated, as a probe sees it.
public struct NBPChipStep {
    public let chip: ChipSimulator
    /// The circuit running: the 12-phase training circuit or the 4-step inference circuit.
    public let circuit: NBPCircuit
    /// The absolute step just simulated.
    public let step: Int
    public let mode: RunMode
    /// Position in its sample (0 = the step before phase 1); nil for the start-up steps.
    public let position: Int?
}

/// Watches every step the chip engine simulates, the shape of Lava's Monitor: the engine
/// does not know what a probe records. Gate violations, energy counts and (through
/// `NBPChipEngine.spikeObserver`) spike rasters attach this way.
public protocol NBPChipProbe: AnyObject {
    func chipDidStep(_ step: NBPChipStep)
}

/// Counts spikes outside the phases their population may fire in (docs/nbp.md, "Gate
/// violations"): every training step, per population and per phase.
public final class NBPGateMonitor: NBPChipProbe {
    public private(set) var violations = 0
    public private(set) var byPopulation: [String: Int] = [:]
    /// Phase (1...12) -> count.
    public private(set) var byPhase: [Int: Int] = [:]
    let names: [String]
    /// allowed[population][phase]
    let allowed: [[Bool]]
    /// The chip's index of every circuit population (set by the engine).
    var populationIndices: [Int] = []

    init(circuit: NBPCircuit) {
        names = circuit.populations.map(\.name)
        allowed = circuit.populations.map { population in
            (0...circuit.stepsPerSample).map { population.phases.contains($0) }
        }
    }

    public func chipDidStep(_ step: NBPChipStep) {
        guard step.mode == .training else { return }
        let phase = step.circuit.phase(ofStep: step.step)
        // Counts only: no spike arrays are built.
        for (position, population) in populationIndices.enumerated() {
            let count = step.chip.spikeCount(ofPopulation: population)
            if count > 0 && !allowed[position][phase] {
                violations += count
                byPopulation[names[position], default: 0] += count
                byPhase[phase, default: 0] += count
            }
        }
    }

    /// One log line: violations by population and by phase.
    public var summary: String {
        "gate violations by population: "
            + byPopulation.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            + "; by phase: "
            + byPhase.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            .joined(separator: ", ")
    }
}

/// Records the chip's operation counts of every training and inference step that belongs to
/// a sample (docs/energy.md, "The counts file"), each mode in the placement of its circuit.
public final class NBPChipEnergyProbe: NBPChipProbe {
    /// The layer sizes as the counts files name the network (`400-400-10`).
    let layers: String
    var training: EnergyCountsRecorder?
    var inference: EnergyCountsRecorder?
    /// Steps per sample of each mode's circuit (12 and 4 with one hidden layer).
    var steps: [RunMode: Int] = [:]

    init(layers: String) { self.layers = layers }

    public func chipDidStep(_ step: NBPChipStep) {
        guard let position = step.position else { return }
        let steps = [step.mode: step.circuit.stepsPerSample]
        self.steps[step.mode] = step.circuit.stepsPerSample
        switch step.mode {
        case .training:
            if training == nil { training = EnergyCountsRecorder(simulator: step.chip, stepsPerSample: steps) }
            training?.recordLastStep(of: step.chip, mode: .training, stepInSample: position)
        case .inference:
            if inference == nil { inference = EnergyCountsRecorder(simulator: step.chip, stepsPerSample: steps) }
            inference?.recordLastStep(of: step.chip, mode: .inference, stepInSample: position)
        }
    }

    /// The documents so far.
    var counts: (training: EnergyCounts?, inference: EnergyCounts?) {
        (
            training?.counts(
                description: "nBP training on the chip circuit (\(steps[.training] ?? 0) steps per sample)",
                network: "nbp \(layers)", reference: "nbp"),
            inference?.counts(
                description: "nBP inference on the \(steps[.inference] ?? 0)-step circuit",
                network: "nbp \(layers) inference",
                reference: "nbp")
        )
    }
}

/// The two counts files of an nBP run directory.
enum NBPEnergyCountsFiles {
    /// Writes `energy_counts.json` (training) and `energy_counts_inference.json` into
    /// `directory`; a missing document writes nothing.
    static func write(_ counts: (training: EnergyCounts?, inference: EnergyCounts?), to directory: String) throws {
        let url = URL(fileURLWithPath: directory)
        try counts.training?.write(to: url.appendingPathComponent(EnergyCounts.fileName))
        try counts.inference?.write(to: url.appendingPathComponent(EnergyCounts.inferenceFileName))
    }
}
