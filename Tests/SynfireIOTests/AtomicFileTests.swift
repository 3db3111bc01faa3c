import Foundation
import Testing

import SynfireArrays
@testable import SynfireIO

@Suite("Atomic file writes")
struct AtomicFileTests {
    @Test("replaces the file and leaves no temporary files behind")
    func replaces() throws {
        let dir = try TestSupport.scratchDirectory()
        let path = dir + "/a.txt"
        try AtomicFile.write(string: "first", to: path)
        try AtomicFile.write(string: "second", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a.txt"])
    }

    @Test("a failed write leaves the old target untouched and cleans up")
    func failureKeepsOld() throws {
        let dir = try TestSupport.scratchDirectory()
        // The target is a non-empty directory, so the final rename must fail.
        let target = dir + "/weights.npz"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try "keep".write(toFile: target + "/inside", atomically: false, encoding: .utf8)
        let error = try #require(throws: FileWriteError.self) {
            try AtomicFile.write(bytes: [1, 2, 3], to: target)
        }
        #expect(error.description.contains(target))
        #expect(try String(contentsOfFile: target + "/inside", encoding: .utf8) == "keep")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["weights.npz"])
    }

    @Test("a missing directory is reported with the path")
    func missingDirectory() throws {
        let error = try #require(throws: FileWriteError.self) {
            try AtomicFile.write(string: "x", to: "/nonexistent-synfire/dir/f.json")
        }
        #expect(error.description.contains("/nonexistent-synfire/dir/f.json"))
    }
}
