import Foundation
import Testing

@testable import SynfireData

/// The embedded subset is the first 1,000 training and 500 test images of the standard
/// sets, so its content is checked against the known values of those images.
@Suite("Embedded datasets hold the standard images")
struct DatasetContentTests {
    @Test("MNIST: first labels and pixel sums of known images")
    func mnistKnownContent() throws {
        let train = try DatasetCatalog.loadEmbedded(.mnist, split: .train).dataset
        let test = try DatasetCatalog.loadEmbedded(.mnist, split: .test).dataset
        #expect(train.count == 1000)
        #expect(test.count == 500)
        #expect(train.rows == 28 && train.columns == 28)
        #expect(Array(train.labels.prefix(5)) == [5, 0, 4, 1, 9])
        #expect(Array(test.labels.prefix(5)) == [7, 2, 1, 0, 4])
        let trainSums = [0, 1, 2, 499].map { train.image(at: $0).reduce(0) { $0 + Int($1) } }
        #expect(trainSums == [27525, 31095, 19443, 27669])
        let testSums = [0, 1, 2, 499].map { test.image(at: $0).reduce(0) { $0 + Int($1) } }
        #expect(testSums == [18454, 28850, 9871, 12770])
    }

    @Test("MNIST image 0 through the nBP preprocessing: 20x20 crop, threshold 129")
    func mnistCropAndBinarize() throws {
        let train = try DatasetCatalog.loadEmbedded(.mnist, split: .train).dataset.prefix(1)
        let cropped = try train.centreCropped(margin: 4)
        #expect(cropped.rows == 20 && cropped.columns == 20)
        #expect(cropped.image(at: 0).reduce(0) { $0 + Int($1) } == 26135)
        let binary = try cropped.binarized(threshold: 129)
        #expect(binary.pixels.allSatisfy { $0 <= 1 })
        #expect(binary.pixels.reduce(0) { $0 + Int($1) } == 104)
    }

    @Test("Fashion-MNIST: first labels and pixel sums")
    func fashionKnownContent() throws {
        let train = try DatasetCatalog.loadEmbedded(.fashionMNIST, split: .train).dataset
        let test = try DatasetCatalog.loadEmbedded(.fashionMNIST, split: .test).dataset
        #expect(Array(train.labels.prefix(5)) == [9, 0, 0, 3, 0])
        #expect(Array(test.labels.prefix(5)) == [9, 2, 1, 1, 6])
        #expect(train.image(at: 0).reduce(0) { $0 + Int($1) } == 76247)
        #expect(test.image(at: 1).reduce(0) { $0 + Int($1) } == 100994)
    }

    @Test("A missing data directory falls back to the embedded subset with a notice")
    func embeddedFallback() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("synfire-empty-\(UUID())").path
        let loaded = try DatasetCatalog.load(.mnist, split: .test, dataDirectory: empty)
        #expect(loaded.isEmbedded)
        #expect(loaded.dataset.count == 500)
        let notice = try #require(loaded.notice)
        #expect(notice.contains("embedded subset"))
        #expect(notice.contains("synfire data fetch"))
        #expect(throws: DataError.self) {
            try DatasetCatalog.load(.mnist, split: .test, dataDirectory: empty, allowEmbedded: false)
        }
    }

    @Test("The full set is used when fetched (skipped when ./data is absent)")
    func fullMNISTWhenPresent() throws {
        let root = packageRoot().appendingPathComponent("data").path
        guard FileManager.default.fileExists(atPath: root + "/mnist/t10k-labels-idx1-ubyte.gz") else { return }
        let loaded = try DatasetCatalog.load(.mnist, split: .test, dataDirectory: root)
        #expect(!loaded.isEmbedded)
        #expect(loaded.dataset.count == 10000)
        #expect(Array(loaded.dataset.labels.prefix(5)) == [7, 2, 1, 0, 4])
        let csv = try DatasetCatalog.loadCSV(path: root + "/mnist/mnist_test.csv", name: "mnist", split: .test)
        #expect(csv == loaded.dataset)
    }
}

/// The repository root, two levels above this file's folder.
func packageRoot() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
}
