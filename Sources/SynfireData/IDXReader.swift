import Foundation

/// Reader for the IDX format of MNIST and Fashion-MNIST (raw or gzip-compressed):
/// a big-endian magic `0x0000 08 NN` (unsigned bytes, NN dimensions), NN big-endian
/// 32-bit sizes, then the data.
public enum IDXReader {
    public static let imagesMagic: UInt32 = 0x0000_0803
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// A parsed IDX array of unsigned bytes.
    public struct Array: Sendable {
        public var shape: [Int]
        public var values: [UInt8]
    }

    /// The largest payload (product of the dimensions) accepted: 11x the MNIST training
    /// images. Every trainer keeps a few transformed copies of a dataset in memory, so a
    /// header that claims more is refused before anything is allocated (docs/robustness.md).
    public static let maximumPayloadBytes = 1 << 29

    /// Reads `path`, inflating it first when it is gzip, and checks magic and length.
    public static func read(path: String, expectedMagic: [UInt32]) throws -> Array {
        let bytes = try readFileBytes(path)
        return try parse(bytes, path: path, expectedMagic: expectedMagic)
    }

    /// Parses raw or gzip IDX bytes. A gzip file is inflated in two parts: the header, then
    /// exactly the payload the header announces (bounded by `maximumPayloadBytes`), so a
    /// forged size can neither overflow nor allocate more than the limit.
    public static func parse(_ raw: [UInt8], path: String, expectedMagic: [UInt32]) throws -> Array {
        guard Gzip.isGzip(raw) else {
            let header = try parseHeader(raw, path: path, expectedMagic: expectedMagic, availableBytes: raw.count)
            guard raw.count == header.bytes + header.payload else {
                throw DataError.truncatedIDX(
                    path: path, expectedBytes: header.bytes + header.payload, actualBytes: raw.count)
            }
            return Array(shape: header.shape, values: Swift.Array(raw[header.bytes...]))
        }
        let inflater = try GzipInflater(raw, path: path)
        var prefix = try inflater.read(4)
        let dimensions = prefix.count == 4 ? Int(prefix[3]) : 0
        prefix += try inflater.read(4 * dimensions)
        let header = try parseHeader(prefix, path: path, expectedMagic: expectedMagic, availableBytes: prefix.count)
        // Deflate expands at most 1032:1: a claim beyond that cannot be in this file, and
        // is refused before a buffer of the claimed size exists.
        guard header.payload <= 1032 * raw.count + 1024 else {
            throw DataError.corruptGzip(
                path: path,
                reason: "its IDX header promises \(header.bytes + header.payload) bytes, more than \(raw.count) "
                    + "compressed bytes can hold: the file is truncated or its header corrupt")
        }
        let values = try inflater.read(header.payload)
        let extra = values.count == header.payload ? try inflater.remainingBytes() : 0
        guard values.count == header.payload, extra == 0 else {
            // Whatever follows past a short probe is not inflated: the file is wrong either way.
            let expected = header.bytes + header.payload
            throw DataError.truncatedIDX(
                path: path, expectedBytes: expected, actualBytes: header.bytes + values.count + extra)
        }
        return Array(shape: header.shape, values: values)
    }

    /// Magic, dimensions and the payload size they promise, checked for overflow and the limit.
    static func parseHeader(_ bytes: [UInt8], path: String, expectedMagic: [UInt32], availableBytes: Int) throws
        -> (shape: [Int], bytes: Int, payload: Int)
    {
        guard bytes.count >= 4 else {
            if bytes.isEmpty { throw DataError.emptyFile(path: path) }
            throw DataError.truncatedIDX(path: path, expectedBytes: 4, actualBytes: bytes.count)
        }
        let magic = bigEndianUInt32(bytes, at: 0)
        guard expectedMagic.contains(magic) else {
            throw DataError.badMagic(path: path, found: magic, expected: expectedMagic)
        }
        let dimensions = Int(magic & 0xff)
        let headerBytes = 4 + 4 * dimensions
        guard bytes.count >= headerBytes else {
            throw DataError.truncatedIDX(path: path, expectedBytes: headerBytes, actualBytes: availableBytes)
        }
        let shape = (0..<dimensions).map { Int(bigEndianUInt32(bytes, at: 4 + 4 * $0)) }
        var payload = 1
        for size in shape {
            let (product, overflow) = payload.multipliedReportingOverflow(by: size)
            guard !overflow, product <= maximumPayloadBytes else {
                throw DataError.idxTooLarge(path: path, shape: shape, limit: maximumPayloadBytes)
            }
            payload = product
        }
        return (shape, headerBytes, payload)
    }

    /// Encodes an image or label array as raw IDX bytes (used to write fixtures and subsets).
    public static func encode(shape: [Int], values: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
        for dimension in shape {
            let d = UInt32(dimension)
            out += [UInt8(d >> 24), UInt8((d >> 16) & 0xff), UInt8((d >> 8) & 0xff), UInt8(d & 0xff)]
        }
        return out + values
    }

    static func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }
}

/// Reads a whole file of at most `limit` bytes; a missing file is reported with the command
/// that fetches it. Plain POSIX reads: the size is checked before the buffer exists.
func readFileBytes(
    _ path: String, fetchHint: String = "run `synfire data fetch` (or scripts/fetch-data)",
    limit: Int = Gzip.maximumOutputBytes
) throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: path) else {
        throw DataError.missingFile(path: path, fetchHint: fetchHint)
    }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw DataError.unreadableFile(path: path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
        throw DataError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
    }
    let size = Int(info.st_size)
    guard size <= limit else { throw DataError.tooLarge(path: path, what: "the file", limit: limit) }
    var failure: Int32 = 0
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
        while initialized < size {
            let n = read(fd, buffer.baseAddress! + initialized, size - initialized)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                failure = n < 0 ? errno : 0
                break
            }
            initialized += n
        }
    }
    guard failure == 0 else { throw DataError.unreadableFile(path: path, reason: String(cString: strerror(failure))) }
    return bytes
}
