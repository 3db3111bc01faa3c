import Foundation
import Testing

@Suite("synfire data: results and error paths")
struct DataCLITests {
    @Test func infoOnTheEmbeddedSubsetPrintsJSONAndANotice() throws {
        let empty = try CLIRunner.temporaryDirectory()
        let result = try CLIRunner.run(
            ["data", "info", "--dataset", "mnist", "--json"], environment: ["SYNFIRE_DATA": empty.path])
        #expect(result.status == 0)
        #expect(result.stderr.contains("embedded subset"))
        let json = try result.jsonObject()
        #expect(json["embedded"] as? Bool == true)
        let train = try #require(json["train"] as? [String: Any])
        #expect(train["count"] as? Int == 1000)
    }

    @Test func unknownDatasetExitsNonZero() throws {
        let result = try CLIRunner.run(["data", "info", "--dataset", "cifar"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cifar"))
    }

    @Test func corruptFileExitsNonZeroWithTheFileName() throws {
        let directory = try CLIRunner.temporaryDirectory()
        let path = directory.appendingPathComponent("broken-images-idx3-ubyte.gz").path
        try Data([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4b, 0x4c]).write(
            to: URL(fileURLWithPath: path))
        let result = try CLIRunner.run(["data", "info", "--file", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains(path))
        #expect(result.stderr.contains("gzip"))
        let missing = try CLIRunner.run(["data", "info", "--file", directory.appendingPathComponent("none.idx").path])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("not found"))
    }

    @Test func showWritesAPNGAndRejectsABadIndex() throws {
        let directory = try CLIRunner.temporaryDirectory()
        let png = directory.appendingPathComponent("seven.png").path
        let result = try CLIRunner.run(
            ["data", "show", "--split", "test", "--index", "0", "--out", png, "--json"],
            environment: ["SYNFIRE_DATA": directory.path])
        #expect(result.status == 0)
        #expect(try result.jsonObject()["label"] as? Int == 7)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: png)))
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
        let bad = try CLIRunner.run(["data", "show", "--index", "5000"], environment: ["SYNFIRE_DATA": directory.path])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("outside 0..<1000"))
    }
}
