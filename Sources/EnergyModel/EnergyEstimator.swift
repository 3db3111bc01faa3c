import NeuroChip

/// Energy split into the categories of docs/energy.md "Latency and energy per step", in pJ.
public struct EnergyByCategory: Codable, Sendable, Equatable {
    public var neuron: Double = 0
    public var synaptic: Double = 0
    public var learning: Double = 0
    public var spikeIO: Double = 0
    public var mesh: Double = 0
    public var sync: Double = 0
    public var `static`: Double = 0

    public init() {}

    /// Category names in report order (docs/energy.md "Latency and energy per step" table, docs/energy.md "Report"
    /// chart).
    public static let names = [
        "neuron", "synaptic", "learning", "spikeIO", "mesh", "sync", "static",
    ]

    public var values: [Double] { [neuron, synaptic, learning, spikeIO, mesh, sync, `static`] }
    public var total: Double { values.reduce(0, +) }

    public static func + (a: Self, b: Self) -> Self {
        var r = a
        r.neuron += b.neuron
        r.synaptic += b.synaptic
        r.learning += b.learning
        r.spikeIO += b.spikeIO
        r.mesh += b.mesh
        r.sync += b.sync
        r.static += b.static
        return r
    }

    public static func * (a: Self, k: Double) -> Self {
        var r = a
        r.neuron *= k
        r.synaptic *= k
        r.learning *= k
        r.spikeIO *= k
        r.mesh *= k
        r.sync *= k
        r.static *= k
        return r
    }
}

/// Latency split into the terms of docs/energy.md "Latency and energy per step", in ns.
public struct LatencyByTerm: Codable, Sendable, Equatable {
    /// max over cores of T_core.
    public var coreWork: Double = 0
    public var mesh: Double = 0
    public var sync: Double = 0

    public init(coreWork: Double = 0, mesh: Double = 0, sync: Double = 0) {
        self.coreWork = coreWork
        self.mesh = mesh
        self.sync = sync
    }

    public var total: Double { coreWork + mesh + sync }

    public static func + (a: Self, b: Self) -> Self {
        .init(coreWork: a.coreWork + b.coreWork, mesh: a.mesh + b.mesh, sync: a.sync + b.sync)
    }

    public static func * (a: Self, k: Double) -> Self {
        .init(coreWork: a.coreWork * k, mesh: a.mesh * k, sync: a.sync * k)
    }
}

/// Cost of one time step (docs/energy.md "Latency and energy per step").
public struct StepCost: Sendable, Equatable {
    public var energy: EnergyByCategory
    public var latency: LatencyByTerm
    /// Core with the largest T_core (lowest index on ties); nil when no core is used.
    public var criticalCore: Int?
    /// E_core + this core's share of mesh energy (messages it sent), per input record.
    public var coreEnergyPJ: [Double]
    /// T_core per input record.
    public var coreBusyNS: [Double]

    public var energyPJ: Double { energy.total }
    public var latencyNS: Double { latency.total }
    /// pJ x ns.
    public var edpPJNS: Double { energyPJ * latencyNS }
}

/// The linear cost model of docs/energy.md "Latency and energy per step" for one cost table and one placement.
public struct EnergyEstimator: Sendable {
    public let table: CostTable
    public let coresUsed: Int
    public let tilesUsed: Int

    public init(table: CostTable, coresUsed: Int, tilesUsed: Int) {
        self.table = table
        self.coresUsed = coresUsed
        self.tilesUsed = tilesUsed
    }

    public init(table: CostTable, placement: CoreAllocation) {
        self.init(
            table: table, coresUsed: placement.coresUsed,
            tilesUsed: placement.tilesUsed(table.chip))
    }

    /// T_sync(tilesUsed), fixed for a run.
    public var syncTimeNS: Double { table.sync.timeNS(tiles: tilesUsed) }

    /// T_core(c) of docs/energy.md "Latency and energy per step"; `scale` divides totals into means (1 / samples).
    public func coreTimeNS(_ c: CoreStepCounts, scale: Double = 1) -> Double {
        let k = table.costs
        let u = Double(c.plasticSynapseUpdates(table.learningCountMode))
        let sum =
            Double(c.activeCompartments) * k.compartmentActive.timeNS
            + Double(c.inactiveCompartments) * k.compartmentInactive.timeNS
            + Double(c.synapticOps) * k.synapticOp.timeNS
            + u * k.plasticSynapseUpdate.timeNS
            + Double(c.learningEpochs) * k.learningEpoch.timeNS
            + Double(c.spikesGenerated) * k.spikeGenerated.timeNS
            + Double(c.messagesOut) * k.messageOut.timeNS
            + Double(c.messagesIn) * k.messageIn.timeNS
        return sum * scale
    }

    /// E_core(c) by category plus the mesh energy of the messages c sent.
    public func coreEnergy(_ c: CoreStepCounts, scale: Double = 1) -> EnergyByCategory {
        let k = table.costs
        let u = Double(c.plasticSynapseUpdates(table.learningCountMode))
        var e = EnergyByCategory()
        e.neuron =
            Double(c.activeCompartments) * k.compartmentActive.energyPJ
            + Double(c.inactiveCompartments) * k.compartmentInactive.energyPJ
        e.synaptic = Double(c.synapticOps) * k.synapticOp.energyPJ
        e.learning =
            u * k.plasticSynapseUpdate.energyPJ
            + Double(c.learningEpochs) * k.learningEpoch.energyPJ
        e.spikeIO =
            Double(c.spikesGenerated) * k.spikeGenerated.energyPJ
            + Double(c.messagesOut) * k.messageOut.energyPJ
            + Double(c.messagesIn) * k.messageIn.energyPJ
        // docs/energy.md "Latency and energy per step" E_mesh, attributed to the source core: every message pays
        // messageBase once.
        e.mesh =
            Double(c.messagesOut) * k.messageBase.energyPJ
            + Double(c.hopsEastWest) * k.hopEastWest.energyPJ
            + Double(c.hopsNorthSouth) * k.hopNorthSouth.energyPJ
        return e * scale
    }

    /// Longest single-message path time of a core's messages (0 without messages),
    /// priced exactly from the set of (hopsEW, hopsNS) paths NeuroChip records.
    public func meshTimeNS(_ c: CoreStepCounts) -> Double {
        guard c.messagesOut > 0 || c.messagePathsSeen != 0 else { return 0 }
        let k = table.costs
        var longest = 0.0
        var bits = c.messagePathsSeen
        while bits != 0 {
            let bit = bits.trailingZeroBitCount
            bits &= bits - 1
            let (ew, ns) = (bit / 4, bit % 4)
            longest = max(
                longest, Double(ew) * k.hopEastWest.timeNS + Double(ns) * k.hopNorthSouth.timeNS)
        }
        return k.messageBase.timeNS + longest
    }

    /// docs/energy.md "Latency and energy per step" step totals for one step, given one record per used core. With
    /// `scale` the
    /// records are totals over several steps at the same position in their samples, and
    /// the result is the cost of the mean step.
    public func step(_ cores: [CoreCounts], scale: Double = 1) -> StepCost {
        var energy = EnergyByCategory()
        var coreEnergy: [Double] = []
        var busy: [Double] = []
        coreEnergy.reserveCapacity(cores.count)
        busy.reserveCapacity(cores.count)
        var coreWork = 0.0
        var critical: Int? = nil
        var mesh = 0.0
        for record in cores {
            let c = record.counts
            let e = self.coreEnergy(c, scale: scale)
            energy = energy + e
            coreEnergy.append(e.total)
            let t = coreTimeNS(c, scale: scale)
            busy.append(t)
            if critical == nil || t > coreWork || (t == coreWork && record.core < critical!) {
                coreWork = t
                critical = record.core
            }
            mesh = max(mesh, meshTimeNS(c))
        }
        let latency = LatencyByTerm(coreWork: coreWork, mesh: mesh, sync: syncTimeNS)
        energy.sync = table.sync.energyPJ
        // docs/energy.md "Cost tables": mW x ns = pJ.
        energy.static = table.staticPower.powerMW(coresUsed: coresUsed) * latency.total
        return StepCost(
            energy: energy, latency: latency, criticalCore: critical, coreEnergyPJ: coreEnergy,
            coreBusyNS: busy)
    }
}
