/// Which half of a dataset.
public enum DatasetSplit: String, Sendable, CaseIterable, Codable {
    case train
    case test
}

/// A labelled image dataset in memory: pixels of all images in one contiguous array
/// (image-major, row-major inside an image), one label per image. Every trainer shares it.
public struct ImageDataset: Sendable, Equatable {
    public var name: String
    public var split: DatasetSplit
    public var rows: Int
    public var columns: Int
    public var pixels: [UInt8]
    public var labels: [UInt8]
    public var classCount: Int

    public init(
        name: String, split: DatasetSplit, rows: Int, columns: Int, pixels: [UInt8], labels: [UInt8],
        classCount: Int = 10
    ) throws {
        guard rows > 0, columns > 0 else {
            throw DataError.invalidParameter("image size \(rows)x\(columns) must be positive")
        }
        guard pixels.count == labels.count * rows * columns else {
            throw DataError.invalidParameter(
                "\(name): \(pixels.count) pixels do not make \(labels.count) images of \(rows)x\(columns)")
        }
        if let bad = labels.firstIndex(where: { Int($0) >= classCount }) {
            throw DataError.labelOutOfRange(path: name, index: bad, label: Int(labels[bad]), classes: classCount)
        }
        self.name = name
        self.split = split
        self.rows = rows
        self.columns = columns
        self.pixels = pixels
        self.labels = labels
        self.classCount = classCount
    }

    public var count: Int { labels.count }
    public var pixelsPerImage: Int { rows * columns }

    /// The pixels of image `index`.
    public func image(at index: Int) -> ArraySlice<UInt8> {
        pixels[index * pixelsPerImage..<(index + 1) * pixelsPerImage]
    }

    /// The first `n` images (all of them when `n` exceeds the count).
    public func prefix(_ n: Int) -> ImageDataset {
        let kept = min(max(n, 0), count)
        var copy = self
        copy.labels = Array(labels[..<kept])
        copy.pixels = Array(pixels[..<(kept * pixelsPerImage)])
        return copy
    }

    /// Drops `margin` pixels on every side (docs/nbp.md "What is trained": MNIST 28x28 -> central 20x20
    /// with margin 4).
    public func centreCropped(margin: Int) throws -> ImageDataset {
        guard margin >= 0, 2 * margin < rows, 2 * margin < columns else {
            throw DataError.invalidParameter(
                "crop margin \(margin) does not fit a \(rows)x\(columns) image — use 0..<\(min(rows, columns) / 2)")
        }
        let newRows = rows - 2 * margin
        let newColumns = columns - 2 * margin
        var out = [UInt8](repeating: 0, count: count * newRows * newColumns)
        for image in 0..<count {
            let source = image * pixelsPerImage
            let target = image * newRows * newColumns
            for r in 0..<newRows {
                let from = source + (r + margin) * columns + margin
                let to = target + r * newColumns
                for c in 0..<newColumns { out[to + c] = pixels[from + c] }
            }
        }
        var copy = self
        copy.rows = newRows
        copy.columns = newColumns
        copy.pixels = out
        return copy
    }

    /// Pixels `>= threshold` become 1, the rest 0 (docs/nbp.md "What is trained": threshold 129).
    public func binarized(threshold: Int) throws -> ImageDataset {
        guard (0...256).contains(threshold) else {
            throw DataError.invalidParameter("binarization threshold \(threshold) is outside 0...256")
        }
        var copy = self
        copy.pixels = pixels.map { Int($0) >= threshold ? 1 : 0 }
        return copy
    }

    /// The images at `indices`, in that order.
    public func subset(_ indices: [Int]) -> ImageDataset {
        var copy = self
        copy.labels = indices.map { labels[$0] }
        var out = [UInt8]()
        out.reserveCapacity(indices.count * pixelsPerImage)
        for index in indices { out.append(contentsOf: image(at: index)) }
        copy.pixels = out
        return copy
    }

    /// A copy in an order drawn from `seed` (Fisher–Yates with `SeededGenerator`).
    public func shuffled(seed: UInt64) -> ImageDataset {
        var generator = SeededGenerator(seed: seed)
        return subset(generator.permutation(count))
    }

    /// Splits off the last `fraction` of the images (e.g. a validation set), after an
    /// optional seeded shuffle.
    public func split(holdOut fraction: Double, seed: UInt64? = nil) throws -> (
        kept: ImageDataset, heldOut: ImageDataset
    ) {
        guard fraction > 0, fraction < 1 else {
            throw DataError.invalidParameter("hold-out fraction \(fraction) must be strictly between 0 and 1")
        }
        let source = seed.map { shuffled(seed: $0) } ?? self
        let held = Int((Double(count) * fraction).rounded())
        let kept = count - held
        return (source.subset(Array(0..<kept)), source.subset(Array(kept..<count)))
    }

    /// Images per class, index = label.
    public var classHistogram: [Int] {
        var histogram = [Int](repeating: 0, count: classCount)
        for label in labels { histogram[Int(label)] += 1 }
        return histogram
    }
}
