import Foundation
import Testing

@testable import SynfireNIR

@Suite struct HDF5Tests {
    @Test func treeRoundTripsThroughTheCLibrary() throws {
        let dir = try temporaryDirectory()
        var root = HDF5Group()
        root["version"] = .dataset(.string("1.0.8"))
        root["scalar"] = .dataset(.scalar(2.5))
        root["count"] = .dataset(.scalar(7))
        root["matrix"] = .dataset(.float32([1, -2, 3.5, 4, 5, 6], shape: [2, 3]))
        root["ints"] = .dataset(.int64([1, 2, 3]))
        root["empty"] = .dataset(.float64([], shape: [0]))
        var nested = HDF5Group()
        nested["names"] = .dataset(HDF5Dataset(shape: [2, 2], element: .string, strings: ["a", "b", "ünï", "d"]))
        root["group"] = .group(nested)
        let path = dir + "/tree.h5"
        try HDF5Writer.write(root, to: path)
        let back = try HDF5Reader.read(path: path)
        #expect(back == root)
    }

    @Test func missingCorruptAndTruncatedFilesAreRefusedNamingTheFile() throws {
        let dir = try temporaryDirectory()
        let corrupt = dir + "/corrupt.nir"
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 * 7) }).write(to: URL(fileURLWithPath: corrupt))
        let original = try Data(contentsOf: URL(fileURLWithPath: try fixture("lif_linear")))
        let truncated = dir + "/truncated.nir"
        try original.prefix(original.count / 3).write(to: URL(fileURLWithPath: truncated))
        for path in [dir + "/missing.nir", corrupt, truncated] {
            let error = #expect(throws: NIRError.self) { try NIRFile.read(path: path) }
            #expect(error?.description.contains(path) == true)
            #expect(error?.description.contains("not a NIR file") == true)
        }
    }
}
