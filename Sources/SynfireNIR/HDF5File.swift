// Reading and writing `HDF5Group` trees through the HDF5 C library (CHDF5). Every
// identifier the library hands out is closed on the way out of the function that opened
// it; errors are reported as `HDF5Error` with the object's path inside the file.

import CHDF5
import Foundation
import SynfireIO

/// Debian's serial HDF5 is not thread-safe: every call into it holds this lock.
let hdf5Lock = NSLock()

/// Reads a whole HDF5 file into a tree.
public enum HDF5Reader {
    public static func read(path: String) throws -> HDF5Group {
        hdf5Lock.lock()
        defer { hdf5Lock.unlock() }
        chdf5_silence_errors()
        guard FileManager.default.fileExists(atPath: path), H5Fis_hdf5(path) > 0 else {
            throw HDF5Error.cannotOpen(path: path)
        }
        let file = H5Fopen(path, chdf5_read_only(), chdf5_default())
        guard file >= 0 else { throw HDF5Error.cannotOpen(path: path) }
        defer { H5Fclose(file) }
        return try readGroup(file, at: "/", path: path)
    }

    static func readGroup(_ group: hid_t, at location: String, path: String) throws -> HDF5Group {
        var info = H5G_info_t()
        guard H5Gget_info(group, &info) >= 0 else {
            throw HDF5Error.unreadable(path: path, object: location, reason: "group index unreadable")
        }
        var result = HDF5Group()
        for index in 0..<info.nlinks {
            let name = try linkName(group, index: index, location: location, path: path)
            let child = location == "/" ? "/" + name : location + "/" + name
            let object = H5Oopen(group, name, chdf5_default())
            guard object >= 0 else { throw HDF5Error.unreadable(path: path, object: child, reason: "cannot open") }
            defer { H5Oclose(object) }
            switch H5Iget_type(object) {
            case H5I_GROUP: result[name] = .group(try readGroup(object, at: child, path: path))
            case H5I_DATASET: result[name] = .dataset(try readDataset(object, at: child, path: path))
            default: continue  // named data types and other objects carry no NIR content
            }
        }
        return result
    }

    static func linkName(_ group: hid_t, index: hsize_t, location: String, path: String) throws -> String {
        let size = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, chdf5_default())
        guard size >= 0 else { throw HDF5Error.unreadable(path: path, object: location, reason: "link name") }
        var buffer = [CChar](repeating: 0, count: Int(size) + 1)
        _ = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, Int(size) + 1, chdf5_default())
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func readDataset(_ dataset: hid_t, at location: String, path: String) throws -> HDF5Dataset {
        let type = H5Dget_type(dataset)
        let space = H5Dget_space(dataset)
        defer {
            H5Tclose(type)
            H5Sclose(space)
        }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank >= 0 else { throw HDF5Error.unreadable(path: path, object: location, reason: "no dataspace") }
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        if rank > 0 { H5Sget_simple_extent_dims(space, &dims, nil) }
        let shape = rank == 0 ? [] : dims.prefix(rank).map { Int($0) }
        let count = shape.reduce(1, *)
        func failed(_ reason: String) -> HDF5Error { .unreadable(path: path, object: location, reason: reason) }
        switch H5Tget_class(type) {
        case H5T_INTEGER, H5T_FLOAT:
            var values = [Double](repeating: 0, count: count)
            if count > 0 {
                guard H5Dread(dataset, chdf5_native_double(), chdf5_all(), chdf5_all(), chdf5_default(), &values) >= 0
                else { throw failed("data unreadable (truncated file?)") }
            }
            let element: HDF5Element =
                H5Tget_class(type) == H5T_INTEGER ? .int64 : (H5Tget_size(type) <= 4 ? .float32 : .float64)
            return HDF5Dataset(shape: shape, element: element, numbers: values)
        case H5T_ENUM:
            // numpy booleans (h5py writes them as an 8-bit enum FALSE = 0, TRUE = 1).
            guard H5Tget_size(type) == 1 else { throw failed("enumeration wider than one byte") }
            var bytes = [Int8](repeating: 0, count: count)
            if count > 0 {
                guard H5Dread(dataset, type, chdf5_all(), chdf5_all(), chdf5_default(), &bytes) >= 0 else {
                    throw failed("data unreadable (truncated file?)")
                }
            }
            return HDF5Dataset(shape: shape, element: .bool, numbers: bytes.map { Double($0) })
        case H5T_STRING:
            return HDF5Dataset(
                shape: shape, element: .string, strings: try readStrings(dataset, type: type, count: count, failed))
        default:
            throw failed("unsupported element type (not a number, boolean or string)")
        }
    }

    static func readStrings(
        _ dataset: hid_t, type: hid_t, count: Int, _ failed: (String) -> HDF5Error
    ) throws -> [String] {
        let memory = H5Tcopy(chdf5_c_string())
        defer { H5Tclose(memory) }
        H5Tset_cset(memory, H5Tget_cset(type))
        if H5Tis_variable_str(type) > 0 {
            H5Tset_size(memory, chdf5_variable())
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            guard H5Dread(dataset, memory, chdf5_all(), chdf5_all(), chdf5_default(), &pointers) >= 0 else {
                throw failed("strings unreadable (truncated file?)")
            }
            let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
            let space = H5Dget_space(dataset)
            H5Dvlen_reclaim(memory, space, chdf5_default(), &pointers)
            H5Sclose(space)
            return strings
        }
        let width = H5Tget_size(type)
        H5Tset_size(memory, width)
        var bytes = [UInt8](repeating: 0, count: width * count)
        guard count == 0 || H5Dread(dataset, memory, chdf5_all(), chdf5_all(), chdf5_default(), &bytes) >= 0 else {
            throw failed("strings unreadable (truncated file?)")
        }
        return (0..<count).map { k in
            let slice = bytes[(k * width)..<((k + 1) * width)].prefix { $0 != 0 }
            return String(decoding: slice, as: UTF8.self)
        }
    }
}

/// Writes a tree as an HDF5 file: numbers gzip-compressed in chunks (as nir.write does),
/// strings as variable-length UTF-8. Atomic: a temporary file in the same directory is
/// renamed over the target only when everything was written.
public enum HDF5Writer {
    public static func write(_ root: HDF5Group, to path: String) throws {
        hdf5Lock.lock()
        defer { hdf5Lock.unlock() }
        chdf5_silence_errors()
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp").path
        let file = H5Fcreate(temporary, chdf5_truncate(), chdf5_default(), chdf5_default())
        guard file >= 0 else { throw HDF5Error.cannotWrite(path: path, object: "/") }
        do {
            try writeGroup(root, into: file, at: "", path: path)
        } catch {
            H5Fclose(file)
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        guard H5Fclose(file) >= 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw HDF5Error.cannotWrite(path: path, object: "/")
        }
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw HDF5Error.cannotWrite(path: path, object: "/")
        }
    }

    static func writeGroup(_ group: HDF5Group, into parent: hid_t, at location: String, path: String) throws {
        for name in group.sortedNames {
            let child = location + "/" + name
            switch group.children[name]! {
            case .group(let g):
                let id = H5Gcreate2(parent, name, chdf5_default(), chdf5_default(), chdf5_default())
                guard id >= 0 else { throw HDF5Error.cannotWrite(path: path, object: child) }
                defer { H5Gclose(id) }
                try writeGroup(g, into: id, at: child, path: path)
            case .dataset(let d):
                guard writeDataset(d, into: parent, name: name) else {
                    throw HDF5Error.cannotWrite(path: path, object: child)
                }
            }
        }
    }

    static func writeDataset(_ d: HDF5Dataset, into parent: hid_t, name: String) -> Bool {
        var dims = d.shape.map { hsize_t($0) }
        let space = d.shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), &dims, nil)
        defer { H5Sclose(space) }
        let properties = H5Pcreate(chdf5_dataset_create())
        defer { H5Pclose(properties) }
        if !d.isString && !d.shape.isEmpty && d.count > 0 {
            H5Pset_chunk(properties, Int32(dims.count), &dims)
            H5Pset_deflate(properties, 4)
        }
        let fileType: hid_t
        switch d.element {
        case .string:
            fileType = H5Tcopy(chdf5_c_string())
            H5Tset_size(fileType, chdf5_variable())
            H5Tset_cset(fileType, H5T_CSET_UTF8)
        case .float32: fileType = H5Tcopy(chdf5_native_float())
        case .float64: fileType = H5Tcopy(chdf5_native_double())
        case .int64: fileType = H5Tcopy(chdf5_native_int64())
        case .bool: fileType = H5Tcopy(chdf5_native_int8())
        }
        defer { H5Tclose(fileType) }
        let dataset = H5Dcreate2(parent, name, fileType, space, chdf5_default(), properties, chdf5_default())
        guard dataset >= 0 else { return false }
        defer { H5Dclose(dataset) }
        if d.count == 0 { return true }
        switch d.element {
        case .string:
            var copies = d.strings.map { strdup($0) }
            defer { for copy in copies { free(copy) } }
            return H5Dwrite(dataset, fileType, chdf5_all(), chdf5_all(), chdf5_default(), &copies) >= 0
        case .int64, .bool:
            var values = d.numbers.map { Int64($0) }
            return H5Dwrite(dataset, chdf5_native_int64(), chdf5_all(), chdf5_all(), chdf5_default(), &values) >= 0
        case .float32, .float64:
            var values = d.numbers
            return H5Dwrite(dataset, chdf5_native_double(), chdf5_all(), chdf5_all(), chdf5_default(), &values) >= 0
        }
    }
}
