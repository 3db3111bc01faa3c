import Foundation
import Testing

@testable import SynfireFuzzTargets

/// Replays every file of Fuzz/corpus/HARNESS (kept by `scripts/fuzz`, minimized with
/// libFuzzer's -merge=1) through the reader the fuzzer drove: none may trap. This is how CI
/// re-runs the fuzzers' findings without fuzzing.
@Suite("Fuzz corpora replay through their readers")
struct CorpusReplayTests {
    static let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")

    @Test(arguments: FuzzTarget.allCases)
    func corpusReplays(target: FuzzTarget) throws {
        let folder = CorpusReplayTests.corpusRoot.appendingPathComponent(target.rawValue)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files.count >= 2, "Fuzz/corpus/\(target.rawValue) is missing or empty")
        var accepted = 0
        for name in files {
            let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent(name)))
            if target.run(bytes) { accepted += 1 }
        }
        // Each corpus keeps valid inputs as well as rejected ones (the seeds are valid).
        #expect(accepted >= 1, "no file of Fuzz/corpus/\(target.rawValue) is accepted")
        #expect(accepted < files.count || files.count < 8, "every file accepted: the corpus lost its bad inputs")
    }
}
