// NPZArchive: numpy's .npz (a zip of .npy arrays) — read what np.savez / np.savez_compressed
// write, write what np.load reads.
//
// API
//   var archive = NPZArchive()
//   archive["w1"] = try NDArray(shape: [784, 100], float32: weights)   // insertion-ordered
//   try archive.write(to: "run/weights.npz", compression: .deflated)    // atomic (AtomicFile)
//   let bytes = try archive.encoded(compression: .stored)
//
//   let loaded = try NPZArchive.read(from: "run/weights.npz")    // stored or deflated entries
//   loaded.names                                                 // ["w1", ...] in file order
//   loaded["w1"]                                                 // NDArray?
//   try loaded.array("w1")                                       // throws .missingArray
//   try loaded.float32("w1", shape: [784, 100])                  // dtype + shape checked;
//   try loaded.int8 / int16 / int32 / uint8 / float64(...)       // -1 in shape = any size
//
// Every error is an `NPZError` whose message names the file, the entry and the fix.
// Entry names are the array names plus ".npy" (numpy strips that suffix on load).

/// How `NPZArchive.write` stores entries.
public enum NPZCompression: String, Sendable, Codable, CaseIterable {
    /// Method 0, like `np.savez`.
    case stored
    /// Method 8 via zlib, like `np.savez_compressed`.
    case deflated
}

/// Errors reading or writing .npz files; every message names the file.
public enum NPZError: Error, CustomStringConvertible, Equatable {
    case cannotRead(path: String, reason: String)
    case truncated(path: String, detail: String)
    case notNPZ(path: String, detail: String)
    case corruptEntry(path: String, entry: String, detail: String)
    case badArray(path: String, entry: String, problem: NPYProblem)
    case missingArray(path: String, name: String, available: [String])
    case wrongDType(path: String, name: String, expected: DType, found: DType)
    case wrongShape(path: String, name: String, expected: [Int], found: [Int])
    case tooLarge(path: String, entry: String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason):
            return "\(path): cannot read (\(reason)) — check the path and permissions"
        case .truncated(let path, let detail):
            return "\(path): the .npz file is truncated (\(detail)) — it was probably cut off "
                + "by a crash or an incomplete copy; restore or re-create it"
        case .notNPZ(let path, let detail):
            return "\(path): not a valid .npz file (\(detail)) — pass a file written by "
                + "np.savez / np.savez_compressed or by Synfire"
        case .corruptEntry(let path, let entry, let detail):
            return "\(path): entry '\(entry)' is corrupt (\(detail)) — the file is damaged; "
                + "restore or re-create it"
        case .badArray(let path, let entry, let problem):
            return "\(path): entry '\(entry)' \(problem)"
        case .missingArray(let path, let name, let available):
            let list = available.isEmpty ? "none" : available.joined(separator: ", ")
            return "\(path): no array named '\(name)' (the file holds: \(list)) — pass a file "
                + "saved by the same model, or check the array name"
        case .wrongDType(let path, let name, let expected, let found):
            return "\(path): array '\(name)' is \(found.rawValue) but \(expected.rawValue) is "
                + "required — convert it (np.savez(..., \(name)=a.astype(np.\(expected.rawValue))))"
        case .wrongShape(let path, let name, let expected, let found):
            let shown = expected.map { $0 < 0 ? "any" : String($0) }.joined(separator: ", ")
            return "\(path): array '\(name)' has shape \(found) but the model needs [\(shown)] "
                + "— load weights saved for the same network size"
        case .tooLarge(let path, let entry):
            return "\(path): entry '\(entry)' exceeds 4 GiB or the file exceeds 65535 arrays, "
                + "which this writer does not support — split the arrays over several files"
        }
    }
}

/// An ordered collection of named arrays, read from or written to a .npz file.
public struct NPZArchive: Equatable, Sendable {
    /// The file this archive was read from (used in error messages), if any.
    public let path: String?
    public private(set) var names: [String] = []
    private var arrays: [String: NDArray] = [:]

    public init() { path = nil }

    /// An empty archive whose errors name `path` (e.g. arrays taken from a checkpoint).
    public init(path: String) { self.path = path }

    /// Builds an archive from (name, array) pairs, keeping their order.
    public init(_ pairs: [(String, NDArray)]) {
        path = nil
        for (name, array) in pairs { self[name] = array }
    }

    /// Decodes .npz bytes; `path` is only used in error messages.
    public init(bytes: [UInt8], path: String) throws {
        self.path = path
        let entries: [ZipEntry]
        do {
            entries = try ZipContainer.read(bytes)
        } catch let problem as ZipProblem {
            throw NPZArchive.translate(problem, path: path)
        }
        for entry in entries {
            let name = entry.name.hasSuffix(".npy") ? String(entry.name.dropLast(4)) : entry.name
            do {
                self[name] = try NPYFormat.decode(entry.data)
            } catch {
                throw NPZError.badArray(path: path, entry: entry.name, problem: error)
            }
        }
    }

    /// Reads and decodes a .npz file.
    public static func read(from path: String) throws -> NPZArchive {
        let bytes: [UInt8]
        do {
            bytes = try AtomicFile.read(path)
        } catch FileWriteError.cannotRead(_, let reason) {
            throw NPZError.cannotRead(path: path, reason: reason)
        }
        return try NPZArchive(bytes: bytes, path: path)
    }

    public var isEmpty: Bool { names.isEmpty }

    public subscript(name: String) -> NDArray? {
        get { arrays[name] }
        set {
            if let newValue {
                if arrays.updateValue(newValue, forKey: name) == nil { names.append(name) }
            } else if arrays.removeValue(forKey: name) != nil {
                names.removeAll { $0 == name }
            }
        }
    }

    /// The zip bytes numpy would read, entries in insertion order.
    public func encoded(compression: NPZCompression = .stored) throws -> [UInt8] {
        let entries = names.map { ZipEntry(name: $0 + ".npy", data: NPYFormat.encode(arrays[$0]!)) }
        do {
            return try ZipContainer.write(
                entries, method: compression == .stored ? .stored : .deflate)
        } catch ZipProblem.tooLarge(let entry) {
            throw NPZError.tooLarge(path: path ?? "<memory>", entry: entry)
        }
    }

    /// Writes the archive atomically (temporary file + fsync + rename).
    public func write(to path: String, compression: NPZCompression = .stored) throws {
        let bytes: [UInt8]
        do {
            bytes = try encoded(compression: compression)
        } catch NPZError.tooLarge(_, let entry) {
            throw NPZError.tooLarge(path: path, entry: entry)
        }
        try AtomicFile.write(bytes: bytes, to: path)
    }

    // MARK: Checked access

    private var displayPath: String { path ?? "<in-memory npz>" }

    public func array(_ name: String) throws -> NDArray {
        guard let array = arrays[name] else {
            throw NPZError.missingArray(path: displayPath, name: name, available: names)
        }
        return array
    }

    /// The array `name`, checked against `dtype` and (if given) `shape`, where -1 matches
    /// any size in that dimension.
    public func array(_ name: String, dtype: DType, shape: [Int]? = nil) throws -> NDArray {
        let array = try array(name)
        guard array.dtype == dtype else {
            throw NPZError.wrongDType(
                path: displayPath, name: name, expected: dtype, found: array.dtype)
        }
        if let shape {
            let matches =
                shape.count == array.shape.count
                && zip(shape, array.shape).allSatisfy { $0 < 0 || $0 == $1 }
            guard matches else {
                throw NPZError.wrongShape(
                    path: displayPath, name: name, expected: shape, found: array.shape)
            }
        }
        return array
    }

    public func int8(_ name: String, shape: [Int]? = nil) throws -> [Int8] {
        try array(name, dtype: .int8, shape: shape).int8Values!
    }
    public func int16(_ name: String, shape: [Int]? = nil) throws -> [Int16] {
        try array(name, dtype: .int16, shape: shape).int16Values!
    }
    public func int32(_ name: String, shape: [Int]? = nil) throws -> [Int32] {
        try array(name, dtype: .int32, shape: shape).int32Values!
    }
    public func uint8(_ name: String, shape: [Int]? = nil) throws -> [UInt8] {
        try array(name, dtype: .uint8, shape: shape).uint8Values!
    }
    public func float32(_ name: String, shape: [Int]? = nil) throws -> [Float] {
        try array(name, dtype: .float32, shape: shape).float32Values!
    }
    public func float64(_ name: String, shape: [Int]? = nil) throws -> [Double] {
        try array(name, dtype: .float64, shape: shape).float64Values!
    }

    public static func == (lhs: NPZArchive, rhs: NPZArchive) -> Bool {
        lhs.names == rhs.names && lhs.arrays == rhs.arrays
    }

    private static func translate(_ problem: ZipProblem, path: String) -> NPZError {
        switch problem {
        case .truncated(let detail):
            return .truncated(path: path, detail: detail)
        case .malformed(let detail):
            return .notNPZ(path: path, detail: detail)
        case .unsupportedMethod(let entry, let method):
            return .corruptEntry(
                path: path, entry: entry,
                detail: "compression method \(method) is not supported; only stored (0) and "
                    + "deflate (8), as numpy writes")
        case .encrypted(let entry):
            return .corruptEntry(path: path, entry: entry, detail: "it is encrypted")
        case .crcMismatch(let entry, let stored, let computed):
            return .corruptEntry(
                path: path, entry: entry,
                detail: "CRC-32 is \(hex(computed)) but the archive records \(hex(stored))")
        case .inflateFailed(let entry, let error):
            if error == .truncatedStream {
                return .truncated(path: path, detail: "entry '\(entry)': \(error)")
            }
            return .corruptEntry(path: path, entry: entry, detail: error.description)
        case .tooLarge(let entry):
            return .tooLarge(path: path, entry: entry)
        }
    }

    private static func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
