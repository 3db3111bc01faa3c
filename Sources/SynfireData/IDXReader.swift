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

    /// Reads `path`, inflating it first when it is gzip, and checks magic and length.
    public static func read(path: String, expectedMagic: [UInt32]) throws -> Array {
        let bytes = try readFileBytes(path)
        return try parse(bytes, path: path, expectedMagic: expectedMagic)
    }

    public static func parse(_ raw: [UInt8], path: String, expectedMagic: [UInt32]) throws -> Array {
        let bytes = Gzip.isGzip(raw) ? try Gzip.decompress(raw, path: path) : raw
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
            throw DataError.truncatedIDX(path: path, expectedBytes: headerBytes, actualBytes: bytes.count)
        }
        let shape = (0..<dimensions).map { Int(bigEndianUInt32(bytes, at: 4 + 4 * $0)) }
        let payload = shape.reduce(1, *)
        guard bytes.count == headerBytes + payload else {
            throw DataError.truncatedIDX(path: path, expectedBytes: headerBytes + payload, actualBytes: bytes.count)
        }
        return Array(shape: shape, values: Swift.Array(bytes[headerBytes...]))
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

/// Reads a whole file; a missing file is reported with the command that fetches it.
func readFileBytes(_ path: String, fetchHint: String = "run `synfire data fetch` (or scripts/fetch-data)") throws
    -> [UInt8]
{
    guard FileManager.default.fileExists(atPath: path) else {
        throw DataError.missingFile(path: path, fetchHint: fetchHint)
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DataError.unreadableFile(path: path, reason: "the file could not be opened")
    }
    return [UInt8](data)
}
