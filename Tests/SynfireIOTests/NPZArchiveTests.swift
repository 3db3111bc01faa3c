import Foundation
import Testing

@testable import SynfireArrays
@testable import SynfireIO

/// The value formulas of Fixtures/make_fixtures.py, recomputed here.
enum FixtureValues {
    static let shapes: [Int: [Int]] = [0: [], 1: [5], 2: [3, 4], 3: [2, 3, 4], 4: [2, 1, 3, 2]]

    static func array(_ dtype: DType, shape: [Int]) -> NDArray {
        let n = NDArray.elementCount(of: shape)
        let i = (0..<n).map { Int64($0) }
        let storage: NDArray.Storage
        switch dtype {
        case .int8: storage = .int8(i.map { Int8(($0 * 37) % 256 - 128) })
        case .uint8: storage = .uint8(i.map { UInt8(($0 * 53) % 256) })
        case .int16: storage = .int16(i.map { Int16($0 * 1000 - 30000) })
        case .int32: storage = .int32(i.map { Int32($0 * 100003 - 2_000_000_000) })
        case .float32: storage = .float32(i.map { Float($0) / Float(7) })
        case .float64: storage = .float64(i.map { Double($0) / 3.0 - 1.5 })
        }
        return try! NDArray(shape: shape, storage: storage)
    }
}

struct DTypeRankCase: CustomTestStringConvertible, Sendable {
    var dtype: DType
    var rank: Int
    var compression: NPZCompression
    var testDescription: String { "\(dtype) rank \(rank) \(compression)" }

    static let all: [DTypeRankCase] = DType.allCases.flatMap { dtype in
        (0...4).flatMap { rank in
            NPZCompression.allCases.map {
                DTypeRankCase(dtype: dtype, rank: rank, compression: $0)
            }
        }
    }
}

@Suite("NPZ read/write")
struct NPZArchiveTests {
    @Test(
        "round trip through a file for every dtype, rank and compression",
        arguments: DTypeRankCase.all)
    func roundTrip(_ c: DTypeRankCase) throws {
        let shape = FixtureValues.shapes[c.rank]!
        let array = FixtureValues.array(c.dtype, shape: shape)
        let other = FixtureValues.array(.float64, shape: [2, 2])
        let archive = NPZArchive([("a", array), ("b", other)])
        let dir = try TestSupport.scratchDirectory()
        let path = dir + "/x.npz"
        try archive.write(to: path, compression: c.compression)
        let loaded = try NPZArchive.read(from: path)
        #expect(loaded.names == ["a", "b"])
        let a = try #require(loaded["a"])
        #expect(a.shape == shape)
        #expect(a.dtype == c.dtype)
        #expect(a.isBitIdentical(to: array))
        #expect(loaded == archive)
    }

    @Test("large arrays and extreme values survive deflate bit-exactly")
    func extremes() throws {
        let floats: [Float] =
            [
                .nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude,
                .greatestFiniteMagnitude,
            ] + (0..<100_000).map { Float($0 % 977) * 0.001 }
        let ints: [Int32] = [.min, .max, 0, -1] + (0..<5000).map { Int32($0 * 7919) }
        let int16s: [Int16] = [.min, .max, 0, -1]
        let int8s: [Int8] = [.min, .max, 0, -1]
        let archive = NPZArchive([
            ("f", .vector(.float32(floats))), ("i", .vector(.int32(ints))),
            ("h", .vector(.int16(int16s))), ("b", .vector(.int8(int8s))),
            ("empty", try NDArray(shape: [0, 7], float64: [])),
        ])
        for compression in NPZCompression.allCases {
            let bytes = try archive.encoded(compression: compression)
            let loaded = try NPZArchive(bytes: bytes, path: "mem.npz")
            #expect(try loaded.array("f").isBitIdentical(to: archive["f"]!))
            #expect(try loaded.int32("i") == ints)
            #expect(try loaded.int16("h") == int16s)
            #expect(try loaded.int8("b") == int8s)
            #expect(try loaded.array("empty").shape == [0, 7])
        }
        let stored = try archive.encoded(compression: .stored)
        let deflated = try archive.encoded(compression: .deflated)
        #expect(deflated.count < stored.count / 2)
    }

    @Test("same arrays give byte-identical files (fixed zip timestamps)")
    func deterministic() throws {
        let archive = NPZArchive([("w", FixtureValues.array(.float32, shape: [3, 4]))])
        #expect(
            try archive.encoded(compression: .deflated)
                == archive.encoded(compression: .deflated))
    }

    @Test(
        "numpy-written npz fixtures load with the right values",
        arguments: ["numpy_savez.npz", "numpy_savez_compressed.npz"])
    func numpyFixtures(_ file: String) throws {
        let archive = try NPZArchive.read(from: TestSupport.fixture(file))
        for dtype in DType.allCases {
            for (rank, shape) in FixtureValues.shapes {
                let name = "\(dtype.rawValue)_r\(rank)"
                let loaded = try archive.array(name, dtype: dtype, shape: shape)
                #expect(
                    loaded.isBitIdentical(to: FixtureValues.array(dtype, shape: shape)),
                    "\(name) differs")
            }
        }
        #expect(try archive.array("empty_f32", dtype: .float32, shape: [0, 3]).count == 0)
        let specials = try archive.float64("specials_f64", shape: [5])
        #expect(specials[0].isNaN)
        #expect(specials[1] == .infinity && specials[2] == -.infinity)
        #expect(specials[3] == 0 && specials[3].sign == .minus)
        #expect(specials[4] == .leastNonzeroMagnitude)
        #expect(archive.names.count == 6 * 5 + 2)
    }

    @Test("our .npy encoding is byte-identical to numpy's np.save")
    func npyBytesMatchNumpy() throws {
        let entries = try ZipContainer.read(
            TestSupport.bytes(TestSupport.fixture("numpy_savez.npz")))
        #expect(entries.count == 32)
        for entry in entries {
            let array = try NPYFormat.decode(entry.data)
            #expect(NPYFormat.encode(array) == entry.data, "\(entry.name)")
        }
    }

    @Test("big-endian and Fortran-ordered numpy arrays load in C order")
    func numpyLayouts() throws {
        let archive = try NPZArchive.read(from: TestSupport.fixture("numpy_layouts.npz"))
        #expect(
            try archive.array("big_endian_i4", dtype: .int32, shape: [3, 4])
                == FixtureValues.array(.int32, shape: [3, 4]))
        #expect(
            try archive.array("fortran_f8", dtype: .float64, shape: [2, 3, 4])
                == FixtureValues.array(.float64, shape: [2, 3, 4]))
    }

    @Test("an unsupported dtype names the file, the entry and the fix")
    func unsupportedDType() throws {
        let path = TestSupport.fixture("numpy_int64.npz")
        let error = try #require(throws: NPZError.self) { try NPZArchive.read(from: path) }
        #expect(
            error
                == .badArray(
                    path: path, entry: "counts.npy",
                    problem: .unsupportedDType("<i8")))
        #expect(error.description.contains(path))
        #expect(error.description.contains("astype"))
    }

    @Test("wrong dtype, wrong shape and missing arrays give clear errors")
    func checkedAccess() throws {
        let path = TestSupport.fixture("numpy_savez.npz")
        let archive = try NPZArchive.read(from: path)
        let dtypeError = try #require(throws: NPZError.self) {
            try archive.float32("int8_r2")
        }
        #expect(
            dtypeError
                == .wrongDType(
                    path: path, name: "int8_r2", expected: .float32,
                    found: .int8))
        #expect(dtypeError.description.contains(path))
        let shapeError = try #require(throws: NPZError.self) {
            try archive.int8("int8_r2", shape: [4, 3])
        }
        #expect(
            shapeError
                == .wrongShape(
                    path: path, name: "int8_r2", expected: [4, 3],
                    found: [3, 4]))
        #expect(shapeError.description.contains(path))
        #expect(try archive.int8("int8_r2", shape: [-1, 4]).count == 12)
        let missing = try #require(throws: NPZError.self) { try archive.array("w9") }
        guard case .missingArray(let p, "w9", let available) = missing else {
            Issue.record("unexpected \(missing)")
            return
        }
        #expect(p == path && available.contains("int8_r0"))
    }

    @Test(
        "every truncation of a stored or deflated npz is a clear error, never a crash",
        arguments: ["numpy_savez.npz", "numpy_savez_compressed.npz"])
    func truncated(_ file: String) throws {
        let full = try TestSupport.bytes(TestSupport.fixture(file))
        var cut = 0
        while cut < full.count {
            let error = try #require(throws: NPZError.self) {
                try NPZArchive(bytes: Array(full[0..<cut]), path: "cut.npz")
            }
            #expect(error.description.hasPrefix("cut.npz: "))
            cut += 37
        }
        // A file cut off at its end record on disk, read by path.
        let dir = try TestSupport.scratchDirectory()
        let path = dir + "/weights.npz"
        try Data(full[0..<(full.count - 10)]).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: NPZError.self) { try NPZArchive.read(from: path) }
        guard case .truncated(path, _) = error else {
            Issue.record("expected .truncated, got \(error)")
            return
        }
        #expect(error.description.contains("truncated"))
    }

    @Test(
        "flipped data bytes are caught by the CRC or the inflater",
        arguments: NPZCompression.allCases)
    func corrupt(_ compression: NPZCompression) throws {
        let archive = NPZArchive([("w", FixtureValues.array(.int32, shape: [40, 40]))])
        var bytes = try archive.encoded(compression: compression)
        bytes[bytes.count / 3] ^= 0x5A
        let error = try #require(throws: NPZError.self) {
            try NPZArchive(bytes: bytes, path: "bad.npz")
        }
        guard case .corruptEntry("bad.npz", "w.npy", _) = error else {
            Issue.record("expected .corruptEntry, got \(error)")
            return
        }
    }

    @Test("a file that is not a zip, and a missing file, are named in the error")
    func notAZip() throws {
        let error = try #require(throws: NPZError.self) {
            try NPZArchive(bytes: Array(repeating: 7, count: 100), path: "junk.npz")
        }
        guard case .notNPZ("junk.npz", _) = error else {
            Issue.record("expected .notNPZ, got \(error)")
            return
        }
        let missing = try #require(throws: NPZError.self) {
            try NPZArchive.read(from: "/nonexistent/w.npz")
        }
        #expect(missing.description.contains("/nonexistent/w.npz"))
    }

    @Test("NDArray refuses a shape that does not match the element count")
    func shapeMismatch() throws {
        #expect(throws: NDArrayError.countMismatch(shape: [2, 3], count: 5)) {
            try NDArray(shape: [2, 3], int32: [1, 2, 3, 4, 5])
        }
        #expect(throws: NDArrayError.self) { try NDArray(shape: [-1], int8: []) }
        let matrix = try NDArray.vector(.int16([1, 2, 3, 4, 5, 6])).reshaped([2, 3])
        #expect(matrix.shape == [2, 3] && matrix.int16Values == [1, 2, 3, 4, 5, 6])
        #expect(throws: NDArrayError.countMismatch(shape: [4], count: 6)) {
            try matrix.reshaped([4])
        }
    }

    @Test(
        "numpy loads what Synfire writes (stored and deflated)",
        .enabled(if: TestSupport.pythonWithNumpy != nil, "needs python3 with numpy"))
    func numpyReadsOurFiles() throws {
        let dir = try TestSupport.scratchDirectory()
        var archive = NPZArchive()
        for dtype in DType.allCases {
            archive["\(dtype.rawValue)_r3"] = FixtureValues.array(dtype, shape: [2, 3, 4])
        }
        try archive.write(to: dir + "/stored.npz", compression: .stored)
        try archive.write(to: dir + "/deflated.npz", compression: .deflated)
        let script = """
            import sys, numpy as np
            sys.path.insert(0, sys.argv[1])
            from make_fixtures import values
            for f in ("stored.npz", "deflated.npz"):
                z = np.load(sys.argv[2] + "/" + f)
                assert len(z.files) == 6, z.files
                for d in ["int8", "uint8", "int16", "int32", "float32", "float64"]:
                    a = z[d + "_r3"]
                    assert a.dtype == np.dtype(d) and a.shape == (2, 3, 4), (d, a.dtype, a.shape)
                    assert a.flags.c_contiguous
                    assert (a.ravel() == values(d, 24)).all(), d
            print("ok")
            """
        let result = try TestSupport.run(
            TestSupport.pythonWithNumpy!, ["-c", script, TestSupport.fixtures, dir])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("ok"))
    }
}
