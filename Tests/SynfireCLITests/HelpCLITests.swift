import Foundation
import Testing

/// What a newcomer reads first: `--version`, and help texts that point to this project's
/// own docs (docs/<file>.md with a section name), never to documents a user does not have.
@Suite("synfire help and --version")
struct HelpCLITests {
    /// Every command path of the tree, from ArgumentParser's own description of it.
    static func commandPaths() throws -> [[String]] {
        let dump = try CLIRunner.run(["--experimental-dump-help"])
        guard dump.status == 0,
            let root = try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any],
            let command = root["command"] as? [String: Any]
        else { throw CLIRunnerError("--experimental-dump-help failed: \(dump.stderr)") }
        var paths: [[String]] = []
        func walk(_ node: [String: Any], _ path: [String]) {
            paths.append(path)
            for child in node["subcommands"] as? [[String: Any]] ?? [] {
                guard let name = child["commandName"] as? String, name != "help" else { continue }
                walk(child, path + [name])
            }
        }
        walk(command, [])
        return paths
    }

    /// Words that send a reader to a document outside the repository.
    static let foreignReferences = [
        "§", "-model.md", "nbp-circuit.md", "ste-snn.md", "error-prop-snn.md", "spec §", "(spec", "spec:",
        "spec default", "the spec's",
    ]

    @Test func everyHelpTextNamesOnlyTheProjectsDocs() throws {
        let paths = try Self.commandPaths()
        // The root, its groups and every command below them (nbp train, energy report, ...).
        #expect(paths.count > 40, "\(paths)")
        #expect(paths.contains(["nbp", "train"]) && paths.contains(["energy", "report"]))
        for path in paths {
            let help = try CLIRunner.run(["help"] + path)
            #expect(help.status == 0, "synfire help \(path.joined(separator: " ")): \(help.stderr)")
            #expect(help.stdout.contains("USAGE:"), "synfire help \(path.joined(separator: " "))")
            for reference in Self.foreignReferences {
                #expect(
                    !help.stdout.contains(reference),
                    "synfire help \(path.joined(separator: " ")) mentions '\(reference)'")
            }
            // A line ending in a backslash is a string-literal line break escaped twice.
            let broken = help.stdout.split(separator: "\n").filter { $0.hasSuffix("\\") }
            #expect(broken.isEmpty, "synfire help \(path.joined(separator: " ")) prints \(broken)")
        }
    }

    @Test func versionNamesTheCommitTheBinaryWasBuiltFrom() throws {
        let result = try CLIRunner.run(["--version"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.hasPrefix("synfire "), "\(line)")
        // A 40-digit hash (maybe "-dirty"), or "unknown commit" for a build outside a checkout.
        let hash = line.split(whereSeparator: { !$0.isHexDigit }).contains { $0.count == 40 }
        #expect(hash || line.hasSuffix("(unknown commit)"), "\(line)")
        // Known at build time: the same line without git on the PATH.
        let withoutGit = try CLIRunner.run(["--version"], environment: ["PATH": "/nonexistent"])
        #expect(withoutGit.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == line)
    }
}
