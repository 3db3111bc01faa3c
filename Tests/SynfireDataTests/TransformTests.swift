import Foundation
import Testing

@testable import SynfireData

@Suite("Crop, binarize, shuffle, split on hand-made data")
struct TransformTests {
    /// Two 6x6 images whose pixel (r, c) is 10*r + c (+100 for the second image).
    func handMade() throws -> ImageDataset {
        var pixels = [UInt8]()
        for image in 0..<2 {
            for r in 0..<6 { for c in 0..<6 { pixels.append(UInt8(100 * image + 10 * r + c)) } }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synfire-idx-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let images = directory.appendingPathComponent("images.idx")
        let labels = directory.appendingPathComponent("labels.idx")
        try Data(IDXReader.encode(shape: [2, 6, 6], values: pixels)).write(to: images)
        try Data(IDXReader.encode(shape: [2], values: [3, 7])).write(to: labels)
        return try DatasetCatalog.loadIDX(imagesPath: images.path, labelsPath: labels.path, name: "hand", split: .train)
    }

    @Test func cropKeepsTheCentre() throws {
        let cropped = try handMade().centreCropped(margin: 2)
        #expect(cropped.rows == 2 && cropped.columns == 2)
        #expect(cropped.pixels == [22, 23, 32, 33, 122, 123, 132, 133])
        #expect(cropped.labels == [3, 7])
    }

    @Test func cropRejectsAMarginThatDoesNotFit() throws {
        #expect(throws: DataError.self) { try handMade().centreCropped(margin: 3) }
    }

    @Test func binarizeIsInclusiveAtTheThreshold() throws {
        let data = try handMade()
        let binary = try data.binarized(threshold: 33)
        for (value, bit) in zip(data.pixels, binary.pixels) { #expect(bit == (value >= 33 ? 1 : 0)) }
        #expect(throws: DataError.self) { try data.binarized(threshold: 300) }
    }

    @Test func seededShuffleIsReproducibleAndAPermutation() throws {
        var pixels = [UInt8]()
        for i in 0..<50 { pixels.append(UInt8(i)) }
        let data = try ImageDataset(
            name: "seq", split: .train, rows: 1, columns: 1, pixels: pixels, labels: pixels.map { $0 % 10 })
        let a = data.shuffled(seed: 7)
        let b = data.shuffled(seed: 7)
        let c = data.shuffled(seed: 8)
        #expect(a == b)
        #expect(a.pixels != c.pixels)
        #expect(a.pixels.sorted() == pixels)
        for i in 0..<a.count { #expect(a.labels[i] == a.pixels[i] % 10) }
    }

    @Test func holdOutSplitPartitionsTheData() throws {
        let data = try handMade()
        let parts = try data.split(holdOut: 0.5)
        #expect(parts.kept.labels == [3])
        #expect(parts.heldOut.labels == [7])
        #expect(throws: DataError.self) { try data.split(holdOut: 1.0) }
    }

    @Test func generatorStreamIsFixedForASeed() throws {
        var g = SeededGenerator(seed: 42)
        var h = SeededGenerator(seed: 42)
        let first = (0..<5).map { _ in g.next() }
        #expect(first == (0..<5).map { _ in h.next() })
        // A saved state resumes the same stream.
        var resumed = try SeededGenerator(state: g.state)
        #expect(resumed.next() == g.next())
        #expect((0..<1000).allSatisfy { _ in (0..<7).contains(g.nextInt(below: 7)) })
        let mean = (0..<20000).map { _ in g.nextGaussian() }.reduce(0, +) / 20000
        #expect(abs(mean) < 0.05)
    }

    @Test func sha256MatchesTheStandardVectors() {
        #expect(ContentHash.sha256Hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            ContentHash.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(ContentHash.sha256Hex(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}
