import Foundation
import NeuroChip
import Testing

@testable import EnergyModel

@Test(arguments: [
    ("davies2018", "loihi-davies2018"), ("loihi-davies2018", "loihi-davies2018"),
    ("sanafe", "loihi-sanafe"), ("LOIHI-SANAFE", "loihi-sanafe"),
    ("sanafe-sparse", "loihi-sanafe-sparse"),
])
func presetNames(name: String, expected: String) throws {
    #expect(try CostTable.preset(named: name).name == expected)
    #expect(try CostTable.resolve(name).name == expected)
}

@Test func unknownPresetNamesTheChoices() {
    #expect(throws: CostTableError.unknownPreset("loihi2")) { try CostTable.resolve("loihi2") }
    let message = CostTableError.unknownPreset("loihi2").description
    #expect(message.contains("davies2018") && message.contains("sanafe"))
}

@Test(arguments: CostTablePreset.allCases)
func presetsRoundTripThroughJSON(preset: CostTablePreset) throws {
    let data = try preset.table.jsonData()
    let loaded = try CostTable.load(json: data)
    #expect(loaded == preset.table)
    let text = String(decoding: data, as: UTF8.self)
    #expect(text.contains("\"static\""))
    #expect(text.contains("\"base\" : null"))
}

@Test func sanafeSparseSwapsOnlyTheSynapse() {
    var sparse = CostTablePreset.sanafeSparse.table
    #expect(sparse.costs.synapticOp.energyPJ == 33.6 && sparse.costs.synapticOp.timeNS == 4.7)
    sparse.costs.synapticOp = CostTablePreset.sanafe.table.costs.synapticOp
    sparse.name = "loihi-sanafe"
    #expect(sparse == CostTablePreset.sanafe.table)
}

@Test func syncModels() {
    let davies = CostTable.davies2018.sync
    #expect(davies.timeNS(tiles: 1) == 113)
    #expect(close(davies.timeNS(tiles: 2), 183.4))
    #expect(close(davies.timeNS(tiles: 4), 113 + 352 * 2 / 5.0))
    #expect(davies.timeNS(tiles: 32) == 465)
    #expect(davies.timeNS(tiles: 64) == 465)
    #expect(davies.timeNS(tiles: 0) == 113)
    let sanafe = CostTablePreset.sanafe.table.sync
    #expect(sanafe.timeNS(tiles: 1) == 600)
    #expect(sanafe.timeNS(tiles: 3) == 1000)
    #expect(sanafe.timeNS(tiles: 28) == 1400)
    #expect(sanafe.timeNS(tiles: 29) == 1800)
    #expect(sanafe.timeNS(tiles: 32) == 1800)
    let stepBelow = SyncCost(model: .stepTable, points: [[4, 7]], energyPJ: 0, source: "")
    #expect(stepBelow.timeNS(tiles: 2) == 7)
}

@Test func baseMergeChangesOnlyGivenFields() throws {
    let json = """
        {"base": "davies2018", "name": "davies-leaky",
         "costs": {"synapticOp": {"energyPJ": 30.0}},
         "static": {"chipPowerMW": 12.5},
         "sync": {"points": [[1, 100], [2, 200]]}}
        """
    let table = try CostTable.load(json: Data(json.utf8))
    var expected = CostTable.davies2018
    expected.name = "davies-leaky"
    expected.base = "davies2018"
    expected.costs.synapticOp.energyPJ = 30
    expected.staticPower.chipPowerMW = 12.5
    expected.sync.points = [[1, 100], [2, 200]]
    #expect(table == expected)
}

@Test func baseWithoutNameIsMarkedModified() throws {
    let table = try CostTable.load(json: Data(#"{"base": "loihi-sanafe"}"#.utf8))
    #expect(table.name == "loihi-sanafe-modified")
}

func problems(_ json: String) -> [String] {
    do {
        _ = try CostTable.load(json: Data(json.utf8), origin: "t.json")
        return []
    } catch {
        if case .invalid(_, let problems) = error { return problems }
        return ["<\(error)>"]
    }
}

@Test func invalidTablesListEveryProblem() {
    let json = """
        {"base": "davies2018",
         "units": {"energy": "nJ", "time": "ns", "power": "W"},
         "costs": {"synapticOp": {"energyPJ": -1.0},
                   "messageIn": {"energyNJ": 0.1},
                   "hopUp": {"energyPJ": 1, "timeNS": 1, "source": "x"}},
         "sync": {"points": [[4, 10], [2, 20]]},
         "chip": {"coresPerTile": 0},
         "learningCountMode": "sometimes"}
        """
    let found = problems(json)
    let expectedFragments = [
        "units.energy: is \"nJ\"", "units.power: is \"W\"",
        "costs.synapticOp.energyPJ: is -1; costs must not be negative",
        "costs.messageIn.energyNJ: unknown key; did you mean \"energyPJ\"",
        "costs.hopUp: unknown key", "sync.points[1]: tiles 2 not strictly increasing",
        "chip.coresPerTile: is 0, expected a positive integer",
        "learningCountMode: is \"sometimes\"",
    ]
    for fragment in expectedFragments {
        #expect(found.contains { $0.contains(fragment) }, "missing: \(fragment) in \(found)")
    }
    #expect(found.count == expectedFragments.count, "\(found)")
}

@Test func fullTableWithoutBaseRequiresEveryEntry() throws {
    let data = try CostTable.davies2018.jsonData()
    var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    var costs = try #require(object["costs"] as? [String: Any])
    costs.removeValue(forKey: "hopNorthSouth")
    costs.removeValue(forKey: "messageBase")
    object["costs"] = costs
    object.removeValue(forKey: "static")
    var sync = try #require(object["sync"] as? [String: Any])
    sync["points"] = [] as [Any]
    object["sync"] = sync
    let found = problems(
        String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    #expect(found.contains { $0.hasPrefix("costs.hopNorthSouth: missing entry") })
    #expect(found.contains { $0.hasPrefix("costs.messageBase: missing entry") })
    #expect(found.contains { $0.hasPrefix("static: missing") })
    #expect(found.contains { $0.hasPrefix("sync.points: is empty") })
    #expect(found.count == 4, "\(found)")
}

@Test func wrongTypesAndBadBaseAreReported() {
    let found = problems(
        #"{"base": "loihi3", "schemaVersion": 2, "costs": {"synapticOp": {"energyPJ": "x"}}}"#)
    #expect(found.contains { $0.contains("base: 'loihi3' is not a preset") })
    #expect(found.contains { $0.contains("schemaVersion: is 2, expected 1") })
    #expect(found.contains { $0.contains("costs.synapticOp.energyPJ: is a string") })
}

@Test func syntaxErrorsAndMissingFilesHaveClearMessages() {
    #expect(throws: CostTableError.self) { try CostTable.load(json: Data("{".utf8)) }
    do {
        _ = try CostTable.resolve("/nonexistent/table.json")
        Issue.record("expected an error")
    } catch {
        #expect(error.description.contains("cannot read cost table /nonexistent/table.json"))
    }
    let invalid = CostTableError.invalid(origin: "t.json", problems: ["a", "b"])
    #expect(invalid.description.contains("2 problems") && invalid.description.contains("base"))
}
