import Foundation
import Testing

@testable import SynfireData

/// DATA.md's list of bad inputs: each one gives an error that names the file and the fix.
@Suite("Bad dataset files are rejected with a clear message")
struct BadInputTests: ScratchFileSuite {
    let directory: URL

    init() throws {
        directory = try Self.makeScratchDirectory("synfire-bad")
    }

    var goodImages: [UInt8] { IDXReader.encode(shape: [2, 2, 2], values: [0, 1, 2, 3, 4, 5, 6, 7]) }

    @Test func missingFileNamesTheFileAndTheFetchCommand() throws {
        let path = directory.appendingPathComponent("nope-images.gz").path
        let text = message { _ = try IDXReader.read(path: path, expectedMagic: [IDXReader.imagesMagic]) }
        #expect(text.contains(path))
        #expect(text.contains("synfire data fetch"))
    }

    @Test func wrongMagicNumber() throws {
        let labels = try write("labels.idx", IDXReader.encode(shape: [2], values: [1, 2]))
        let text = message { _ = try IDXReader.read(path: labels, expectedMagic: [IDXReader.imagesMagic]) }
        #expect(text.contains("magic number 0x00000801"))
        #expect(text.contains(labels))
        let junk = try write("junk.idx", Array("hello world".utf8))
        #expect(
            message { _ = try IDXReader.read(path: junk, expectedMagic: [IDXReader.imagesMagic]) }.contains("magic"))
    }

    @Test func truncatedRawIDX() throws {
        let path = try write("short.idx", Array(goodImages.dropLast(3)))
        let text = message { _ = try IDXReader.read(path: path, expectedMagic: [IDXReader.imagesMagic]) }
        #expect(text.contains("truncated"))
        #expect(text.contains("promises 24 bytes, it holds 21"))
    }

    @Test func truncatedAndCorruptGzip() throws {
        let source = try write("good.idx", goodImages)
        let gzipped = directory.appendingPathComponent("good.idx.gz").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -c '\(source)' > '\(gzipped)'"]
        try process.run()
        process.waitUntilExit()
        let compressed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: gzipped)))
        #expect(try IDXReader.read(path: gzipped, expectedMagic: [IDXReader.imagesMagic]).values == Array(0..<8))

        let truncated = try write("cut.idx.gz", Array(compressed.prefix(compressed.count - 10)))
        let cutText = message { _ = try IDXReader.read(path: truncated, expectedMagic: [IDXReader.imagesMagic]) }
        #expect(cutText.contains("not a valid gzip stream"))
        #expect(cutText.contains(truncated))

        var flipped = compressed
        // Flip the stored CRC32: the data inflates, but its check must fail.
        flipped[flipped.count - 8] ^= 0xff
        let corrupt = try write("flip.idx.gz", flipped)
        let corruptText = message { _ = try IDXReader.read(path: corrupt, expectedMagic: [IDXReader.imagesMagic]) }
        #expect(corruptText.contains("not a valid gzip stream"))
        #expect(corruptText.contains("incorrect data check"))
    }

    @Test func imageAndLabelCountsDisagree() throws {
        let images = try write("i.idx", goodImages)
        let labels = try write("l.idx", IDXReader.encode(shape: [3], values: [1, 2, 3]))
        let text = message {
            _ = try DatasetCatalog.loadIDX(imagesPath: images, labelsPath: labels, name: "t", split: .train)
        }
        #expect(text.contains("2 images"))
        #expect(text.contains("3 labels"))
    }

    @Test func labelOutOfRange() throws {
        let images = try write("i.idx", goodImages)
        let labels = try write("l.idx", IDXReader.encode(shape: [2], values: [1, 12]))
        let text = message {
            _ = try DatasetCatalog.loadIDX(imagesPath: images, labelsPath: labels, name: "t", split: .train)
        }
        #expect(text.contains("label 12"))
        #expect(text.contains(labels))
    }

    @Test func csvRowWithTheWrongNumberOfFields() throws {
        let row = (["5"] + Array(repeating: "0", count: 784)).joined(separator: ",")
        let short = (["5"] + Array(repeating: "0", count: 700)).joined(separator: ",")
        let path = try write("bad.csv", Array("label,1x1\n\(row)\n\(short)\n".utf8))
        let text = message { _ = try CSVReader.read(path: path) }
        #expect(text.contains("\(path):3"))
        #expect(text.contains("701 fields, expected 785"))
    }

    @Test func csvNonNumericValueGivesTheLine() throws {
        let row = (["5"] + Array(repeating: "0", count: 784)).joined(separator: ",")
        var bad = ["4"] + Array(repeating: "0", count: 784)
        bad[10] = "x7"
        let path = try write("nan.csv", Array("label\n\(row)\r\n\(row)\n\(bad.joined(separator: ","))\n".utf8))
        let text = message { _ = try CSVReader.read(path: path) }
        #expect(text.contains("\(path):4"))
        #expect(text.contains("'x7'"))
        let big = try write(
            "big.csv", Array("\((["300"] + Array(repeating: "0", count: 784)).joined(separator: ","))\n".utf8))
        #expect(message { _ = try CSVReader.read(path: big) }.contains("outside 0-255"))
    }

    @Test func csvParsesAValidFileWithCRLFAndNoHeader() throws {
        let rows = (0..<3).map { i in ([String(i)] + (0..<784).map { String(($0 + i) % 256) }).joined(separator: ",") }
        let path = try write("ok.csv", Array(rows.joined(separator: "\r\n").utf8))
        let table = try CSVReader.read(path: path)
        #expect(table.labels == [0, 1, 2])
        #expect(table.pixels.count == 3 * 784)
        #expect(table.pixels[784 + 5] == 6)
    }

    @Test func inspectingAFileReportsItsKindOrFails() throws {
        let labels = try write("l.idx", IDXReader.encode(shape: [3], values: [1, 1, 9]))
        let summary = try DatasetFileSummary.inspect(path: labels)
        #expect(summary.kind == .idxLabels)
        #expect(summary.classHistogram == [0, 2, 0, 0, 0, 0, 0, 0, 0, 1])
        let fixture = packageRoot().appendingPathComponent("Tests/SynfireDataTests/Fixtures/tiny.csv").path
        #expect(throws: DataError.self) { _ = try DatasetFileSummary.inspect(path: fixture) }
        let empty = try write("empty.idx", [])
        #expect(message { _ = try DatasetFileSummary.inspect(path: empty) }.contains("empty"))
    }
}
