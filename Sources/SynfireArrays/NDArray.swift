// NDArray: a typed, C-ordered n-dimensional array value, the unit SynfireIO stores in .npz.
//
// API
//   NDArray(shape: [Int], storage: NDArray.Storage) throws  // element count must match shape
//   NDArray(shape:, int8:/int16:/int32:/uint8:/float32:/float64:) throws
//   NDArray.vector(.int32([1, 2, 3]))                        // rank 1, never throws
//   .shape, .storage, .dtype (DType), .count, .rank
//   .int8Values / .int16Values / .int32Values / .uint8Values / .float32Values / .float64Values
//       -> [T]? (nil when the dtype differs; NPZArchive's typed accessors throw errors
//          that name the file instead)
//   .isBitIdentical(to:)  — floats compared by bit pattern (resume / round-trip checks)
//   .reshaped([rows, columns]) throws  — same elements, new shape
//   DType: .int8 .int16 .int32 .uint8 .float32 .float64, .descr ("<i4"), .byteWidth
//
// Element order is always C order (last index fastest), numpy's default. A rank-0
// array (shape []) holds exactly one element.

/// The element types SynfireIO reads and writes (numpy's dtype names as raw values).
public enum DType: String, CaseIterable, Sendable, Codable {
    case int8, int16, int32, uint8, float32, float64

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .int8, .uint8: 1
        case .int16: 2
        case .int32, .float32: 4
        case .float64: 8
        }
    }

    /// The little-endian numpy type string written into .npy headers.
    public var descr: String {
        switch self {
        case .int8: "|i1"
        case .uint8: "|u1"
        case .int16: "<i2"
        case .int32: "<i4"
        case .float32: "<f4"
        case .float64: "<f8"
        }
    }
}

/// A rank-N array of one of the `DType`s, stored flat in C order.
public struct NDArray: Equatable, Sendable {
    /// The flat element storage; the case is the dtype.
    public enum Storage: Equatable, Sendable {
        case int8([Int8])
        case int16([Int16])
        case int32([Int32])
        case uint8([UInt8])
        case float32([Float])
        case float64([Double])

        public var dtype: DType {
            switch self {
            case .int8: .int8
            case .int16: .int16
            case .int32: .int32
            case .uint8: .uint8
            case .float32: .float32
            case .float64: .float64
            }
        }

        public var count: Int {
            switch self {
            case .int8(let v): v.count
            case .int16(let v): v.count
            case .int32(let v): v.count
            case .uint8(let v): v.count
            case .float32(let v): v.count
            case .float64(let v): v.count
            }
        }

        /// Every element as a Double; exact for every dtype (all fit in a Double's 53 bits).
        public var doubles: [Double] {
            switch self {
            case .int8(let v): v.map(Double.init)
            case .int16(let v): v.map(Double.init)
            case .int32(let v): v.map(Double.init)
            case .uint8(let v): v.map(Double.init)
            case .float32(let v): v.map(Double.init)
            case .float64(let v): v
            }
        }
    }

    public let shape: [Int]
    public let storage: Storage

    /// Creates an array; `storage.count` must equal the product of `shape` (1 for rank 0).
    public init(shape: [Int], storage: Storage) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw NDArrayError.negativeDimension(shape: shape)
        }
        let expected = NDArray.elementCount(of: shape)
        guard expected == storage.count else {
            throw NDArrayError.countMismatch(shape: shape, count: storage.count)
        }
        self.shape = shape
        self.storage = storage
    }

    public init(shape: [Int], int8 values: [Int8]) throws {
        try self.init(shape: shape, storage: .int8(values))
    }
    public init(shape: [Int], int16 values: [Int16]) throws {
        try self.init(shape: shape, storage: .int16(values))
    }
    public init(shape: [Int], int32 values: [Int32]) throws {
        try self.init(shape: shape, storage: .int32(values))
    }
    public init(shape: [Int], uint8 values: [UInt8]) throws {
        try self.init(shape: shape, storage: .uint8(values))
    }
    public init(shape: [Int], float32 values: [Float]) throws {
        try self.init(shape: shape, storage: .float32(values))
    }
    public init(shape: [Int], float64 values: [Double]) throws {
        try self.init(shape: shape, storage: .float64(values))
    }

    /// A one-dimensional array (shape `[count]`); cannot fail.
    public static func vector(_ storage: Storage) -> NDArray {
        NDArray(unchecked: [storage.count], storage)
    }

    /// Internal initialiser for callers that already validated the count.
    init(unchecked shape: [Int], _ storage: Storage) {
        self.shape = shape
        self.storage = storage
    }

    /// The same elements under another shape with the same element count (C order kept).
    public func reshaped(_ newShape: [Int]) throws -> NDArray {
        try NDArray(shape: newShape, storage: storage)
    }

    public var dtype: DType { storage.dtype }
    public var rank: Int { shape.count }
    public var count: Int { storage.count }

    public var int8Values: [Int8]? { if case .int8(let v) = storage { v } else { nil } }
    public var int16Values: [Int16]? { if case .int16(let v) = storage { v } else { nil } }
    public var int32Values: [Int32]? { if case .int32(let v) = storage { v } else { nil } }
    public var uint8Values: [UInt8]? { if case .uint8(let v) = storage { v } else { nil } }
    public var float32Values: [Float]? { if case .float32(let v) = storage { v } else { nil } }
    public var float64Values: [Double]? { if case .float64(let v) = storage { v } else { nil } }

    /// Product of the dimensions; 1 for a scalar (rank 0).
    public static func elementCount(of shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// Bitwise equality: floats compare by bit pattern, so NaN == NaN and -0 != +0.
    /// Use this to check bit-exact round trips and resumed weights.
    public func isBitIdentical(to other: NDArray) -> Bool {
        guard shape == other.shape else { return false }
        switch (storage, other.storage) {
        case (.float32(let a), .float32(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
        case (.float64(let a), .float64(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
        default:
            return storage == other.storage
        }
    }
}

/// Errors building an `NDArray` in memory.
public enum NDArrayError: Error, CustomStringConvertible, Equatable {
    case negativeDimension(shape: [Int])
    case countMismatch(shape: [Int], count: Int)

    public var description: String {
        switch self {
        case .negativeDimension(let shape):
            "array shape \(shape) has a negative dimension — every dimension must be >= 0"
        case .countMismatch(let shape, let count):
            "array shape \(shape) needs \(NDArray.elementCount(of: shape)) elements but "
                + "\(count) were given — pass a shape whose product equals the element count"
        }
    }
}
