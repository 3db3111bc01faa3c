// EventFile: one TensorBoard event file (`events.out.tfevents.<seconds>.<host>.<pid>.<n>`),
// appended to record by record and read back. TensorBoard reads every such file in a
// directory in name order, so each writing session gets a file of its own.
//
// API
//   let file = try EventFile.create(in: "RUN_DIR/tb")        // a new, empty session file
//   try file.append([TBEvent.scalars([("test/exact", 0.93)], step: 1)])
//       the first append also writes the "brain.Event:2" version record
//   try EventFile.events(at: path) -> [TBEvent]              // checks every CRC
//   try EventFile.dropEvents(in: directory, after: step)     // forget a crashed session's tail
//
// Appends use O_APPEND and fsync: a crash loses at most the record being written, and a
// cut-off last record is ignored when reading.

import Foundation
import SwiftProtobuf

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

public enum EventFileError: Error, CustomStringConvertible, Equatable {
    case writeFailed(path: String, reason: String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .writeFailed(let path, let reason):
            return "cannot write TensorBoard events to \(path) (\(reason)) — check the run directory's "
                + "permissions and free space"
        case .unreadable(let path, let reason):
            return "\(path) is not a readable TensorBoard event file (\(reason)) — move it out of the run's "
                + "tb/ directory to continue the run"
        }
    }
}

public struct EventFile: Sendable {
    public static let namePrefix = "events.out.tfevents."
    public static let fileVersion = "brain.Event:2"

    public let path: String

    /// A new event file for this session in `directory` (created if needed), named after
    /// the current time so files sort in session order.
    public static func create(in directory: String) throws -> EventFile {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw EventFileError.writeFailed(path: directory, reason: "\(error.localizedDescription)")
        }
        var host = [CChar](repeating: 0, count: 256)
        let hostName =
            gethostname(&host, host.count - 1) == 0
            ? String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        let stem = namePrefix + String(format: "%010d", Int(Date().timeIntervalSince1970)) + ".\(hostName).\(getpid())"
        var counter = 0
        while FileManager.default.fileExists(atPath: "\(directory)/\(stem).\(counter)") { counter += 1 }
        return EventFile(path: "\(directory)/\(stem).\(counter)")
    }

    public init(path: String) {
        self.path = path
    }

    /// Appends `events` (after the version record, if the file is new).
    public func append(_ events: [TBEvent]) throws {
        var bytes: [UInt8] = []
        if !FileManager.default.fileExists(atPath: path) {
            var version = TBEvent()
            version.wallTime = Date().timeIntervalSince1970
            version.fileVersion = EventFile.fileVersion
            bytes += TFRecord.frame(try version.serializedBytes())
        }
        for event in events { bytes += TFRecord.frame(try event.serializedBytes()) }
        try appendBytes(bytes)
    }

    private func appendBytes(_ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EventFileError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw EventFileError.writeFailed(path: path, reason: String(cString: strerror(errno)))
                }
                offset += n
            }
        }
        _ = fsync(fd)
    }

    /// Every complete event of the file at `path`.
    public static func events(at path: String) throws -> [TBEvent] {
        try read(path).events
    }

    private static func read(_ path: String) throws -> (events: [TBEvent], payloads: [[UInt8]]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EventFileError.unreadable(path: path, reason: "cannot open it")
        }
        do {
            let payloads = try TFRecord.payloads(in: [UInt8](data)).payloads
            return (try payloads.map { try TBEvent(serializedBytes: $0) }, payloads)
        } catch let error as TFRecordError {
            throw EventFileError.unreadable(path: path, reason: error.description)
        } catch {
            throw EventFileError.unreadable(path: path, reason: "an event does not decode: \(error)")
        }
    }

    /// The event files in `directory`, in the order TensorBoard reads them.
    public static func paths(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix(namePrefix) }.sorted().map { directory + "/" + $0 }
    }

    /// Rewrites every event file in `directory` without the events whose step is above
    /// `step` (nil: all of them but the version records), so a resumed run does not log an
    /// epoch twice. Files that change are replaced atomically; returns the highest step kept
    /// per tag.
    @discardableResult
    public static func dropEvents(in directory: String, after step: Int64?) throws -> [String: Int64] {
        var kept: [String: Int64] = [:]
        for path in paths(in: directory) {
            let (events, payloads) = try read(path)
            var bytes: [UInt8] = []
            var dropped = false
            for (event, payload) in zip(events, payloads) {
                var keep = step.map { event.step <= $0 } ?? false
                if case .fileVersion = event.what { keep = true }
                if keep {
                    bytes += TFRecord.frame(payload)
                    for value in event.summary.value { kept[value.tag] = max(kept[value.tag] ?? .min, event.step) }
                } else {
                    dropped = true
                }
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            // A cut-off tail also goes, so the file ends on a record boundary.
            if dropped || bytes.count != size { try replace(path, with: bytes) }
        }
        return kept
    }

    private static func replace(_ path: String, with bytes: [UInt8]) throws {
        // Not named like an event file: TensorBoard reads every file with "tfevents" in its name.
        let temporary = (path as NSString).deletingLastPathComponent + "/.rewrite-\(getpid())"
        try? FileManager.default.removeItem(atPath: temporary)
        try EventFile(path: temporary).appendBytes(bytes)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw EventFileError.writeFailed(path: path, reason: reason)
        }
    }
}
