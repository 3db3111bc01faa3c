import Foundation
import Testing

@testable import SynfireData

/// The malformed dataset files that used to crash or exhaust memory (docs/robustness.md):
/// each is now a clear error naming the file, built here from a few dozen bytes.
@Suite("Dataset readers bound every size they read")
struct ReaderLimitTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("synfire-limits-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    /// Image dimensions whose product overflows Int64 or exceeds the 512 MiB payload limit
    /// (the reproducers' headers, including a 1 GiB "gzip bomb" claim), raw and gzip.
    @Test(
        arguments: [
            [4_294_967_295, 4_294_967_295, 1], [4_294_967_295, 4_294_967_295, 4_294_967_295],
            [2_097_152, 2_097_152, 2_097_152], [2_147_483_648, 2_147_483_648, 2], [3, 2_147_483_647, 2_147_483_647],
            [255, 16_776_988, 3_045_072_912], [4096, 512, 512],
        ] as [[UInt32]], [false, true])
    func idxDimensionsBeyondTheLimit(dimensions: [UInt32], gzip: Bool) throws {
        let header = CraftedGzip.idxHeader(magic: IDXReader.imagesMagic, dimensions: dimensions)
        let path = try write(gzip ? "huge.gz" : "huge.idx", gzip ? CraftedGzip.make(header) : header)
        let text = message { _ = try DatasetFileSummary.inspect(path: path) }
        #expect(text.contains(path))
        #expect(text.contains("need more than the 512 MiB"), "\(text)")
        #expect(text.contains("re-fetch"))
    }

    /// Valid data behind a forged trailer size: zlib's length check fails, and nothing is
    /// allocated from the claim.
    @Test(arguments: [0xFFFF_FFFF, 0x7FFF_FFFF, 0] as [UInt32])
    func forgedGzipSizeField(isize: UInt32) throws {
        let payload = IDXReader.encode(shape: [4], values: [1, 2, 3, 4])
        let path = try write("labels.gz", CraftedGzip.make(payload, isize: isize))
        let text = message { _ = try IDXReader.read(path: path, expectedMagic: [IDXReader.labelsMagic]) }
        #expect(text.contains(path))
        #expect(text.contains("trailer's size field does not match"), "\(text)")
        let csv = try write("forged.csv", CraftedGzip.make(Array("5,1,2\n".utf8), isize: isize))
        #expect(message { _ = try Gzip.decompress(try readFileBytes(csv), path: csv) }.contains("size field"))
    }

    /// A stream cut anywhere after its header is a truncation error, for IDX and CSV.
    @Test(arguments: [11, 40, 700, 4000, 70_000])
    func truncatedGzip(keptBytes: Int) throws {
        let pixels = (0..<(100 * 28 * 28)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let full = CraftedGzip.make(IDXReader.encode(shape: [100, 28, 28], values: pixels))
        let path = try write("cut-images.gz", Array(full.prefix(keptBytes)))
        let text = message { _ = try IDXReader.read(path: path, expectedMagic: [IDXReader.imagesMagic]) }
        #expect(text.contains(path))
        #expect(text.contains("truncated"), "\(text)")

        let rows = (0..<200).map { i in "\(i % 10)," + (0..<784).map { String(($0 + i) % 256) }.joined(separator: ",") }
        let csv = CraftedGzip.make(Array(rows.joined(separator: "\n").utf8))
        let csvPath = try write("cut.csv", Array(csv.prefix(keptBytes)))
        let csvText = message { _ = try DatasetFileSummary.inspect(path: csvPath) }
        #expect(csvText.contains(csvPath))
        #expect(csvText.contains("truncated"), "\(csvText)")
    }

    @Test func idxWithMoreDataThanItsHeaderPromises() throws {
        let bytes = IDXReader.encode(shape: [2], values: [1, 2]) + [3, 4, 5]
        for (name, file) in [("long.idx", bytes), ("long.gz", CraftedGzip.make(bytes))] {
            let path = try write(name, file)
            let text = message { _ = try IDXReader.read(path: path, expectedMagic: [IDXReader.labelsMagic]) }
            #expect(text.contains("promises 10 bytes, it holds 13"), "\(text)")
        }
    }

    @Test func gzipOutputIsCappedByTheLimit() throws {
        let big = CraftedGzip.make([UInt8](repeating: 7, count: 100_000))
        let text = message { _ = try Gzip.decompress(big, path: "big.gz", limit: 50_000) }
        #expect(text.contains("big.gz: its inflated content exceeds"), "\(text)")
        #expect(try Gzip.decompress(big, path: "big.gz", limit: 100_000).count == 100_000)
    }

    /// Old Mac line ends (a lone CR) are rows, not one long header line.
    @Test func csvWithCarriageReturnLineEnds() throws {
        let rows = (0..<3).map { i in ([String(i)] + (0..<784).map { String(($0 * i) % 256) }).joined(separator: ",") }
        let path = try write("cr.csv", Array(("label,1x1\r" + rows.joined(separator: "\r") + "\r").utf8))
        let table = try CSVReader.read(path: path)
        #expect(table.labels == [0, 1, 2])
        #expect(table.pixels[784 + 5] == 5)
        let empty = try write("header-only.csv", Array("label,1x1,1x2\r\n".utf8))
        let text = message { _ = try CSVReader.read(path: empty) }
        #expect(text.contains("\(empty) holds no image rows"), "\(text)")
    }

    /// README, "Data": the IDX pair is read when present; the CSV only without it.
    @Test func loadingOrderIsIDXThenCSV() throws {
        let mnist = directory.appendingPathComponent("mnist")
        try FileManager.default.createDirectory(at: mnist, withIntermediateDirectories: true)
        let row = ([String(3)] + Array(repeating: "9", count: 784)).joined(separator: ",")
        try Data(Array("label\n\(row)\n".utf8)).write(to: mnist.appendingPathComponent("mnist_test.csv"))
        let fromCSV = try DatasetCatalog.load(.mnist, split: .test, dataDirectory: directory.path, allowEmbedded: false)
        #expect(fromCSV.files == [mnist.appendingPathComponent("mnist_test.csv").path])
        #expect(fromCSV.dataset.labels == [3])

        try Data(Array("corrupt".utf8)).write(to: mnist.appendingPathComponent("mnist_test.csv"))
        let images = IDXReader.encode(shape: [1, 28, 28], values: [UInt8](repeating: 1, count: 784))
        try Data(CraftedGzip.make(images)).write(to: mnist.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        try Data(CraftedGzip.make(IDXReader.encode(shape: [1], values: [6])))
            .write(to: mnist.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        let fromIDX = try DatasetCatalog.load(.mnist, split: .test, dataDirectory: directory.path, allowEmbedded: false)
        #expect(fromIDX.dataset.labels == [6])
        #expect(fromIDX.files.allSatisfy { $0.hasSuffix("-ubyte.gz") })
    }

    @Test func idxImagesWithAnEmptyDimensionNameBothFiles() throws {
        let images = try write("i.idx", IDXReader.encode(shape: [2, 0, 28], values: []))
        let labels = try write("l.idx", IDXReader.encode(shape: [2], values: [1, 2]))
        let text = message {
            _ = try DatasetCatalog.loadIDX(imagesPath: images, labelsPath: labels, name: "t", split: .train)
        }
        #expect(text.contains(images) && text.contains(labels), "\(text)")
        #expect(text.contains("[2, 0, 28]"))
    }
}
