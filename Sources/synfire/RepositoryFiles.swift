import Foundation

/// Files of the Synfire checkout that some commands run (scripts/fetch-data,
/// bench/ste_numpy.py). They are looked up at run time, never compiled in: relative to the
/// current directory first, then in every folder above the binary (a build leaves it in
/// `.build/<triple>/<configuration>/` of the checkout). An installed binary outside the
/// checkout finds them only when run from the checkout.
enum RepositoryFiles {
    /// Where `relativePath` would be looked for, in order.
    static func candidates(_ relativePath: String) -> [String] {
        var result = [relativePath]
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        while directory.path != "/" && !directory.path.isEmpty {
            result.append(directory.appendingPathComponent(relativePath).path)
            directory = directory.deletingLastPathComponent()
        }
        return result
    }

    /// The first existing candidate, or nil.
    static func locate(_ relativePath: String) -> String? {
        candidates(relativePath).first { FileManager.default.fileExists(atPath: $0) }
    }
}
