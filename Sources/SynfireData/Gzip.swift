import CZlib
import Foundation

/// Gzip decompression through zlib's inflate, streamed into buffers whose size the caller
/// bounds. The trailer's ISIZE field is only a hint: a truncated or forged file can claim
/// up to 4 GiB there, so no buffer is ever sized from it beyond a small multiple of the
/// compressed input.
public enum Gzip {
    /// The most a whole-file inflate may produce (docs/robustness.md): 16x the full MNIST
    /// training CSV, and far more than any dataset Synfire reads.
    public static let maximumOutputBytes = 1 << 30

    /// True when `bytes` starts with the gzip magic 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Inflates a complete gzip stream of at most `limit` bytes. A stream that ends early,
    /// fails its CRC or grows past `limit` is an error, never a silently short result.
    public static func decompress(_ input: [UInt8], path: String, limit: Int = maximumOutputBytes) throws -> [UInt8] {
        let inflater = try GzipInflater(input, path: path)
        // Start from ISIZE when it is plausible (at most 8x the input), then double.
        var capacity = max(1 << 16, min(8 * input.count, limit + 1))
        if let hint = inflater.sizeHint, hint < capacity { capacity = max(hint + 1, 64) }
        var output = [UInt8]()
        var produced = 0
        while !inflater.finished {
            if produced == output.count {
                guard produced <= limit else {
                    throw DataError.tooLarge(path: path, what: "its inflated content", limit: limit)
                }
                let grown = output.isEmpty ? capacity : min(2 * output.count, limit + 1)
                output.append(contentsOf: repeatElement(0, count: max(grown - output.count, 1)))
            }
            produced += try output.withUnsafeMutableBufferPointer { buffer in
                try inflater.inflate(into: UnsafeMutableBufferPointer(rebasing: buffer[produced...]))
            }
        }
        guard produced <= limit else {
            throw DataError.tooLarge(path: path, what: "its inflated content", limit: limit)
        }
        output.removeSubrange(produced...)
        return output
    }
}

/// One gzip stream being inflated piece by piece (`IDXReader` reads the header first and
/// then exactly the payload it announces). The z_stream lives at a fixed address because
/// zlib keeps a pointer back to it.
final class GzipInflater {
    private let input: [UInt8]
    private let path: String
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    /// True once the stream's end (and its CRC and size check) has been reached.
    private(set) var finished = false

    init(_ input: [UInt8], path: String) throws {
        self.input = input
        self.path = path
        stream.initialize(to: z_stream())
        // 16 + MAX_WBITS: expect a gzip header and trailer (CRC32 + size are checked).
        guard inflateInit2_(stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            throw DataError.corruptGzip(path: path, reason: "zlib could not start")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// The trailer's size field (the inflated size mod 2^32): a hint, never trusted.
    var sizeHint: Int? {
        guard input.count >= 18 else { return nil }
        let n = input.count
        return Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
    }

    /// Inflates into `buffer` until it is full or the stream ends; returns the bytes written.
    func inflate(into buffer: UnsafeMutableBufferPointer<UInt8>) throws -> Int {
        var written = 0
        while written < buffer.count && !finished {
            // avail_in / avail_out are 32-bit: feed and fill at most 1 GiB per call.
            let room = min(buffer.count - written, 1 << 30)
            let consumed = Int(stream.pointee.total_in)
            let status: Int32 = input.withUnsafeBufferPointer { inBuf in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress.map { $0 + consumed })
                stream.pointee.avail_in = uInt(min(inBuf.count - consumed, 1 << 30))
                stream.pointee.next_out = buffer.baseAddress! + written
                stream.pointee.avail_out = uInt(room)
                let result = CZlib.inflate(stream, Z_NO_FLUSH)
                written += room - Int(stream.pointee.avail_out)
                return result
            }
            switch status {
            case Z_STREAM_END: finished = true
            case Z_OK: continue
            case Z_BUF_ERROR where stream.pointee.avail_out == 0: continue
            case Z_BUF_ERROR:
                throw DataError.corruptGzip(path: path, reason: "the stream ends early: the file is truncated")
            case Z_DATA_ERROR:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "corrupt data"
                throw DataError.corruptGzip(
                    path: path,
                    reason: message == "incorrect length check"
                        ? "the trailer's size field does not match the data: incorrect length check" : message)
            default: throw DataError.corruptGzip(path: path, reason: "zlib error \(status)")
            }
        }
        return written
    }

    /// Inflates exactly `count` bytes (fewer only when the stream ends first).
    func read(_ count: Int) throws -> [UInt8] {
        var produced = 0
        let bytes = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            // Zero what the stream leaves unwritten so the array is always initialized.
            defer { initialized = count }
            do {
                produced = try inflate(into: buffer)
            } catch {
                buffer.initialize(repeating: 0)
                throw error
            }
            if produced < count {
                UnsafeMutableBufferPointer(rebasing: buffer[produced...]).initialize(repeating: 0)
            }
        }
        return produced == count ? bytes : Array(bytes[..<produced])
    }

    /// Reads to the end of the stream (which checks its CRC) and returns how many bytes
    /// followed; at most `probe` of them are inflated.
    func remainingBytes(probe: Int = 1 << 16) throws -> Int {
        var extra = 0
        var scratch = [UInt8](repeating: 0, count: 4096)
        while !finished && extra < probe {
            extra += try scratch.withUnsafeMutableBufferPointer { try inflate(into: $0) }
        }
        return extra
    }
}
