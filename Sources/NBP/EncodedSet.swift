/// Binarized samples stored event-style: for each sample the indices of its active
/// inputs (compressed rows), which is all the event-driven engines read.
public struct NBPEncodedSet: Sendable, Equatable {
    public var name: String
    /// Inputs per sample (the circuit's N_in).
    public var inputCount: Int
    /// `offsets[s] ..< offsets[s + 1]` indexes `indices` for sample s.
    public var offsets: [Int]
    public var indices: [Int32]
    public var labels: [UInt8]

    public var count: Int { labels.count }

    /// From 0/1 (or any zero / non-zero) images, image-major.
    public init(name: String, binaryImages: [UInt8], inputCount: Int, labels: [UInt8]) {
        precondition(binaryImages.count == inputCount * labels.count, "image buffer does not match labels")
        self.name = name
        self.inputCount = inputCount
        self.labels = labels
        var offsets = [Int]()
        offsets.reserveCapacity(labels.count + 1)
        var indices = [Int32]()
        indices.reserveCapacity(binaryImages.count / 4)
        offsets.append(0)
        binaryImages.withUnsafeBufferPointer { pixels in
            for sample in 0..<labels.count {
                let base = sample * inputCount
                for pixel in 0..<inputCount where pixels[base + pixel] != 0 {
                    indices.append(Int32(pixel))
                }
                offsets.append(indices.count)
            }
        }
        self.offsets = offsets
        self.indices = indices
    }

    /// The active inputs of one sample as a 0/1 vector.
    public func binaryImage(at sample: Int) -> [UInt8] {
        var image = [UInt8](repeating: 0, count: inputCount)
        for position in offsets[sample]..<offsets[sample + 1] { image[Int(indices[position])] = 1 }
        return image
    }

    /// The first `n` samples.
    public func prefix(_ n: Int) -> NBPEncodedSet {
        let kept = min(n, count)
        var copy = self
        copy.offsets = Array(offsets[0...kept])
        copy.indices = Array(indices[0..<offsets[kept]])
        copy.labels = Array(labels[0..<kept])
        return copy
    }

    /// Checks that every label fits the output layer and the input width matches.
    public func validate(for sizes: NBPSizes) throws(NBPError) {
        if inputCount != sizes.input {
            throw .imageSizeMismatch(dataset: name, pixels: inputCount, circuitInput: sizes.input)
        }
        if count == 0 { throw .emptyDataset(name) }
        for label in labels where Int(label) >= sizes.output {
            throw .labelOutOfRange(label: Int(label), outputs: sizes.output)
        }
    }
}
