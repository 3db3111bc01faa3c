import NeuroChip

// The per-core, per-step counts are NeuroChip's `CoreStepCounts` (docs/energy.md "Counted quantities"),
// consumed directly. This file adds what the cost model needs on top of it.

extension CoreStepCounts {
    /// Counts given by name (tests, hand-made records, totals).
    public init(
        activeCompartments: Int = 0, inactiveCompartments: Int = 0, synapticOps: Int = 0,
        plasticSynapseUpdatesProcessed: Int = 0, plasticSynapsesSwept: Int = 0,
        learningEpochs: Int = 0, spikesGenerated: Int = 0, messagesOut: Int = 0,
        messagesIn: Int = 0, hostMessagesOut: Int = 0, hostMessagesIn: Int = 0
    ) {
        self.init()
        self.activeCompartments = activeCompartments
        self.inactiveCompartments = inactiveCompartments
        self.synapticOps = synapticOps
        self.plasticSynapseUpdatesProcessed = plasticSynapseUpdatesProcessed
        self.plasticSynapsesSwept = plasticSynapsesSwept
        self.learningEpochs = learningEpochs
        self.spikesGenerated = spikesGenerated
        self.messagesOut = messagesOut
        self.messagesIn = messagesIn
        self.hostMessagesOut = hostMessagesOut
        self.hostMessagesIn = hostMessagesIn
    }

    /// Records the route of one outgoing message (its `messagesOut` is counted
    /// separately): hop sums and the path bit NeuroChip keeps (docs/energy.md "Core mapping", 8 x 4 mesh).
    public mutating func addMessagePath(hopsEastWest ew: Int, hopsNorthSouth ns: Int) {
        hopsEastWest += ew
        hopsNorthSouth += ns
        messagePathsSeen |= 1 << UInt32(ew * 4 + ns)
    }

    /// U under the table's learning count mode (docs/energy.md "Counted quantities").
    @inlinable
    public func plasticSynapseUpdates(_ mode: LearningCountMode) -> Int {
        mode == .swept ? plasticSynapsesSwept : plasticSynapseUpdatesProcessed
    }

    /// The docs/energy.md "Counted quantities" invariants for a record covering `steps` steps of `core`, which holds
    /// `configuredCompartments` compartments. One message per violation.
    public func invariantViolations(core: Int, configuredCompartments: Int, steps: Int)
        -> [String]
    {
        var problems: [String] = []
        let named: [(String, Int)] = [
            ("activeCompartments", activeCompartments),
            ("inactiveCompartments", inactiveCompartments), ("synapticOps", synapticOps),
            ("plasticSynapseUpdatesProcessed", plasticSynapseUpdatesProcessed),
            ("plasticSynapsesSwept", plasticSynapsesSwept), ("learningEpochs", learningEpochs),
            ("spikesGenerated", spikesGenerated), ("messagesOut", messagesOut),
            ("messagesIn", messagesIn), ("hostMessagesOut", hostMessagesOut),
            ("hostMessagesIn", hostMessagesIn), ("hopsEastWest", hopsEastWest),
            ("hopsNorthSouth", hopsNorthSouth), ("traceUpdates", traceUpdates),
        ]
        for (name, value) in named where value < 0 {
            problems.append("core \(core): \(name) is \(value); counts must be >= 0")
        }
        if activeCompartments + inactiveCompartments != configuredCompartments * steps {
            problems.append(
                "core \(core): activeCompartments + inactiveCompartments = "
                    + "\(activeCompartments + inactiveCompartments), expected "
                    + "\(configuredCompartments) compartments x \(steps) steps = "
                    + "\(configuredCompartments * steps)")
        }
        if spikesGenerated > activeCompartments {
            problems.append(
                "core \(core): spikesGenerated \(spikesGenerated) > activeCompartments "
                    + "\(activeCompartments); a firing compartment is active")
        }
        if learningEpochs == 0
            && (plasticSynapseUpdatesProcessed != 0 || plasticSynapsesSwept != 0)
        {
            problems.append("core \(core): plastic synapse updates without a learning epoch")
        }
        if learningEpochs > steps {
            problems.append(
                "core \(core): learningEpochs \(learningEpochs) > steps \(steps); "
                    + "at most one epoch per step")
        }
        if messagesOut == 0 && (messagePathsSeen != 0 || hopsEastWest != 0 || hopsNorthSouth != 0) {
            problems.append("core \(core): message hops without outgoing messages")
        }
        return problems
    }
}

/// One core's counts tagged with the core index. In JSON the `core` key sits next to the
/// count fields: `{"core": 3, "activeCompartments": 12, ...}`.
public struct CoreCounts: Codable, Sendable, Equatable {
    public var core: Int
    public var counts: CoreStepCounts

    public init(core: Int, counts: CoreStepCounts) {
        self.core = core
        self.counts = counts
    }

    enum Key: String, CodingKey { case core }

    public init(from decoder: Decoder) throws {
        core = try decoder.container(keyedBy: Key.self).decode(Int.self, forKey: .core)
        counts = try CoreStepCounts(from: decoder)
    }

    public func encode(to encoder: Encoder) throws {
        try counts.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(core, forKey: .core)
    }
}

/// Which count the cost table charges as U (docs/energy.md "Counted quantities").
public enum LearningCountMode: String, Codable, Sendable, CaseIterable {
    case swept
    case processed
}
