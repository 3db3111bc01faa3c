// An HDF5 file as a plain value: groups of named children, datasets with a shape and
// numbers or strings. NIR files are small trees of this kind, so the whole file is read
// into memory once (HDF5Reader) and written from a tree (HDF5Writer); nothing else in
// SynfireNIR touches the C library.

/// Element type of a dataset as stored in the file.
public enum HDF5Element: String, Sendable, Equatable {
    case float32, float64, int64, string, bool
}

/// One dataset: shape (empty for a scalar) and its values in row-major order.
public struct HDF5Dataset: Sendable, Equatable {
    public var shape: [Int]
    public var element: HDF5Element
    /// Values of numeric and boolean datasets.
    public var numbers: [Double]
    /// Values of string datasets.
    public var strings: [String]

    public init(shape: [Int], element: HDF5Element, numbers: [Double] = [], strings: [String] = []) {
        self.shape = shape
        self.element = element
        self.numbers = numbers
        self.strings = strings
    }

    public static func float64(_ values: [Double], shape: [Int]? = nil) -> HDF5Dataset {
        HDF5Dataset(shape: shape ?? [values.count], element: .float64, numbers: values)
    }

    public static func float32(_ values: [Double], shape: [Int]? = nil) -> HDF5Dataset {
        HDF5Dataset(shape: shape ?? [values.count], element: .float32, numbers: values.map { Double(Float($0)) })
    }

    public static func int64(_ values: [Int], shape: [Int]? = nil) -> HDF5Dataset {
        HDF5Dataset(shape: shape ?? [values.count], element: .int64, numbers: values.map(Double.init))
    }

    public static func scalar(_ value: Int) -> HDF5Dataset {
        HDF5Dataset(shape: [], element: .int64, numbers: [Double(value)])
    }

    public static func scalar(_ value: Double) -> HDF5Dataset {
        HDF5Dataset(shape: [], element: .float64, numbers: [value])
    }

    public static func string(_ value: String) -> HDF5Dataset {
        HDF5Dataset(shape: [], element: .string, strings: [value])
    }

    public var count: Int { shape.reduce(1, *) }
    public var isString: Bool { element == .string }
}

/// A node of the tree.
public indirect enum HDF5Node: Sendable, Equatable {
    case group(HDF5Group)
    case dataset(HDF5Dataset)
}

/// A group: children by name (HDF5 lists them in name order).
public struct HDF5Group: Sendable, Equatable {
    public var children: [String: HDF5Node]

    public init(_ children: [String: HDF5Node] = [:]) { self.children = children }

    public subscript(name: String) -> HDF5Node? {
        get { children[name] }
        set { children[name] = newValue }
    }

    public func group(_ name: String) -> HDF5Group? {
        if case .group(let g)? = children[name] { return g }
        return nil
    }

    public func dataset(_ name: String) -> HDF5Dataset? {
        if case .dataset(let d)? = children[name] { return d }
        return nil
    }

    public var sortedNames: [String] { children.keys.sorted() }
}

/// Errors of reading or writing HDF5 files.
public enum HDF5Error: Error, CustomStringConvertible, Equatable, Sendable {
    case cannotOpen(path: String)
    case unreadable(path: String, object: String, reason: String)
    case cannotWrite(path: String, object: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path):
            return "\(path) is not a readable HDF5 file (missing, truncated or corrupt); "
                + "write it again with nir.write or check the path"
        case .unreadable(let path, let object, let reason):
            return "\(path): cannot read '\(object)' (\(reason)); the file is damaged or not a NIR file"
        case .cannotWrite(let path, let object):
            return "cannot write '\(object)' into \(path); check the directory exists and is writable"
        }
    }
}
