import Foundation
import Testing

@testable import SynfireIO

/// A manual clock and an output recorder for ProgressLine.
final class FakeTerminal: @unchecked Sendable {
    private let lock = NSLock()
    private var time = 100.0
    private var chunks: [String] = []

    func advance(_ seconds: Double) { lock.withLock { time += seconds } }
    var now: Double { lock.withLock { time } }
    func write(_ text: String) { lock.withLock { chunks.append(text) } }
    var written: [String] { lock.withLock { chunks } }
}

@Suite("Progress display")
struct ProgressLineTests {
    @Test("plain style prints a full line per interval with rate, ETA and accuracy")
    func plainLines() {
        let fake = FakeTerminal()
        let progress = ProgressLine(
            label: "train epoch 1/2", total: 1000, style: .plain, interval: 10,
            output: { fake.write($0) }, clock: { fake.now })
        for i in 1...1000 {
            fake.advance(0.125)  // 8 samples/s (a binary fraction: exact sums)
            progress.update(completed: i, accuracy: 0.5)
        }
        progress.finish(accuracy: 0.75)
        let lines = fake.written
        // One line every 10 s (80 samples) over 125 s, plus the final line.
        #expect(lines.count == 13)
        #expect(lines.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
        #expect(lines[0] == "train epoch 1/2    80/1000    8.0%  8.0 samples/s  ETA 1:55  acc 50.0%\n")
        #expect(lines.last == "train epoch 1/2  1000/1000  100.0%  8.0 samples/s  in 2:05  acc 75.0%\n")
    }

    @Test("terminal style rewrites one line in place and ends it once")
    func terminalLine() {
        let fake = FakeTerminal()
        let progress = ProgressLine(
            label: "eval", total: 40, unit: "images", style: .terminal, interval: 0.25,
            output: { fake.write($0) }, clock: { fake.now })
        for i in 1...40 {
            fake.advance(0.0625)
            progress.update(completed: i)
        }
        progress.finish()
        progress.finish()  // idempotent
        let chunks = fake.written
        #expect(chunks.count == 11)  // every 0.25 s (4 images) over 2.5 s, plus the final draw
        #expect(chunks.allSatisfy { $0.hasPrefix("\r") && $0.contains("\u{1B}[K") })
        #expect(chunks.dropLast().allSatisfy { !$0.hasSuffix("\n") })
        #expect(chunks.last!.hasSuffix("\n"))
        #expect(chunks[0] == "\reval [##..................]   4/40   10.0%  16.0 images/s  ETA 0:02\u{1B}[K")
    }

    @Test("a resumed run counts only new work in the rate")
    func resumedRate() {
        let fake = FakeTerminal()
        let progress = ProgressLine(
            label: "train", total: 100, startingAt: 50, style: .plain, interval: 1,
            output: { fake.write($0) }, clock: { fake.now })
        fake.advance(5)
        progress.update(completed: 60)
        #expect(fake.written == ["train   60/100   60.0%  2.0 samples/s  ETA 0:20\n"])
    }

    @Test("durations", arguments: [
        (0.0, "0:00"), (7.4, "0:07"), (245, "4:05"), (3723, "1:02:03"), (.infinity, "--"),
    ])
    func durations(_ seconds: Double, _ text: String) {
        #expect(ProgressLine.format(duration: seconds) == text)
    }

    @Test("the stop flag can be raised and reset")
    func stopFlag() {
        StopRequest.reset()
        #expect(!StopRequest.isRequested)
        StopRequest.request()
        #expect(StopRequest.isRequested)
        StopRequest.reset()
    }
}
