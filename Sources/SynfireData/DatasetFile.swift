import Foundation

/// What one dataset file holds, for `synfire data info --file`: any IDX (raw or .gz) image
/// or label file, or an MNIST-layout CSV file. A corrupt file is an error.
public struct DatasetFileSummary: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case idxImages = "idx-images"
        case idxLabels = "idx-labels"
        case csv
    }

    public var path: String
    public var kind: Kind
    public var compressed: Bool
    public var shape: [Int]
    public var count: Int
    /// Images per label; empty for an image-only file.
    public var classHistogram: [Int]
    public var sha256: String

    /// Reads and validates `path`.
    public static func inspect(path: String) throws -> DatasetFileSummary {
        let raw = try readFileBytes(path, fetchHint: "check the path")
        if path.lowercased().hasSuffix(".csv") || path.lowercased().hasSuffix(".csv.gz") {
            let bytes = Gzip.isGzip(raw) ? try Gzip.decompress(raw, path: path) : raw
            let table = try CSVReader.parse(bytes, path: path, pixelsPerRow: 28 * 28)
            if let bad = table.labels.firstIndex(where: { $0 >= 10 }) {
                throw DataError.labelOutOfRange(path: path, index: bad, label: Int(table.labels[bad]), classes: 10)
            }
            return DatasetFileSummary(
                path: path, kind: .csv, compressed: Gzip.isGzip(raw), shape: [table.labels.count, 28, 28],
                count: table.labels.count, classHistogram: histogram(table.labels),
                sha256: ContentHash.sha256Hex(raw))
        }
        if raw.isEmpty { throw DataError.emptyFile(path: path) }
        let array = try IDXReader.parse(
            raw, path: path, expectedMagic: [IDXReader.imagesMagic, IDXReader.labelsMagic])
        let isLabels = array.shape.count == 1
        if isLabels, let bad = array.values.firstIndex(where: { $0 >= 10 }) {
            throw DataError.labelOutOfRange(path: path, index: bad, label: Int(array.values[bad]), classes: 10)
        }
        return DatasetFileSummary(
            path: path, kind: isLabels ? .idxLabels : .idxImages, compressed: Gzip.isGzip(raw), shape: array.shape,
            count: array.shape.first ?? 0, classHistogram: isLabels ? histogram(array.values) : [],
            sha256: ContentHash.sha256Hex(raw))
    }

    static func histogram(_ labels: [UInt8]) -> [Int] {
        var counts = [Int](repeating: 0, count: 10)
        for label in labels { counts[Int(label)] += 1 }
        return counts
    }
}
