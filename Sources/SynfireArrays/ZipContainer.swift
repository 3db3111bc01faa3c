// ZipContainer: the subset of the zip format that .npz files use (internal).
//
// Reading follows the central directory (not the local headers), because numpy's savez
// writes each member through `zipfile.open(..., force_zip64=True)`: local headers then carry
// 0xFFFFFFFF sizes plus a zip64 extra field, while the central directory holds the real
// sizes. Zip64 end records and zip64 central extras are understood as well.
// Supported methods: 0 (stored) and 8 (deflate). Every entry's CRC-32 is verified.
//
// Writing produces a plain (non-zip64) archive with a fixed 1980-01-01 timestamp so the
// same arrays always give byte-identical files.

struct ZipEntry {
    var name: String
    var data: [UInt8]
}

enum ZipMethod: UInt16 {
    case stored = 0
    case deflate = 8
}

/// A problem with the zip structure; NPZArchive adds the file name.
enum ZipProblem: Error {
    case truncated(String)
    case malformed(String)
    case unsupportedMethod(entry: String, method: UInt16)
    case encrypted(entry: String)
    case crcMismatch(entry: String, stored: UInt32, computed: UInt32)
    case inflateFailed(entry: String, ZlibError)
    case tooLarge(entry: String)
}

private let localHeaderSignature: UInt32 = 0x0403_4b50
private let centralHeaderSignature: UInt32 = 0x0201_4b50
private let endSignature: UInt32 = 0x0605_4b50
private let zip64EndSignature: UInt32 = 0x0606_4b50
private let zip64LocatorSignature: UInt32 = 0x0706_4b50

/// Little-endian cursor over a byte array with bounds checks that report truncation.
struct ByteReader {
    let bytes: [UInt8]
    var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    mutating func require(_ n: Int, _ what: String) throws {
        guard n >= 0, offset >= 0, offset <= bytes.count - n else {
            throw ZipProblem.truncated("\(what) extends past the end of the file")
        }
    }

    mutating func u16(_ what: String) throws -> UInt16 {
        try require(2, what)
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    mutating func u32(_ what: String) throws -> UInt32 {
        try require(4, what)
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * i) }
        offset += 4
        return v
    }

    mutating func u64(_ what: String) throws -> UInt64 {
        try require(8, what)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * i) }
        offset += 8
        return v
    }

    mutating func take(_ n: Int, _ what: String) throws -> ArraySlice<UInt8> {
        try require(n, what)
        defer { offset += n }
        return bytes[offset..<offset + n]
    }
}

enum ZipContainer {
    // MARK: Reading

    static func read(_ bytes: [UInt8]) throws -> [ZipEntry] {
        let directory = try centralDirectory(of: bytes)
        var entries: [ZipEntry] = []
        var totalSize = 0
        var cursor = ByteReader(bytes, offset: Int(directory.offset))
        for _ in 0..<directory.entryCount {
            let header = try CentralHeader(reading: &cursor)
            try header.checkBounds(fileSize: bytes.count)
            // Entries may share their packed data, so the total is bounded as well.
            totalSize += Int(header.size)
            guard totalSize <= AtomicFile.maximumReadBytes else {
                throw ZipProblem.malformed(
                    "the entries unpack to more than \(AtomicFile.maximumReadBytes >> 30) GiB together")
            }
            entries.append(ZipEntry(name: header.name, data: try header.unpack(from: bytes)))
        }
        return entries
    }

    /// Where the central directory is and how many entries it lists: the end record, or
    /// the zip64 end record when the end record's fields are saturated.
    private static func centralDirectory(of bytes: [UInt8]) throws -> (
        entryCount: UInt64, offset: UInt64
    ) {
        guard bytes.count >= 22 else {
            throw ZipProblem.truncated(
                "the file is \(bytes.count) bytes, shorter than an empty zip archive")
        }
        guard let endOffset = findEndRecord(bytes) else {
            if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4b {
                throw ZipProblem.truncated("the zip end-of-archive record is missing")
            }
            throw ZipProblem.malformed("this is not a zip archive (no PK signature)")
        }
        var end = ByteReader(bytes, offset: endOffset + 4)
        let disk = try end.u16("end record")
        _ = try end.u16("end record")
        _ = try end.u16("end record")
        var entryCount = UInt64(try end.u16("end record"))
        var centralSize = UInt64(try end.u32("end record"))
        var centralOffset = UInt64(try end.u32("end record"))
        guard disk == 0 else {
            throw ZipProblem.malformed("multi-disk (split) zip archives are not supported")
        }
        if entryCount == 0xFFFF || centralSize == 0xFFFF_FFFF || centralOffset == 0xFFFF_FFFF,
            endOffset >= 20
        {
            var locator = ByteReader(bytes, offset: endOffset - 20)
            if try locator.u32("zip64 locator") == zip64LocatorSignature {
                _ = try locator.u32("zip64 locator")
                let recordOffset = try locator.u64("zip64 locator")
                guard recordOffset < UInt64(bytes.count) else {
                    throw ZipProblem.truncated("the zip64 end record lies past the end")
                }
                var record = ByteReader(bytes, offset: Int(recordOffset))
                guard try record.u32("zip64 end record") == zip64EndSignature else {
                    throw ZipProblem.malformed("the zip64 end record has a bad signature")
                }
                _ = try record.u64("zip64 end record")
                _ = try record.u16("zip64 end record")
                _ = try record.u16("zip64 end record")
                _ = try record.u32("zip64 end record")
                _ = try record.u32("zip64 end record")
                _ = try record.u64("zip64 end record")
                entryCount = try record.u64("zip64 end record")
                centralSize = try record.u64("zip64 end record")
                centralOffset = try record.u64("zip64 end record")
            }
        }
        guard centralOffset <= UInt64(bytes.count), centralSize <= UInt64(bytes.count),
            centralOffset + centralSize <= UInt64(endOffset)
        else {
            throw ZipProblem.truncated(
                "the central directory (offset \(centralOffset), \(centralSize) bytes) lies "
                    + "outside the \(bytes.count)-byte file")
        }
        return (entryCount, centralOffset)
    }

    /// Scans backwards for the end-of-central-directory signature (a trailing comment of up
    /// to 65535 bytes may follow it).
    private static func findEndRecord(_ bytes: [UInt8]) -> Int? {
        let last = bytes.count - 22
        let first = max(0, last - 65535)
        var i = last
        while i >= first {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4b, bytes[i + 2] == 0x05, bytes[i + 3] == 0x06 {
                let commentLength = Int(bytes[i + 20]) | Int(bytes[i + 21]) << 8
                if i + 22 + commentLength == bytes.count { return i }
            }
            i -= 1
        }
        return nil
    }

    // MARK: Writing

    static func write(_ entries: [ZipEntry], method: ZipMethod, level: Int32 = 6) throws
        -> [UInt8]
    {
        var out: [UInt8] = []
        var central: [UInt8] = []
        // 1980-01-01 00:00:00 in MS-DOS format: fixed for reproducible files.
        let dosTime: UInt16 = 0
        let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1

        for entry in entries {
            let nameBytes = Array(entry.name.utf8)
            let crc = Zlib.crc32(entry.data)
            let payload =
                method == .deflate
                ? Zlib.deflate(entry.data, format: .raw, level: level)
                : entry.data
            guard entry.data.count < 0xFFFF_FFFF, payload.count < 0xFFFF_FFFF,
                out.count < 0xFFFF_FFFF, nameBytes.count < 0xFFFF
            else {
                throw ZipProblem.tooLarge(entry: entry.name)
            }
            let flags: UInt16 = nameBytes.allSatisfy { $0 < 0x80 } ? 0 : 0x0800  // UTF-8 names
            let localOffset = UInt32(out.count)

            out.appendLE(localHeaderSignature)
            out.appendLE(UInt16(20))
            out.appendLE(flags)
            out.appendLE(method.rawValue)
            out.appendLE(dosTime)
            out.appendLE(dosDate)
            out.appendLE(crc)
            out.appendLE(UInt32(payload.count))
            out.appendLE(UInt32(entry.data.count))
            out.appendLE(UInt16(nameBytes.count))
            out.appendLE(UInt16(0))
            out.append(contentsOf: nameBytes)
            out.append(contentsOf: payload)

            central.appendLE(centralHeaderSignature)
            central.appendLE(UInt16(3 << 8 | 20))  // made by: Unix, zip 2.0
            central.appendLE(UInt16(20))
            central.appendLE(flags)
            central.appendLE(method.rawValue)
            central.appendLE(dosTime)
            central.appendLE(dosDate)
            central.appendLE(crc)
            central.appendLE(UInt32(payload.count))
            central.appendLE(UInt32(entry.data.count))
            central.appendLE(UInt16(nameBytes.count))
            central.appendLE(UInt16(0))  // extra
            central.appendLE(UInt16(0))  // comment
            central.appendLE(UInt16(0))  // disk
            central.appendLE(UInt16(0))  // internal attributes
            central.appendLE(UInt32(0o100644) << 16)  // regular file, rw-r--r--
            central.appendLE(localOffset)
            central.append(contentsOf: nameBytes)
        }
        guard entries.count < 0xFFFF, out.count < 0xFFFF_FFFF else {
            throw ZipProblem.tooLarge(entry: entries.last?.name ?? "")
        }
        let centralOffset = UInt32(out.count)
        out.append(contentsOf: central)
        out.appendLE(endSignature)
        out.appendLE(UInt16(0))
        out.appendLE(UInt16(0))
        out.appendLE(UInt16(entries.count))
        out.appendLE(UInt16(entries.count))
        out.appendLE(UInt32(central.count))
        out.appendLE(centralOffset)
        out.appendLE(UInt16(0))
        return out
    }
}

extension Array where Element == UInt8 {
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }

    mutating func appendBE<T: FixedWidthInteger>(_ value: T) {
        var v = value.bigEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }
}

/// One central-directory header: where an entry's packed bytes are and what they unpack to.
private struct CentralHeader {
    var name: String
    var flags: UInt16
    var method: UInt16
    var crc: UInt32
    var compressedSize: UInt64
    var size: UInt64
    var localOffset: UInt64

    init(reading cursor: inout ByteReader) throws {
        guard try cursor.u32("central directory") == centralHeaderSignature else {
            throw ZipProblem.malformed("a central directory header has a bad signature")
        }
        _ = try cursor.u16("central header")  // version made by
        _ = try cursor.u16("central header")  // version needed
        flags = try cursor.u16("central header")
        method = try cursor.u16("central header")
        _ = try cursor.u32("central header")  // time + date
        crc = try cursor.u32("central header")
        compressedSize = UInt64(try cursor.u32("central header"))
        size = UInt64(try cursor.u32("central header"))
        let nameLength = Int(try cursor.u16("central header"))
        let extraLength = Int(try cursor.u16("central header"))
        let commentLength = Int(try cursor.u16("central header"))
        _ = try cursor.u16("central header")  // disk start
        _ = try cursor.u16("central header")  // internal attributes
        _ = try cursor.u32("central header")  // external attributes
        localOffset = UInt64(try cursor.u32("central header"))
        name = String(decoding: try cursor.take(nameLength, "entry name"), as: UTF8.self)
        var extra = ByteReader(Array(try cursor.take(extraLength, "extra field")))
        _ = try cursor.take(commentLength, "entry comment")
        try readZip64Extra(&extra)
    }

    /// Zip64 extra (id 1): only the fields saturated in the fixed header, in order.
    private mutating func readZip64Extra(_ extra: inout ByteReader) throws {
        while extra.offset + 4 <= extra.bytes.count {
            let id = try extra.u16("extra field")
            let length = Int(try extra.u16("extra field"))
            let start = extra.offset
            if id == 1 {
                if size == 0xFFFF_FFFF { size = try extra.u64("zip64 extra") }
                if compressedSize == 0xFFFF_FFFF {
                    compressedSize = try extra.u64("zip64 extra")
                }
                if localOffset == 0xFFFF_FFFF { localOffset = try extra.u64("zip64 extra") }
            }
            extra.offset = start + length
        }
    }

    func checkBounds(fileSize: Int) throws {
        if flags & 1 != 0 { throw ZipProblem.encrypted(entry: name) }
        guard ZipMethod(rawValue: method) != nil else {
            throw ZipProblem.unsupportedMethod(entry: name, method: method)
        }
        guard size < UInt64(Int.max / 2), compressedSize <= UInt64(fileSize),
            localOffset < UInt64(fileSize)
        else {
            throw ZipProblem.truncated("entry '\(name)' points past the end of the file")
        }
        // Deflate expands at most 1032:1, so a larger claimed size is a forged header;
        // refusing it keeps the output buffer bounded by the file's own size.
        guard size <= compressedSize &* 1032 &+ 1024 else {
            throw ZipProblem.malformed(
                "entry '\(name)' claims \(size) bytes from \(compressedSize) packed bytes, more than deflate can produce")
        }
    }

    /// The entry's bytes: found through its local header, inflated, CRC-checked.
    func unpack(from bytes: [UInt8]) throws -> [UInt8] {
        var local = ByteReader(bytes, offset: Int(localOffset))
        guard try local.u32("local header of '\(name)'") == localHeaderSignature else {
            throw ZipProblem.malformed("the local header of '\(name)' has a bad signature")
        }
        local.offset += 22
        let localNameLength = Int(try local.u16("local header of '\(name)'"))
        let localExtraLength = Int(try local.u16("local header of '\(name)'"))
        local.offset += localNameLength + localExtraLength
        let stored = try local.take(Int(compressedSize), "data of '\(name)'")

        let data: [UInt8]
        switch ZipMethod(rawValue: method)! {
        case .stored:
            guard compressedSize == size else {
                throw ZipProblem.malformed(
                    "stored entry '\(name)' has different packed and unpacked sizes")
            }
            data = Array(stored)
        case .deflate:
            do {
                data = try Zlib.inflate(stored, format: .raw, expectedSize: Int(size))
            } catch let error as ZlibError {
                throw ZipProblem.inflateFailed(entry: name, error)
            }
        }
        let computed = Zlib.crc32(data)
        guard computed == crc else {
            throw ZipProblem.crcMismatch(entry: name, stored: crc, computed: computed)
        }
        return data
    }
}
