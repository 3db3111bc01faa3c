/// One unmodelled or differing term that explains a gap to a published figure.
public struct GapTerm: Codable, Sendable, Equatable {
    public var name: String
    public var estimatePJ: Double?
    public var estimateNS: Double?
    public var note: String

    public init(name: String, estimatePJ: Double?, estimateNS: Double?, note: String) {
        self.name = name
        self.estimatePJ = estimatePJ
        self.estimateNS = estimateNS
        self.note = note
    }
}

/// Model versus paper for one mode (docs/energy.md "Report" `comparison`).
public struct ReferenceComparison: Codable, Sendable, Equatable {
    public var reference: String
    public var mode: RunMode
    public var paperEnergyPJ: Double
    public var paperLatencyNS: Double
    public var modelEnergyPJ: Double
    public var modelLatencyNS: Double
    /// model / paper.
    public var energyRatio: Double
    public var latencyRatio: Double
    public var tolerance: Double
    public var energyWithinTolerance: Bool
    public var latencyWithinTolerance: Bool
    public var withinTolerance: Bool
    public var gapTerms: [GapTerm]

    /// The comparison of `model` with `paper` (energy pJ, latency ns): ratios model / paper,
    /// within `tolerance` when both ratios lie in [1 / tolerance, tolerance].
    public init(
        reference: String, mode: RunMode, paper: (energyPJ: Double, latencyNS: Double),
        model: (energyPJ: Double, latencyNS: Double), tolerance: Double, gapTerms: [GapTerm]
    ) {
        self.reference = reference
        self.mode = mode
        paperEnergyPJ = paper.energyPJ
        paperLatencyNS = paper.latencyNS
        modelEnergyPJ = model.energyPJ
        modelLatencyNS = model.latencyNS
        energyRatio = model.energyPJ / paper.energyPJ
        latencyRatio = model.latencyNS / paper.latencyNS
        self.tolerance = tolerance
        energyWithinTolerance = ReferenceComparison.within(energyRatio, tolerance)
        latencyWithinTolerance = ReferenceComparison.within(latencyRatio, tolerance)
        withinTolerance = energyWithinTolerance && latencyWithinTolerance
        self.gapTerms = gapTerms
    }

    /// Whether `ratio` lies within a factor `tolerance` of 1.
    public static func within(_ ratio: Double, _ tolerance: Double) -> Bool {
        ratio >= 1 / tolerance && ratio <= tolerance
    }

    /// "PASS" or "GAP: ..." for the text report (docs/energy.md "Report" last line).
    public var verdict: String {
        withinTolerance
            ? "PASS" : "GAP: " + gapTerms.map(\.name).joined(separator: ", ")
    }
}

/// Published figures a report compares a run with, and what the steps of its samples do.
/// EnergyModel prices counts and formats the comparison; which figures apply, how a gap is
/// explained and how steps are named is the caller's (nBP: `NBPEnergyReference`).
public protocol EnergyReference: Sendable {
    /// Name in reports and comparisons.
    var name: String { get }
    /// One mode's per-sample estimate against the published figures.
    func compare(_ summary: ModeSummary, table: CostTable) -> ReferenceComparison
    /// What each step of a sample does (position 0 first), or nil when unknown.
    func stepLabels(mode: RunMode, stepsPerSample: Int) -> [String]?
}
