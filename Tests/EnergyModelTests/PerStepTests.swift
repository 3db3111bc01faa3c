import Foundation
import NeuroChip
import Testing

@testable import EnergyModel

/// `synfire energy report --per-step`: every step of the mean sample (the report's `perStep`
/// key, docs/energy.md "Command line").
@Test func perStepFiguresByHand() throws {
    let report = EnergyReport(counts: smallRun(), table: .davies2018, includePerStep: true)
    let steps = try #require(report.perStep?["training"])
    #expect(steps.map(\.step) == [0, 1, 2])
    // smallRun(): step k of the mean sample has 150 (k + 1) synaptic ops on core 4, the
    // critical core; see reportFromPhasesByHand for the other terms.
    let syncTwoTiles = 113.0 + 352.0 / 5.0
    let mesh = 2.1 + 4.1
    let neuron: Double = (2 * 81 + 8 * 52) + (81 + 9 * 52)
    for (k, step) in steps.enumerated() {
        let ops = 150.0 * Double(k + 1)
        #expect(close(step.energyByCategoryPJ.synaptic, ops * 23.6))
        #expect(close(step.energyByCategoryPJ.neuron, neuron))
        #expect(close(step.energyByCategoryPJ.learning, 50 * 120))
        #expect(close(step.energyByCategoryPJ.mesh, 1.7 + 3.0))
        #expect(close(step.energyPJ, neuron + ops * 23.6 + 50 * 120 + 4.7))
        #expect(close(step.coreWorkNS, 8.4 + 9 * 5.3 + ops * 3.5 + 50 * 6.1))
        #expect(close(step.meshNS, mesh) && close(step.syncNS, syncTwoTiles))
        #expect(close(step.latencyNS, step.coreWorkNS + mesh + syncTwoTiles))
        #expect(step.criticalCore == 4 && step.samples == 2)
        #expect(close(step.synapticOps, ops) && close(step.activeCompartments, 3))
        #expect(close(step.plasticSynapseUpdates, 50))
    }
    // The steps add up to the per-sample mean, for both modes.
    for mode in RunMode.allCases {
        let s = try #require(report.summary(mode))
        let modeSteps = try #require(report.perStep?[mode.rawValue])
        #expect(close(modeSteps.reduce(0) { $0 + $1.energyPJ }, s.meanEnergyPJ))
        #expect(close(modeSteps.reduce(0) { $0 + $1.latencyNS }, s.meanLatencyNS))
    }
    // Labels: nBP phase names only for the nBP step counts (smallRun has 3 and 2 steps).
    #expect(steps.allSatisfy { $0.label == nil })
    #expect(perStepTextHasRows(report, modes: 2, rows: 3 + 2))
}

@Test func perStepIsAbsentUnlessAskedFor() throws {
    let plain = EnergyReport(counts: smallRun(), table: .davies2018)
    #expect(plain.perStep == nil)
    let json = try #require(String(data: try plain.jsonData(), encoding: .utf8))
    #expect(!json.contains("perStep"))
    #expect(plain.perStepText.isEmpty)
    let withSteps = EnergyReport(counts: smallRun(), table: .davies2018, includePerStep: true)
    let stepJSON = try #require(String(data: try withSteps.jsonData(), encoding: .utf8))
    #expect(stepJSON.contains("\"perStep\""))
    // Everything else is unchanged by the flag.
    var stripped = withSteps
    stripped.perStep = nil
    #expect(stripped == plain)
}

/// Header line, column line, one row per step and a sum line per mode.
func perStepTextHasRows(_ report: EnergyReport, modes: Int, rows: Int) -> Bool {
    let lines = report.perStepText.split(separator: "\n")
    return lines.count == rows + 3 * modes && lines.filter { $0.hasPrefix("SUM") }.count == modes
}
