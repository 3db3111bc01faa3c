import Foundation
import NeuroChip
import Testing

@testable import EnergyModel

/// Messages between chips (docs/energy.md, "Several chips"): the sending and receiving
/// cores do a message's work, the transport is the table's inter-chip message (derived
/// from its mesh costs unless the table gives one) instead of the mesh base and hops.
@Suite("inter-chip messages in the cost model")
struct InterChipTests {
    @Test func interChipMessagesArePricedAsTransportPlusMessageWork() throws {
        let table = CostTable.davies2018
        let estimator = EnergyEstimator(table: table, coresUsed: 2, tilesUsed: 2)
        var sender = CoreStepCounts()
        sender.interChipMessagesOut = 3
        var receiver = CoreStepCounts()
        receiver.interChipMessagesIn = 3
        let k = table.costs
        let derived = k.derivedInterChipMessage
        #expect(k.interChipMessage == nil && k.interChip == derived)
        #expect(
            abs(
                derived.energyPJ
                    - (2 * (k.messageBase.energyPJ + 3.5 * k.hopEastWest.energyPJ + 1.5 * k.hopNorthSouth.energyPJ)
                        + 160)) < 1e-9)
        let e = estimator.coreEnergy(sender)
        #expect(abs(e.mesh - 3 * derived.energyPJ) < 1e-9)
        #expect(abs(e.spikeIO - 3 * k.messageOut.energyPJ) < 1e-9)
        #expect(abs(estimator.coreEnergy(receiver).spikeIO - 3 * k.messageIn.energyPJ) < 1e-9)
        #expect(estimator.meshTimeNS(sender) == derived.timeNS)
        #expect(abs(estimator.coreTimeNS(sender) - 3 * k.messageOut.timeNS) < 1e-9)
        // Without inter-chip messages nothing changes.
        var local = CoreStepCounts()
        local.messagesOut = 2
        local.addMessagePath(hopsEastWest: 1, hopsNorthSouth: 0)
        #expect(estimator.meshTimeNS(local) == k.messageBase.timeNS + k.hopEastWest.timeNS)
    }

    @Test func aTableMayGiveItsOwnInterChipMessage() throws {
        let json = """
            {"base": "davies2018", "name": "link", "description": "faster links",
             "costs": {"interChipMessage": {"energyPJ": 50, "timeNS": 20, "source": "test"}}}
            """
        let table = try CostTable.load(json: Data(json.utf8))
        #expect(table.costs.interChip == OperationCost(energyPJ: 50, timeNS: 20, source: "test"))
        let bad = """
            {"base": "davies2018", "name": "link", "description": "x",
             "costs": {"interChipMessage": {"energyPJ": "many", "timeNS": 20, "source": "test"}}}
            """
        #expect {
            try CostTable.load(json: Data(bad.utf8))
        } throws: { error in
            "\(error)".contains("costs.interChipMessage.energyPJ")
        }
    }
}
