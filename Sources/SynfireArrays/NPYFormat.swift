// NPYFormat: encode and decode single `.npy` arrays (numpy's format, versions 1.0–3.0).
//
// API
//   NPYFormat.encode(_ array: NDArray) -> [UInt8]          // version 1.0 (2.0 if the header
//                                                            // exceeds 65535 bytes), C order
//   NPYFormat.decode(_ bytes: [UInt8]) throws(NPYProblem) -> NDArray
//
// Reading accepts little- and big-endian data of the six DTypes and Fortran-ordered arrays
// (converted to C order). The header is padded so that the data starts at a multiple of 64
// bytes, as numpy does, keeping files byte-identical to what `np.save` writes.

/// What is wrong with one .npy payload; `NPZError` adds the archive path and entry name.
public enum NPYProblem: Error, CustomStringConvertible, Equatable {
    case notNPY
    case unsupportedVersion(major: UInt8, minor: UInt8)
    case badHeader(String)
    case unsupportedDType(String)
    case dataSizeMismatch(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .notNPY:
            "is not a .npy array (missing the \\x93NUMPY magic)"
        case .unsupportedVersion(let major, let minor):
            "uses .npy format version \(major).\(minor), which is unknown — re-save it with "
                + "numpy >= 1.0 (np.save)"
        case .badHeader(let detail):
            "has an unreadable .npy header (\(detail))"
        case .unsupportedDType(let descr):
            "has dtype '\(descr)', which Synfire does not read — convert it with "
                + "a.astype(np.int8/np.int16/np.int32/np.uint8/np.float32/np.float64)"
        case .dataSizeMismatch(let expected, let actual):
            "holds \(actual) data bytes but its header promises \(expected) — the file is "
                + "truncated or corrupt; re-save it"
        }
    }
}

public enum NPYFormat {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    // MARK: Encoding

    public static func encode(_ array: NDArray) -> [UInt8] {
        let shapeText: String
        switch array.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(array.shape[0]),)"
        default: shapeText = "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        }
        let dict =
            "{'descr': '\(array.dtype.descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        var header = Array(dict.utf8)
        // Pad with spaces so magic + version + length + header + "\n" is a multiple of 64.
        var prefixLength = 10
        var major: UInt8 = 1
        if header.count + 1 + prefixLength > 0xFFFF {
            major = 2
            prefixLength = 12
        }
        let unpadded = prefixLength + header.count + 1
        let padding = (64 - unpadded % 64) % 64
        header.append(contentsOf: repeatElement(0x20, count: padding))
        header.append(0x0A)

        var out = magic
        out.append(major)
        out.append(0)
        if major == 1 {
            out.appendLE(UInt16(header.count))
        } else {
            out.appendLE(UInt32(header.count))
        }
        out.append(contentsOf: header)
        out.reserveCapacity(out.count + array.count * array.dtype.byteWidth)
        appendData(of: array.storage, to: &out)
        return out
    }

    private static func appendData(of storage: NDArray.Storage, to out: inout [UInt8]) {
        // .npy data is little-endian; on little-endian hosts (x86-64, arm64) the in-memory
        // bytes are already right and are copied in one block.
        func append<T: FixedWidthInteger>(_ values: [T]) {
            #if _endian(little)
                values.withUnsafeBytes { out.append(contentsOf: $0) }
            #else
                values.map { $0.littleEndian }.withUnsafeBytes { out.append(contentsOf: $0) }
            #endif
        }
        switch storage {
        case .int8(let v): append(v)
        case .uint8(let v): out.append(contentsOf: v)
        case .int16(let v): append(v)
        case .int32(let v): append(v)
        case .float32(let v):
            #if _endian(little)
                v.withUnsafeBytes { out.append(contentsOf: $0) }
            #else
                append(v.map { $0.bitPattern })
            #endif
        case .float64(let v):
            #if _endian(little)
                v.withUnsafeBytes { out.append(contentsOf: $0) }
            #else
                append(v.map { $0.bitPattern })
            #endif
        }
    }

    // MARK: Decoding

    public static func decode(_ bytes: [UInt8]) throws(NPYProblem) -> NDArray {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw .notNPY }
        let major = bytes[6]
        let minor = bytes[7]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw .badHeader("header length is cut off") }
            headerLength =
                Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw .unsupportedVersion(major: major, minor: minor)
        }
        guard headerStart + headerLength <= bytes.count else {
            throw .badHeader("header of \(headerLength) bytes is cut off")
        }
        let headerText = String(
            decoding: bytes[headerStart..<headerStart + headerLength], as: UTF8.self)
        let header = try parseHeader(headerText)
        let (dtype, bigEndian) = try parseDescr(header.descr)

        let dataStart = headerStart + headerLength
        // A corrupt header may claim an absurd shape; check the size without overflowing.
        var count = 1
        for dimension in header.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= bytes.count else {
                throw .badHeader("shape \(header.shape) is larger than the file")
            }
            count = product
        }
        let expected = count * dtype.byteWidth
        guard bytes.count - dataStart == expected else {
            throw .dataSizeMismatch(expected: expected, actual: bytes.count - dataStart)
        }
        var storage = bytes.withUnsafeBytes { raw in
            decodeStorage(
                UnsafeRawBufferPointer(rebasing: raw[dataStart...]), dtype: dtype, count: count,
                bigEndian: bigEndian)
        }
        if header.fortranOrder && header.shape.count > 1 {
            storage = fortranToC(storage, shape: header.shape)
        }
        return NDArray(unchecked: header.shape, storage)
    }

    private static func decodeStorage(
        _ raw: UnsafeRawBufferPointer, dtype: DType, count: Int, bigEndian: Bool
    ) -> NDArray.Storage {
        // Copies `count` elements of type T out of the (possibly unaligned) data, swapping
        // bytes only when the file's byte order differs from the host's.
        func load<T>(_: T.Type, swap: (T) -> T) -> [T] {
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                let bytes = UnsafeMutableRawBufferPointer(buffer)
                bytes.copyMemory(
                    from: UnsafeRawBufferPointer(
                        rebasing: raw[0..<(count * MemoryLayout<T>.stride)]))
                #if _endian(little)
                    let needsSwap = bigEndian
                #else
                    let needsSwap = !bigEndian
                #endif
                if needsSwap && MemoryLayout<T>.size > 1 {
                    for i in 0..<count { buffer[i] = swap(buffer[i]) }
                }
                initialized = count
            }
        }
        switch dtype {
        case .int8: return .int8(load(Int8.self) { $0 })
        case .uint8: return .uint8(load(UInt8.self) { $0 })
        case .int16: return .int16(load(Int16.self) { $0.byteSwapped })
        case .int32: return .int32(load(Int32.self) { $0.byteSwapped })
        case .float32:
            return .float32(load(Float.self) { Float(bitPattern: $0.bitPattern.byteSwapped) })
        case .float64:
            return .float64(load(Double.self) { Double(bitPattern: $0.bitPattern.byteSwapped) })
        }
    }

    /// Reorders Fortran-ordered (first index fastest) elements into C order.
    private static func fortranToC(_ storage: NDArray.Storage, shape: [Int]) -> NDArray.Storage {
        let rank = shape.count
        var fortranStride = [Int](repeating: 1, count: rank)
        for k in 1..<rank { fortranStride[k] = fortranStride[k - 1] * shape[k - 1] }
        let count = NDArray.elementCount(of: shape)
        var sourceIndex = [Int](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: rank)
        for c in 0..<count {
            var offset = 0
            for k in 0..<rank { offset += index[k] * fortranStride[k] }
            sourceIndex[c] = offset
            // Odometer over the C-order multi-index (last dimension fastest).
            var k = rank - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < shape[k] { break }
                index[k] = 0
                k -= 1
            }
        }
        func permute<T>(_ v: [T]) -> [T] { sourceIndex.map { v[$0] } }
        switch storage {
        case .int8(let v): return .int8(permute(v))
        case .uint8(let v): return .uint8(permute(v))
        case .int16(let v): return .int16(permute(v))
        case .int32(let v): return .int32(permute(v))
        case .float32(let v): return .float32(permute(v))
        case .float64(let v): return .float64(permute(v))
        }
    }

    static func parseDescr(_ descr: String) throws(NPYProblem) -> (DType, bigEndian: Bool) {
        guard let first = descr.first else { throw .unsupportedDType(descr) }
        var order = first
        var body = Substring(descr)
        if "<>|=".contains(first) {
            body = body.dropFirst()
        } else {
            order = "="
        }
        let bigEndian = order == ">"
        switch body {
        case "i1", "b": return (.int8, false)
        case "u1", "B": return (.uint8, false)
        case "i2": return (.int16, bigEndian)
        case "i4": return (.int32, bigEndian)
        case "f4": return (.float32, bigEndian)
        case "f8": return (.float64, bigEndian)
        default: throw .unsupportedDType(descr)
        }
    }

    // MARK: Header parsing (a Python dict literal)

    struct Header {
        var descr: String
        var fortranOrder: Bool
        var shape: [Int]
    }

    static func parseHeader(_ text: String) throws(NPYProblem) -> Header {
        var parser = LiteralParser(Array(text.utf8))
        let dict = try parser.parseDict()
        guard case .string(let descr)? = dict["descr"] else {
            if dict["descr"] != nil {
                throw .unsupportedDType("structured dtype")
            }
            throw .badHeader("no 'descr' key")
        }
        guard case .bool(let fortran)? = dict["fortran_order"] else {
            throw .badHeader("no 'fortran_order' key")
        }
        guard case .tuple(let shape)? = dict["shape"] else {
            throw .badHeader("no 'shape' tuple")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw .badHeader("negative dimension in shape \(shape)")
        }
        return Header(descr: descr, fortranOrder: fortran, shape: shape)
    }

    enum Literal: Equatable {
        case string(String)
        case bool(Bool)
        case tuple([Int])
        case other
    }

    struct LiteralParser {
        let bytes: [UInt8]
        var i = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x09 {
                i += 1
            }
        }

        mutating func expect(_ c: UInt8) throws(NPYProblem) {
            skipSpace()
            guard i < bytes.count, bytes[i] == c else {
                throw .badHeader("expected '\(Character(UnicodeScalar(c)))' at byte \(i)")
            }
            i += 1
        }

        mutating func peek() -> UInt8? {
            skipSpace()
            return i < bytes.count ? bytes[i] : nil
        }

        mutating func parseDict() throws(NPYProblem) -> [String: Literal] {
            try expect(UInt8(ascii: "{"))
            var result: [String: Literal] = [:]
            while peek() != UInt8(ascii: "}") {
                guard case .string(let key) = try parseValue() else {
                    throw .badHeader("dictionary key is not a string")
                }
                try expect(UInt8(ascii: ":"))
                result[key] = try parseValue()
                if peek() == UInt8(ascii: ",") { i += 1 }
                guard peek() != nil else { throw .badHeader("dictionary is not closed") }
            }
            i += 1
            return result
        }

        mutating func parseValue() throws(NPYProblem) -> Literal {
            guard let c = peek() else { throw .badHeader("value missing") }
            switch c {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                i += 1
                let start = i
                while i < bytes.count, bytes[i] != c { i += 1 }
                guard i < bytes.count else { throw .badHeader("string is not closed") }
                let s = String(decoding: bytes[start..<i], as: UTF8.self)
                i += 1
                return .string(s)
            case UInt8(ascii: "("):
                i += 1
                var values: [Int] = []
                while peek() != UInt8(ascii: ")") {
                    values.append(try parseInt())
                    if peek() == UInt8(ascii: ",") { i += 1 }
                    guard peek() != nil else { throw .badHeader("tuple is not closed") }
                }
                i += 1
                return .tuple(values)
            case UInt8(ascii: "T"), UInt8(ascii: "F"):
                let word = readWord()
                if word == "True" { return .bool(true) }
                if word == "False" { return .bool(false) }
                throw .badHeader("unknown word '\(word)'")
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                // Structured dtypes use a list for 'descr'; skip it balanced.
                var depth = 0
                repeat {
                    if bytes[i] == UInt8(ascii: "[") || bytes[i] == UInt8(ascii: "{")
                        || bytes[i] == UInt8(ascii: "(")
                    {
                        depth += 1
                    }
                    if bytes[i] == UInt8(ascii: "]") || bytes[i] == UInt8(ascii: "}")
                        || bytes[i] == UInt8(ascii: ")")
                    {
                        depth -= 1
                    }
                    i += 1
                } while depth > 0 && i < bytes.count
                return .other
            default:
                _ = try parseInt()
                return .other
            }
        }

        mutating func readWord() -> String {
            let start = i
            while i < bytes.count,
                bytes[i] >= UInt8(ascii: "A") && bytes[i] <= UInt8(ascii: "z")
            {
                i += 1
            }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        mutating func parseInt() throws(NPYProblem) -> Int {
            skipSpace()
            let start = i
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                i += 1
            }
            guard let value = Int(String(decoding: bytes[start..<i], as: UTF8.self)) else {
                throw .badHeader("expected an integer at byte \(start)")
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "L") { i += 1 }  // Python 2 longs
            return value
        }
    }
}
