import Foundation

/// What the bad-input suites share: a scratch directory to write broken files into, and
/// the message an operation fails with.
protocol ScratchFileSuite {
    var directory: URL { get }
}

extension ScratchFileSuite {
    static func makeScratchDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// The error's description, or "no error" when the body succeeds.
    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }
}
