import CZlib
import Foundation

/// Gzip (and zlib) decompression of a whole in-memory buffer through zlib's inflate.
public enum Gzip {
    /// True when `bytes` starts with the gzip magic 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Inflates a complete gzip stream. A stream that ends early or fails its CRC is an
    /// error, never a silently short result.
    public static func decompress(_ input: [UInt8], path: String) throws -> [UInt8] {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header and trailer (CRC32 + size are checked).
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { throw DataError.corruptGzip(path: path, reason: "zlib could not start") }
        defer { inflateEnd(&stream) }

        // The gzip trailer stores the uncompressed size mod 2^32: a good first guess.
        var capacity = max(input.count * 4, 1 << 16)
        if input.count >= 18 {
            let n = input.count
            let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
            if isize > 0 { capacity = isize + 1 }
        }
        var output = [UInt8](repeating: 0, count: capacity)
        var produced = 0
        var status: Int32 = Z_OK
        try input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = uInt(inBuf.count)
            while true {
                if produced == output.count {
                    output.append(contentsOf: [UInt8](repeating: 0, count: output.count))
                }
                status = output.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress! + produced
                    stream.avail_out = uInt(outBuf.count - produced)
                    let result = inflate(&stream, Z_NO_FLUSH)
                    produced = outBuf.count - Int(stream.avail_out)
                    return result
                }
                if status == Z_STREAM_END { break }
                if status == Z_OK { continue }
                if status == Z_BUF_ERROR && stream.avail_out == 0 { continue }
                let reason: String
                switch status {
                case Z_BUF_ERROR: reason = "the stream ends early: the file is truncated"
                case Z_DATA_ERROR:
                    reason = stream.msg.map { String(cString: $0) } ?? "corrupt data"
                default: reason = "zlib error \(status)"
                }
                throw DataError.corruptGzip(path: path, reason: reason)
            }
        }
        output.removeSubrange(produced...)
        return output
    }
}
