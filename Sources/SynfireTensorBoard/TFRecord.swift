// TFRecord framing, the container of TensorBoard event files: each record is
//   length (UInt64, little-endian) · masked CRC-32C of those 8 bytes (UInt32 LE) ·
//   payload · masked CRC-32C of the payload (UInt32 LE)
// The mask rotates the CRC right by 15 bits and adds 0xA282EAD8, so a CRC computed over
// data that itself holds CRCs does not degenerate.
//
// API
//   CRC32C.checksum(bytes) -> UInt32        CRC32C.masked(bytes) -> UInt32
//   TFRecord.frame(payload) -> [UInt8]
//   TFRecord.payloads(in: bytes) throws -> (payloads: [[UInt8]], validLength: Int)
//       validLength ends after the last complete record; a cut-off tail (a crash while
//       appending) is not an error, a bad CRC is

public enum TFRecordError: Error, CustomStringConvertible, Equatable {
    case corrupt(offset: Int, detail: String)

    public var description: String {
        switch self {
        case .corrupt(let offset, let detail):
            return "TFRecord at byte \(offset) is corrupt (\(detail))"
        }
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven.
public enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for byte in bytes { crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return ~crc
    }

    public static func masked<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

public enum TFRecord {
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        var record: [UInt8] = []
        record.reserveCapacity(payload.count + 16)
        let length = littleEndian(UInt64(payload.count))
        record += length
        record += littleEndian(CRC32C.masked(length))
        record += payload
        record += littleEndian(CRC32C.masked(payload))
        return record
    }

    public static func payloads(in bytes: [UInt8]) throws -> (payloads: [[UInt8]], validLength: Int) {
        var payloads: [[UInt8]] = []
        var offset = 0
        while bytes.count - offset >= 12 {
            let header = bytes[offset..<(offset + 8)]
            guard readUInt32(bytes, at: offset + 8) == CRC32C.masked(header) else {
                throw TFRecordError.corrupt(offset: offset, detail: "length CRC does not match")
            }
            let length = header.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let start = offset + 12
            guard length <= UInt64(bytes.count - start), bytes.count - start - Int(length) >= 4 else { break }
            let payload = Array(bytes[start..<(start + Int(length))])
            guard readUInt32(bytes, at: start + Int(length)) == CRC32C.masked(payload) else {
                throw TFRecordError.corrupt(offset: offset, detail: "payload CRC does not match")
            }
            payloads.append(payload)
            offset = start + Int(length) + 4
        }
        return (payloads, offset)
    }

    private static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }
}
