import Foundation
import Testing

@testable import SynfireTensorBoard

/// Bytes of a fixture written by TensorBoard's own writer (Fixtures/README.md).
func fixture(_ name: String) throws -> [UInt8] {
    let url = try #require(
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"),
        "fixture \(name) is missing")
    let bytes = [UInt8](try Data(contentsOf: url))
    try #require(!bytes.isEmpty, "fixture \(name) is empty")
    return bytes
}

func scratchDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("synfire-tb-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("TFRecord framing")
struct TFRecordTests {
    @Test("CRC-32C of the standard check string, and its mask")
    func crc() {
        // The check value of CRC-32C (Castagnoli) for "123456789".
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        let crc = CRC32C.checksum(Array("123456789".utf8))
        #expect(CRC32C.masked(Array("123456789".utf8)) == ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }

    @Test("framing equals TensorBoard's RecordWriter byte for byte")
    func framingMatchesTensorBoard() throws {
        let expected = try fixture("tensorboard-records.tfrecord")
        let payloads: [[UInt8]] = [[], Array("synfire".utf8), (0..<300).map { UInt8($0 % 256) }]
        #expect(payloads.flatMap(TFRecord.frame) == expected)
        let read = try TFRecord.payloads(in: expected)
        #expect(read.payloads == payloads)
        #expect(read.validLength == expected.count)
    }

    @Test("a cut-off last record is ignored; a flipped bit is an error naming the record")
    func damaged() throws {
        let bytes = try fixture("tensorboard-records.tfrecord")
        let cut = try TFRecord.payloads(in: Array(bytes.dropLast(5)))
        #expect(cut.payloads.count == 2)
        #expect(cut.validLength == 16 + 23)
        var flipped = bytes
        flipped[16 + 12 + 3] ^= 0x01  // inside "synfire"
        #expect(throws: TFRecordError.corrupt(offset: 16, detail: "payload CRC does not match")) {
            try TFRecord.payloads(in: flipped)
        }
        var header = bytes
        header[0] ^= 0x01
        #expect(throws: TFRecordError.corrupt(offset: 0, detail: "length CRC does not match")) {
            try TFRecord.payloads(in: header)
        }
    }
}

@Suite("Event files")
struct EventFileTests {
    @Test("an event file written by TensorBoard decodes: version, scalar, histogram")
    func readsTensorBoardFile() throws {
        let directory = try scratchDirectory()
        let path = directory + "/" + EventFile.namePrefix + "fixture"
        try Data(try fixture("tensorboard-events.tfevents")).write(to: URL(fileURLWithPath: path))
        let events = try EventFile.events(at: path)
        #expect(events.count == 3)
        #expect(events[0].fileVersion == "brain.Event:2")
        #expect(events[1].step == 3 && events[1].wallTime == 1_700_000_001.5)
        #expect(events[1].summary.value.map(\.tag) == ["test/exact"])
        #expect(events[1].summary.value[0].simpleValue == 0.9375)
        let histogram = events[2].summary.value[0].histo
        #expect(histogram.bucketLimit == [1, 4] && histogram.bucket == [1, 2] && histogram.sumSquares == 21)
    }

    @Test("our events encode as TensorBoard's: the same scalar event gives the fixture's bytes")
    func encodesLikeTensorBoard() throws {
        let expected = try TFRecord.payloads(in: try fixture("tensorboard-events.tfevents")).payloads
        let scalar = TBEvent.scalars([("test/exact", 0.9375)], step: 3, wallTime: 1_700_000_001.5)
        #expect(try scalar.serializedBytes() == expected[1])
    }

    @Test("appending writes the version record once, then the events, in a file of its own")
    func appendAndRead() throws {
        let directory = try scratchDirectory() + "/tb"
        let file = try EventFile.create(in: directory)
        #expect((file.path as NSString).lastPathComponent.hasPrefix(EventFile.namePrefix))
        try file.append([TBEvent.scalars([("a", 1), ("b", 2)], step: 1)])
        try file.append([TBEvent.histogram(tag: "w", values: [1, 2, 3], step: 1)])
        let events = try EventFile.events(at: file.path)
        #expect(events.map(\.step) == [0, 1, 1])
        #expect(events[0].fileVersion == EventFile.fileVersion)
        #expect(events[1].summary.value.map(\.simpleValue) == [1, 2])
        let second = try EventFile.create(in: directory)
        #expect(second.path != file.path)
    }

    @Test("dropping events after a step keeps earlier ones and the version, in every file")
    func dropAfterStep() throws {
        let directory = try scratchDirectory()
        let file = try EventFile.create(in: directory)
        try file.append((1...4).map { TBEvent.scalars([("loss", Double($0))], step: Int64($0)) })
        let kept = try EventFile.dropEvents(in: directory, after: 2)
        #expect(kept == ["loss": 2])
        #expect(try EventFile.events(at: file.path).map(\.step) == [0, 1, 2])
        try EventFile.dropEvents(in: directory, after: nil)
        #expect(try EventFile.events(at: file.path).count == 1)
        #expect(EventFile.paths(in: directory) == [file.path])
    }

    @Test("a damaged event file is reported with its path and what to do")
    func damagedFile() throws {
        let directory = try scratchDirectory()
        let file = try EventFile.create(in: directory)
        try file.append([TBEvent.scalars([("loss", 1)], step: 1)])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file.path)))
        bytes[bytes.count - 1] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: file.path))
        #expect {
            try EventFile.dropEvents(in: directory, after: 0)
        } throws: { error in
            "\(error)".contains(file.path) && "\(error)".contains("payload CRC") && "\(error)".contains("move it out")
        }
    }
}

@Suite("Histograms")
struct HistogramTests {
    @Test("equal buckets from min to max; a value on a limit counts in the bucket it closes")
    func buckets() {
        let h = TBHistogramProto(values: [0, 1, 1, 2, 3, 4, .nan], bucketCount: 4)
        #expect(h.min == 0 && h.max == 4 && h.num == 6)
        #expect(h.sum == 11 && h.sumSquares == 31)
        #expect(h.bucketLimit == [1, 2, 3, 4])
        #expect(h.bucket == [3, 1, 1, 1])
        let flat = TBHistogramProto(values: [5, 5, 5])
        #expect(flat.bucketLimit == [5] && flat.bucket == [3])
        #expect(TBHistogramProto(values: []).bucket.isEmpty)
    }
}
