// ProgressLine: progress of a long loop on stderr — one line rewritten in place on a
// terminal, plain periodic lines when stderr is a file or pipe (CI logs).
//
// API
//   let progress = ProgressLine(label: "nbp train epoch 3/20", total: 60_000)
//   for i in ... {
//       ...
//       progress.update(completed: i + 1, accuracy: Double(correct) / Double(i + 1))
//   }
//   progress.finish()                         // final line (+ newline on a terminal)
//
//   ProgressLine(label:total:unit:startingAt:style:interval:output:clock:)
//     unit        "samples" (shown in the rate: "1520 samples/s")
//     startingAt  completed count when resuming, so rate and ETA count only new work
//     style       .terminal / .plain; default: .terminal iff isatty(stderr)
//     interval    seconds between redraws; default 0.25 (terminal) / 10 (plain)
//     output      where text goes (default stderr); clock: seconds, monotonic (tests inject)
//   ProgressLine.format(duration:) -> "1:02:03" / "4:05"
//
// A line looks like:
//   nbp train epoch 3/20 [#######.............]  21000/60000  35.0%  1520 samples/s  ETA 0:25  acc 91.2%
// Cheap to call per sample: it only formats when the interval has passed.

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

public final class ProgressLine: @unchecked Sendable {
    public enum Style: Sendable {
        /// Carriage return + erase-line: one line updated in place.
        case terminal
        /// A full line per report (logs, CI).
        case plain
    }

    public let label: String
    public let total: Int
    public let unit: String
    public let style: Style
    public let interval: Double

    private let output: (String) -> Void
    private let clock: () -> Double
    private let lock = NSLock()
    private let startTime: Double
    private let startCount: Int
    private var lastDraw: Double
    private var completed: Int
    private var accuracy: Double?
    private var note: String?
    private var finished = false

    public init(
        label: String, total: Int, unit: String = "samples", startingAt: Int = 0,
        style: Style? = nil, interval: Double? = nil,
        output: (@Sendable (String) -> Void)? = nil,
        clock: (@Sendable () -> Double)? = nil
    ) {
        self.label = label
        self.total = max(0, total)
        self.unit = unit
        let resolvedStyle = style ?? (isatty(STDERR_FILENO) == 1 ? .terminal : .plain)
        self.style = resolvedStyle
        self.interval = interval ?? (resolvedStyle == .terminal ? 0.25 : 10)
        self.output = output ?? { FileHandle.standardError.write(Data($0.utf8)) }
        self.clock = clock ?? { ProcessInfo.processInfo.systemUptime }
        startTime = self.clock()
        lastDraw = startTime
        startCount = startingAt
        completed = startingAt
    }

    /// Records progress; redraws if `interval` has passed since the last draw.
    public func update(completed: Int, accuracy: Double? = nil, note: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        self.completed = completed
        if let accuracy { self.accuracy = accuracy }
        if let note { self.note = note }
        let now = clock()
        if now - lastDraw >= interval {
            lastDraw = now
            emit(now: now, final: false)
        }
    }

    /// Draws the final state (always) and ends the line on a terminal.
    public func finish(accuracy: Double? = nil, note: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        if let accuracy { self.accuracy = accuracy }
        if let note { self.note = note }
        finished = true
        emit(now: clock(), final: true)
    }

    /// The text of the current line (without control characters).
    public func currentLine() -> String {
        lock.lock()
        defer { lock.unlock() }
        return render(now: clock(), final: finished)
    }

    private func emit(now: Double, final: Bool) {
        var text = render(now: now, final: final)
        switch style {
        case .terminal:
            let columns = ProgressLine.terminalColumns()
            if text.count > columns - 1 { text = String(text.prefix(columns - 1)) }
            output("\r" + text + "\u{1B}[K" + (final ? "\n" : ""))
        case .plain:
            output(text + "\n")
        }
    }

    private func render(now: Double, final: Bool) -> String {
        let elapsed = max(now - startTime, 1e-9)
        let done = completed - startCount
        let rate = Double(done) / elapsed
        var parts = [label]
        if total > 0 {
            let fraction = min(1, max(0, Double(completed) / Double(total)))
            if style == .terminal {
                let width = 20
                let filled = Int((fraction * Double(width)).rounded(.down))
                parts[0] += " [" + String(repeating: "#", count: filled)
                    + String(repeating: ".", count: width - filled) + "]"
            }
            let digits = String(total).count
            let count = String(completed)
            parts.append(String(repeating: " ", count: max(0, digits - count.count)) + count
                + "/\(total)")
            parts.append(String(format: "%5.1f%%", fraction * 100))
        } else {
            parts.append("\(completed)")
        }
        if done > 0 {
            parts.append(ProgressLine.format(rate: rate) + " \(unit)/s")
        }
        if final {
            parts.append("in " + ProgressLine.format(duration: elapsed))
        } else if total > 0, rate > 0 {
            let remaining = Double(max(0, total - completed)) / rate
            parts.append("ETA " + ProgressLine.format(duration: remaining))
        }
        if let accuracy {
            parts.append(String(format: "acc %.1f%%", accuracy * 100))
        }
        if let note { parts.append(note) }
        return parts.joined(separator: "  ")
    }

    /// "12", "1520", "3.4k"-free: whole numbers above 100, one decimal below.
    static func format(rate: Double) -> String {
        rate >= 100 ? String(Int(rate.rounded())) : String(format: "%.1f", rate)
    }

    /// "0:07", "4:05", "1:02:03" (hours only when needed); "--" for non-finite values.
    public static func format(duration seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e9 else { return "--" }
        let total = Int(seconds.rounded())
        let h = total / 3600
        let m = (total % 3600) / 60
        let s = total % 60
        return h > 0
            ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 {
            return Int(size.ws_col)
        }
        return 120
    }
}

/// A cooperative stop flag raised by SIGINT/SIGTERM, so a trainer can checkpoint and exit
/// cleanly instead of dying mid-write. A second signal exits at once (status 130).
///
///   StopRequest.install()                  // once, at the start of a training command
///   if StopRequest.isRequested { try run.saveCheckpoint(state); throw ... / return }
public enum StopRequest {
    private final class Flag: @unchecked Sendable {
        let lock = NSLock()
        var requested = false
        var sources: [DispatchSourceSignal] = []
    }
    private static let flag = Flag()

    public static var isRequested: Bool {
        flag.lock.lock()
        defer { flag.lock.unlock() }
        return flag.requested
    }

    /// Raises the flag (what the signal handler does; also for tests and "stop" commands).
    public static func request() {
        flag.lock.lock()
        flag.requested = true
        flag.lock.unlock()
    }

    public static func reset() {
        flag.lock.lock()
        flag.requested = false
        flag.lock.unlock()
    }

    /// Routes SIGINT and SIGTERM to the flag (idempotent).
    public static func install() {
        flag.lock.lock()
        defer { flag.lock.unlock() }
        guard flag.sources.isEmpty else { return }
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if isRequested {
                    FileHandle.standardError.write(Data("\nstopping immediately\n".utf8))
                    exit(130)
                }
                FileHandle.standardError.write(
                    Data("\nstop requested: finishing the current sample and saving a checkpoint (press again to quit now)\n".utf8))
                request()
            }
            source.resume()
            flag.sources.append(source)
        }
    }
}
