// Zlib: the few zlib calls SynfireIO needs (CRC-32, raw/zlib deflate, raw inflate).
//
// API (public so other modules can reuse the same checked wrappers)
//   Zlib.crc32(_ bytes: [UInt8], continuing: UInt32 = 0) -> UInt32
//   Zlib.crc32(_ buffer: UnsafeRawBufferPointer, continuing:) -> UInt32
//   Zlib.deflate(_ bytes: [UInt8], format: .raw/.zlib, level: Int32 = 6) -> [UInt8]
//   Zlib.inflate(_ bytes: ArraySlice<UInt8>, format:, expectedSize: Int?) throws -> [UInt8]
//
// `.raw` is the headerless deflate stream stored inside zip entries; `.zlib` adds the
// 2-byte header and Adler-32 trailer that PNG IDAT chunks require.

import CZlib

/// Errors from zlib; the caller wraps them with the file name.
public enum ZlibError: Error, CustomStringConvertible, Equatable {
    case corruptStream(code: Int32, message: String)
    case truncatedStream
    case sizeMismatch(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .corruptStream(let code, let message):
            "compressed data is corrupt (zlib error \(code): \(message))"
        case .truncatedStream:
            "compressed data ends early (the file is probably truncated)"
        case .sizeMismatch(let expected, let actual):
            "compressed data inflated to \(actual) bytes but \(expected) were recorded"
        }
    }
}

public enum Zlib {
    public enum Format: Sendable {
        /// Headerless deflate (zip entries, window bits -15).
        case raw
        /// zlib wrapper with Adler-32 (PNG, window bits 15).
        case zlib

        var windowBits: Int32 { self == .raw ? -15 : 15 }
    }

    public static func crc32(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0, continuing: crc) }
    }

    public static func crc32(_ buffer: UnsafeRawBufferPointer, continuing crc: UInt32 = 0)
        -> UInt32
    {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return crc }
        var value = UInt(crc)
        var offset = 0
        // zlib's length argument is 32-bit; feed very large buffers in chunks.
        while offset < buffer.count {
            let chunk = min(buffer.count - offset, 1 << 30)
            value = CZlib.crc32(
                value, base.advanced(by: offset).assumingMemoryBound(to: Bytef.self),
                uInt(chunk))
            offset += chunk
        }
        return UInt32(truncatingIfNeeded: value)
    }

    /// Compresses `bytes` in one pass. zlib cannot fail here except on memory exhaustion,
    /// which is treated as fatal like any other allocation failure.
    public static func deflate(_ bytes: [UInt8], format: Format, level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        let initCode = deflateInit2_(
            &stream, level, Z_DEFLATED, format.windowBits, 8, Z_DEFAULT_STRATEGY,
            zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(initCode == Z_OK, "zlib deflateInit2 failed with code \(initCode)")
        defer { deflateEnd(&stream) }

        let bound = Int(deflateBound(&stream, uLong(bytes.count)))
        var output = [UInt8](repeating: 0, count: bound)
        var input = bytes
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                // deflateBound guarantees one Z_FINISH call completes.
                let code = CZlib.deflate(&stream, Z_FINISH)
                precondition(code == Z_STREAM_END, "zlib deflate did not finish (code \(code))")
                return Int(stream.total_out)
            }
        }
        output.removeSubrange(produced...)
        return output
    }

    /// Decompresses a complete stream. `expectedSize`, when known (zip entries), sizes the
    /// output exactly and is verified; inflating stops as soon as the output would exceed
    /// it, so a deflate bomb costs no more memory than its declared size.
    public static func inflate(
        _ bytes: ArraySlice<UInt8>, format: Format, expectedSize: Int? = nil
    ) throws -> [UInt8] {
        var stream = z_stream()
        let initCode = inflateInit2_(
            &stream, format.windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initCode == Z_OK else {
            throw ZlibError.corruptStream(code: initCode, message: "inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }

        var output = [UInt8]()
        var chunk = [UInt8](
            repeating: 0, count: max(64, min(expectedSize.map { $0 + 1 } ?? 1 << 16, 1 << 24)))
        var input = Array(bytes)
        try input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            while true {
                let (code, produced) = chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(outBuf.count)
                    let code = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return (code, outBuf.count - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk[0..<produced])
                if let expectedSize, output.count > expectedSize {
                    throw ZlibError.sizeMismatch(expected: expectedSize, actual: output.count)
                }
                if code == Z_STREAM_END { break }
                if code == Z_BUF_ERROR || (code == Z_OK && stream.avail_in == 0 && produced == 0) {
                    throw ZlibError.truncatedStream
                }
                guard code == Z_OK else {
                    let message = stream.msg.map { String(cString: $0) } ?? "unknown"
                    throw ZlibError.corruptStream(code: code, message: message)
                }
            }
        }
        if let expectedSize, expectedSize != output.count {
            throw ZlibError.sizeMismatch(expected: expectedSize, actual: output.count)
        }
        return output
    }
}
