import Foundation

/// The datasets Synfire knows by name (README.md, "Data").
public enum DatasetName: String, Sendable, CaseIterable, Codable {
    case mnist
    case fashionMNIST = "fashion-mnist"

    /// Parses a user-given name, with an error that lists the known ones.
    public init(validating text: String) throws {
        guard let name = DatasetName(rawValue: text.lowercased()) else {
            throw DataError.invalidParameter(
                "unknown dataset '\(text)' — use one of: \(DatasetName.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        self = name
    }
}

/// A dataset as loaded, with where it came from.
public struct LoadedDataset: Sendable {
    public var dataset: ImageDataset
    /// True when the small subset shipped in the repository was used instead of the full set.
    public var isEmbedded: Bool
    /// The files read.
    public var files: [String]
    /// What to tell the user (set when the embedded subset stands in for the full set).
    public var notice: String?
    /// SHA-256 of the labels followed by the pixels: identifies the content, not the file.
    public var sha256: String

    init(dataset: ImageDataset, isEmbedded: Bool, files: [String], notice: String?) {
        self.dataset = dataset
        self.isEmbedded = isEmbedded
        self.files = files
        self.notice = notice
        self.sha256 = ContentHash.sha256Hex(dataset.labels + dataset.pixels)
    }
}

/// Finds and loads the datasets: the full set under the data directory (`$SYNFIRE_DATA`
/// or `./data`, as `scripts/fetch-data` leaves it), else the embedded subset with a notice.
public enum DatasetCatalog {
    public static let fetchCommand = "run `synfire data fetch` (or scripts/fetch-data)"

    /// `explicit`, else `$SYNFIRE_DATA`, else `./data`.
    public static func dataDirectory(_ explicit: String? = nil) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = ProcessInfo.processInfo.environment["SYNFIRE_DATA"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "./data"
    }

    /// The IDX.gz file names of one split, as in the original distribution.
    static func idxFileNames(split: DatasetSplit) -> (images: String, labels: String) {
        let prefix = split == .train ? "train" : "t10k"
        return ("\(prefix)-images-idx3-ubyte.gz", "\(prefix)-labels-idx1-ubyte.gz")
    }

    /// Loads one split. The IDX.gz pair is read when either of its files exists (it loads
    /// 3.5x faster than CSV); an MNIST CSV file is read only when neither IDX file is there.
    /// With `allowEmbedded` (the default) the embedded subset stands in when none of the
    /// full set's files exist; a present but broken file is always an error, never skipped.
    public static func load(
        _ name: DatasetName, split: DatasetSplit, dataDirectory explicit: String? = nil, allowEmbedded: Bool = true
    ) throws -> LoadedDataset {
        let directory = (dataDirectory(explicit) as NSString).appendingPathComponent(name.rawValue)
        let idx = idxFileNames(split: split)
        let imagesPath = (directory as NSString).appendingPathComponent(idx.images)
        let labelsPath = (directory as NSString).appendingPathComponent(idx.labels)
        let csvPath = (directory as NSString).appendingPathComponent("mnist_\(split.rawValue).csv")
        let fileManager = FileManager.default

        if fileManager.fileExists(atPath: imagesPath) || fileManager.fileExists(atPath: labelsPath) {
            let dataset = try loadIDX(imagesPath: imagesPath, labelsPath: labelsPath, name: name.rawValue, split: split)
            return LoadedDataset(dataset: dataset, isEmbedded: false, files: [imagesPath, labelsPath], notice: nil)
        }
        if name == .mnist, fileManager.fileExists(atPath: csvPath) {
            let dataset = try loadCSV(path: csvPath, name: name.rawValue, split: split)
            return LoadedDataset(dataset: dataset, isEmbedded: false, files: [csvPath], notice: nil)
        }
        guard allowEmbedded else {
            throw DataError.missingFile(path: imagesPath, fetchHint: fetchCommand)
        }
        let embedded = try loadEmbedded(name, split: split)
        let notice =
            "notice: full \(name.rawValue) not found in \(directory); using the embedded subset "
            + "(\(embedded.dataset.count) \(split.rawValue) images) — \(fetchCommand) for the full set"
        return LoadedDataset(dataset: embedded.dataset, isEmbedded: true, files: embedded.files, notice: notice)
    }

    /// The subset shipped with Synfire: the first 1,000 training and 500 test images.
    public static func loadEmbedded(_ name: DatasetName, split: DatasetSplit) throws -> LoadedDataset {
        guard let root = Bundle.module.url(forResource: "embedded", withExtension: nil) else {
            throw DataError.missingFile(
                path: "embedded/\(name.rawValue)",
                fetchHint: "the Synfire build is incomplete; rebuild with `swift build`")
        }
        let directory = root.appendingPathComponent(name.rawValue)
        let idx = idxFileNames(split: split)
        let images = directory.appendingPathComponent(idx.images).path
        let labels = directory.appendingPathComponent(idx.labels).path
        let dataset = try loadIDX(imagesPath: images, labelsPath: labels, name: name.rawValue, split: split)
        return LoadedDataset(dataset: dataset, isEmbedded: true, files: [images, labels], notice: nil)
    }

    /// Loads an IDX image file and its label file (raw or .gz) and checks that they agree.
    public static func loadIDX(imagesPath: String, labelsPath: String, name: String, split: DatasetSplit) throws
        -> ImageDataset
    {
        let images = try IDXReader.read(path: imagesPath, expectedMagic: [IDXReader.imagesMagic])
        let labels = try IDXReader.read(path: labelsPath, expectedMagic: [IDXReader.labelsMagic])
        guard images.shape.count == 3, labels.shape.count == 1, images.shape[1] > 0, images.shape[2] > 0 else {
            throw DataError.invalidParameter(
                "\(imagesPath) holds images of shape \(images.shape) and \(labelsPath) labels of shape \(labels.shape)"
                    + " — expected N x rows x columns images and N labels; re-fetch both with `synfire data fetch`")
        }
        guard images.shape[0] == labels.shape[0] else {
            throw DataError.countMismatch(
                images: imagesPath, imageCount: images.shape[0], labels: labelsPath, labelCount: labels.shape[0])
        }
        if let bad = labels.values.firstIndex(where: { $0 >= 10 }) {
            throw DataError.labelOutOfRange(path: labelsPath, index: bad, label: Int(labels.values[bad]), classes: 10)
        }
        return try ImageDataset(
            name: name, split: split, rows: images.shape[1], columns: images.shape[2], pixels: images.values,
            labels: labels.values)
    }

    /// Loads an MNIST-layout CSV file (28x28 images).
    public static func loadCSV(path: String, name: String, split: DatasetSplit) throws -> ImageDataset {
        let table = try CSVReader.read(path: path, pixelsPerRow: 28 * 28)
        if let bad = table.labels.firstIndex(where: { $0 >= 10 }) {
            // Line numbers count the header as line 1.
            throw DataError.labelOutOfRange(path: path, index: bad, label: Int(table.labels[bad]), classes: 10)
        }
        return try ImageDataset(
            name: name, split: split, rows: 28, columns: 28, pixels: table.pixels, labels: table.labels)
    }
}
