/// The operation counts of one core, as defined in energy-model.md §2.
///
/// The same record serves for one step of one core and for totals over many steps
/// (counts add up; only `maxHopsEastWest` / `maxHopsNorthSouth` combine by maximum).
/// Messages are attributed to their source core: `messages` equals `messagesOut`.
public struct CoreStepCounts: Codable, Sendable, Equatable {
    /// Core index, 0..<cores of the chip (§5.1).
    public var core: Int
    /// A: compartments that had input, non-zero state, or fired.
    public var activeCompartments: Int
    /// I: all other configured compartments of the core.
    public var inactiveCompartments: Int
    /// S: one per (arriving message, synapse it touches on this core).
    public var synapticOps: Int
    /// Synapses the learning rule actually evaluated (§2.1).
    public var plasticSynapseUpdatesProcessed: Int
    /// All plastic synapses of the core, once per learning epoch on that core (§2.1).
    public var plasticSynapsesSwept: Int
    /// L: learning epochs run on this core (0 or 1 per step).
    public var learningEpochs: Int
    /// F: compartments of this core that fired.
    public var spikesGenerated: Int
    /// Mo: one per (fired compartment, distinct destination core).
    public var messagesOut: Int
    /// Mi: spike messages arriving at this core.
    public var messagesIn: Int
    /// Messages to the host (cost 0 in both presets, reported for attribution).
    public var hostMessagesOut: Int
    /// Messages from the host.
    public var hostMessagesIn: Int
    /// Mesh messages sent by this core (§5.4; normally equal to `messagesOut`).
    public var messages: Int
    /// Sum over this core's outgoing messages of their east-west hops.
    public var hopsEastWest: Int
    /// Sum over this core's outgoing messages of their north-south hops.
    public var hopsNorthSouth: Int
    /// Largest east-west hop count of a single outgoing message.
    public var maxHopsEastWest: Int
    /// Largest north-south hop count of a single outgoing message.
    public var maxHopsNorthSouth: Int

    public init(
        core: Int, activeCompartments: Int = 0, inactiveCompartments: Int = 0,
        synapticOps: Int = 0, plasticSynapseUpdatesProcessed: Int = 0,
        plasticSynapsesSwept: Int = 0, learningEpochs: Int = 0, spikesGenerated: Int = 0,
        messagesOut: Int = 0, messagesIn: Int = 0, hostMessagesOut: Int = 0,
        hostMessagesIn: Int = 0, messages: Int = 0, hopsEastWest: Int = 0,
        hopsNorthSouth: Int = 0, maxHopsEastWest: Int = 0, maxHopsNorthSouth: Int = 0
    ) {
        self.core = core
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
        self.messages = messages
        self.hopsEastWest = hopsEastWest
        self.hopsNorthSouth = hopsNorthSouth
        self.maxHopsEastWest = maxHopsEastWest
        self.maxHopsNorthSouth = maxHopsNorthSouth
    }

    /// Records one outgoing mesh message with its dimension-order hop counts (§5.4).
    public mutating func addMessage(hopsEastWest ew: Int, hopsNorthSouth ns: Int) {
        messages += 1
        hopsEastWest += ew
        hopsNorthSouth += ns
        maxHopsEastWest = max(maxHopsEastWest, ew)
        maxHopsNorthSouth = max(maxHopsNorthSouth, ns)
    }

    /// Adds another record of the same core (totals over steps or samples).
    public mutating func accumulate(_ other: CoreStepCounts) {
        activeCompartments += other.activeCompartments
        inactiveCompartments += other.inactiveCompartments
        synapticOps += other.synapticOps
        plasticSynapseUpdatesProcessed += other.plasticSynapseUpdatesProcessed
        plasticSynapsesSwept += other.plasticSynapsesSwept
        learningEpochs += other.learningEpochs
        spikesGenerated += other.spikesGenerated
        messagesOut += other.messagesOut
        messagesIn += other.messagesIn
        hostMessagesOut += other.hostMessagesOut
        hostMessagesIn += other.hostMessagesIn
        messages += other.messages
        hopsEastWest += other.hopsEastWest
        hopsNorthSouth += other.hopsNorthSouth
        maxHopsEastWest = max(maxHopsEastWest, other.maxHopsEastWest)
        maxHopsNorthSouth = max(maxHopsNorthSouth, other.maxHopsNorthSouth)
    }

    /// U under the table's learning count mode (§2.1).
    @inlinable
    public func plasticSynapseUpdates(_ mode: LearningCountMode) -> Int {
        mode == .swept ? plasticSynapsesSwept : plasticSynapseUpdatesProcessed
    }

    /// The §2 invariants for a record covering `steps` steps of a core that holds
    /// `configuredCompartments` compartments. Returns one message per violation.
    public func invariantViolations(configuredCompartments: Int, steps: Int) -> [String] {
        var problems: [String] = []
        let named: [(String, Int)] = [
            ("activeCompartments", activeCompartments),
            ("inactiveCompartments", inactiveCompartments), ("synapticOps", synapticOps),
            ("plasticSynapseUpdatesProcessed", plasticSynapseUpdatesProcessed),
            ("plasticSynapsesSwept", plasticSynapsesSwept), ("learningEpochs", learningEpochs),
            ("spikesGenerated", spikesGenerated), ("messagesOut", messagesOut),
            ("messagesIn", messagesIn), ("hostMessagesOut", hostMessagesOut),
            ("hostMessagesIn", hostMessagesIn), ("messages", messages),
            ("hopsEastWest", hopsEastWest), ("hopsNorthSouth", hopsNorthSouth),
            ("maxHopsEastWest", maxHopsEastWest), ("maxHopsNorthSouth", maxHopsNorthSouth),
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
            problems.append(
                "core \(core): plastic synapse updates without a learning epoch")
        }
        if learningEpochs > steps {
            problems.append(
                "core \(core): learningEpochs \(learningEpochs) > steps \(steps); "
                    + "at most one epoch per step")
        }
        return problems
    }
}

/// Which count the cost table charges as U (energy-model.md §2.1).
public enum LearningCountMode: String, Codable, Sendable, CaseIterable {
    case swept
    case processed
}
