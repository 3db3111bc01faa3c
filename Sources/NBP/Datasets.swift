import SynfireData

/// How images become circuit inputs (docs/nbp.md, "CLI"): MNIST is cropped to the central
/// 20x20 (margin 4), Fashion-MNIST keeps 28x28; pixels `>= threshold` are on.
public struct NBPPreprocessing: Codable, Equatable, Sendable {
    public var cropMargin: Int
    public var threshold: Int

    public init(cropMargin: Int, threshold: Int = 129) {
        self.cropMargin = cropMargin
        self.threshold = threshold
    }

    public static func standard(for name: DatasetName, threshold: Int = 129) -> NBPPreprocessing {
        NBPPreprocessing(cropMargin: name == .mnist ? 4 : 0, threshold: threshold)
    }

    /// Crops and binarizes a raw dataset into the event form the engines read.
    public func encode(_ dataset: ImageDataset) throws -> NBPEncodedSet {
        var prepared = dataset
        if cropMargin > 0 { prepared = try prepared.centreCropped(margin: cropMargin) }
        prepared = try prepared.binarized(threshold: threshold)
        return NBPEncodedSet(
            name: "\(dataset.name)-\(dataset.split.rawValue)", binaryImages: prepared.pixels,
            inputCount: prepared.pixelsPerImage, labels: prepared.labels)
    }
}

/// Loads a named dataset split for nBP.
public enum NBPDatasets {
    /// Parses a dataset name; unknown names are an `NBPError.unknownDataset`.
    public static func name(_ text: String) throws(NBPError) -> DatasetName {
        guard let name = DatasetName(rawValue: text.lowercased()) else { throw .unknownDataset(text) }
        return name
    }

    public struct Loaded: Sendable {
        public var set: NBPEncodedSet
        public var raw: LoadedDataset
    }

    public static func load(
        _ name: DatasetName, split: DatasetSplit, dataDirectory: String?, preprocessing: NBPPreprocessing,
        limit: Int?
    ) throws -> Loaded {
        var loaded = try DatasetCatalog.load(name, split: split, dataDirectory: dataDirectory)
        if let limit, limit < loaded.dataset.count { loaded.dataset = loaded.dataset.prefix(limit) }
        return Loaded(set: try preprocessing.encode(loaded.dataset), raw: loaded)
    }
}
