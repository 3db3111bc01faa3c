// Gzip files written by hand for the bad-input tests: stored (uncompressed) deflate blocks,
// so a test can forge the trailer's size, cut the stream anywhere, or claim absurd IDX
// dimensions in a file of a few dozen bytes.

enum CraftedGzip {
    /// A complete gzip member holding `payload` in stored blocks; `isize` overrides the
    /// trailer's size field (the real size mod 2^32 by default).
    static func make(_ payload: [UInt8], isize: UInt32? = nil) -> [UInt8] {
        var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]
        var offset = 0
        repeat {
            let n = min(payload.count - offset, 65_535)
            let final: UInt8 = offset + n == payload.count ? 1 : 0
            out += [final, UInt8(n & 0xff), UInt8(n >> 8), UInt8(~n & 0xff), UInt8((~n >> 8) & 0xff)]
            out += payload[offset..<offset + n]
            offset += n
        } while offset < payload.count
        out += littleEndian(crc32(payload))
        out += littleEndian(isize ?? UInt32(truncatingIfNeeded: payload.count))
        return out
    }

    static func littleEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xff), UInt8((value >> 8) & 0xff), UInt8((value >> 16) & 0xff), UInt8(value >> 24)]
    }

    /// CRC-32 (IEEE, reflected), bit by bit: test inputs are small.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// An IDX header (magic 0x08NN, NN = dims.count) with no data after it.
    static func idxHeader(magic: UInt32, dimensions: [UInt32]) -> [UInt8] {
        var out = bigEndian(magic)
        for d in dimensions { out += bigEndian(d) }
        return out
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] { littleEndian(value).reversed() }
}
