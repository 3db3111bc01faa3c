import EnergyModel
import NeuroChip

/// The nBP circuit's facts as input to EnergyModel's first-principles estimate
/// (docs/energy.md, "Comparison with the nBP paper"), for the one-hidden-layer circuit whose
/// figures the paper publishes: `synfire energy nbp-estimate`.
public enum NBPFirstPrinciples {
    /// The paper's circuit facts as default per-phase counts for nBP `nIn-nHid-nOut`: every
    /// gate lifts whole populations (they are active that step), the plastic synapses of
    /// the training circuit are swept every step, forward synaptic ops follow the input
    /// and hidden on-fractions. Cores and tiles come from the greedy packing (docs/energy.md, "Core mapping") of
    /// the circuit's populations, unless `learningCores` is given.
    public static func defaultInput(
        mode: RunMode, inputs nIn: Int = 400, hidden nHid: Int = 400, outputs nOut: Int = 10,
        inputOnFraction p: Double = 0.19, hiddenOnFraction q: Double = 0.5,
        learningCores: Int? = nil, chip: ChipLayout = CostTable.davies2018.chip
    ) -> FirstPrinciplesInput {
        let xOn = Int((Double(nIn) * p).rounded())
        let hOn = Int((Double(nHid) * q).rounded())
        let demands = populations(mode: mode, inputs: nIn, hidden: nHid, outputs: nOut)
        let placement =
            (try? CoreMapper.greedy(demands, chip: chip))
            ?? CoreAllocation(populations: [], cores: [])
        let compartments = demands.reduce(0) { $0 + $1.compartments }
        let plasticCores = placement.cores.filter { $0.plasticSynapses > 0 }.count
        let plastic = demands.reduce(0) { $0 + $1.compartments * $1.plasticSynapsesPerCompartment }
        // (active compartments, synaptic ops, spikes) per step of the sample; docs/nbp.md "Phases".
        let perPhase: [(Int, Int, Int)]
        switch mode {
        case .inference:
            perPhase = [
                (nIn + 1, nIn, xOn),
                (nHid + 1, xOn * nHid + nHid, hOn),
                (nOut + 1, hOn * nOut + nOut, nOut / 10 + 1),
                (nOut + 1, nOut, 1),
            ]
        case .training:
            let backward = 2 * nHid  // one or two output errors fan out over W2Tp / M
            perPhase = [
                (nIn + 1, nIn, xOn),
                (3 * nHid + 1, 3 * xOn * nHid + 3 * nHid + xOn, 3 * hOn),
                (4 * nOut + nHid + 1, 3 * hOn * nOut + 4 * nOut + nHid + hOn, hOn + nOut),
                (3 * nOut + nHid + 1, 4 * nOut + nHid, 2),
                (2 * nHid + 4 * nOut + 1, backward + 2 * nHid + 4 * nOut, hOn + 2),
                (nIn + 2 * nHid + 3 * nOut + 1, nIn + 2 * nHid + 3 * nOut + xOn, xOn + nHid / 4),
                (nIn + 3 * nHid + 1, nIn + 3 * nHid + 3 * nHid, xOn + 3 * nHid / 8),
                (3 * nHid + 1, 3 * nHid, 0),
                (2 * nHid + 4 * nOut + 1, backward + 2 * nHid + 4 * nOut, hOn + 2),
                (nHid + 3 * nOut + 1, nHid + 3 * nOut, nHid / 8),
                (nIn + 3 * nHid + 1, nIn + 3 * nHid + 3 * nHid, xOn + 3 * nHid / 8),
                (3 * nOut + 1, 3 * nOut, 0),
            ]
        }
        let phases = perPhase.map { active, ops, spikes in
            ChipPhaseCounts(
                activeCompartments: min(active, compartments),
                inactiveCompartments: max(compartments - active, 0), synapticOps: ops,
                plasticSynapsesSwept: mode == .training ? plastic : 0,
                plasticSynapseUpdatesProcessed: 0,
                learningEpochs: mode == .training ? plasticCores : 0, spikesGenerated: spikes,
                messages: spikes * 4, hopsEastWest: spikes * 4, hopsNorthSouth: spikes * 2)
        }
        return FirstPrinciplesInput(
            mode: mode, phases: phases, coresUsed: placement.coresUsed,
            tilesUsed: placement.tilesUsed(chip),
            learningCores: learningCores ?? max(plasticCores, 1))
    }

    /// Populations of the nBP circuit (docs/nbp.md, "Phases") with their incoming synapses,
    /// for the greedy packing (docs/energy.md, "Core mapping"). Training: 500,000 plastic synapses for 400-400-10.
    public static func populations(
        mode: RunMode, inputs nIn: Int, hidden nHid: Int, outputs nOut: Int
    )
        -> [PopulationDemand]
    {
        switch mode {
        case .inference:
            return [
                PopulationDemand(name: "x", compartments: nIn, fixedSynapsesPerCompartment: 2),
                PopulationDemand(
                    name: "h1", compartments: nHid, fixedSynapsesPerCompartment: nIn + 1),
                PopulationDemand(
                    name: "o", compartments: nOut, fixedSynapsesPerCompartment: nHid + 2),
                PopulationDemand(name: "gates", compartments: 4, fixedSynapsesPerCompartment: 2),
            ]
        case .training:
            let hidden = ["h1", "h1_copy", "h1_copy2"].map {
                PopulationDemand(
                    name: $0, compartments: nHid, fixedSynapsesPerCompartment: 8,
                    plasticSynapsesPerCompartment: nIn)
            }
            let outputs = ["o", "o_copy", "o_copy2"].map {
                PopulationDemand(
                    name: $0, compartments: nOut, fixedSynapsesPerCompartment: 8,
                    plasticSynapsesPerCompartment: nHid)
            }
            return [
                PopulationDemand(name: "x", compartments: nIn, fixedSynapsesPerCompartment: 6),
                PopulationDemand(name: "m_x6", compartments: nIn, fixedSynapsesPerCompartment: 2),
            ] + hidden + [
                PopulationDemand(name: "m_h1", compartments: nHid, fixedSynapsesPerCompartment: 2),
                PopulationDemand(name: "c_h1", compartments: nHid, fixedSynapsesPerCompartment: 3),
                PopulationDemand(
                    name: "h1T", compartments: nHid, fixedSynapsesPerCompartment: 8,
                    plasticSynapsesPerCompartment: 2 * nOut),
            ] + outputs
                + ["t", "d+", "d-", "oT-"].map {
                    PopulationDemand(name: $0, compartments: nOut, fixedSynapsesPerCompartment: 6)
                } + [
                    PopulationDemand(
                        name: "gates", compartments: 12, fixedSynapsesPerCompartment: 2)
                ]
        }
    }

    /// The estimate for `mode` compared with the paper's figures.
    public static func estimate(_ input: FirstPrinciplesInput, table: CostTable) -> FirstPrinciplesEstimate {
        FirstPrinciples.estimate(input, table: table, reference: NBPEnergyReference())
    }
}
