// AtomicFile: write a whole file so that readers (and a crash) see either the old file or
// the complete new one, never a partial file.
//
// API
//   try AtomicFile.write(bytes: [UInt8] / data: Data / string: String, to path: String)
//   try AtomicFile.write(..., to url: URL)
//   try AtomicFile.createDirectory(_ path: String)   // mkdir -p with a clear error
//   AtomicFile.fileExists(_ path: String) -> Bool
//
// How: a temporary file `.NAME.tmp-PID-N` in the SAME directory (rename(2) is atomic only
// within one file system), write everything, fsync the file, rename over the target, then
// fsync the directory so the rename itself survives a power cut. On any failure the
// temporary file is removed and the target is untouched.

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Errors from file-system operations, each naming the path and a fix.
public enum FileWriteError: Error, CustomStringConvertible, Equatable {
    case cannotCreateTemporary(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    case renameFailed(path: String, reason: String)
    case cannotCreateDirectory(path: String, reason: String)
    case cannotRead(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotCreateTemporary(let path, let reason):
            "cannot create a temporary file next to \(path): \(reason) — check that the "
                + "directory exists and is writable"
        case .writeFailed(let path, let reason):
            "writing \(path) failed: \(reason) — check free disk space and permissions; "
                + "the previous file (if any) was left unchanged"
        case .renameFailed(let path, let reason):
            "cannot move the new file into place at \(path): \(reason) — check permissions "
                + "of the directory; the previous file (if any) was left unchanged"
        case .cannotCreateDirectory(let path, let reason):
            "cannot create directory \(path): \(reason) — choose a writable location"
        case .cannotRead(let path, let reason):
            "cannot read \(path): \(reason) — check that the file exists and is readable"
        }
    }
}

/// Atomic whole-file writes (temporary file, fsync, rename, directory fsync).
public enum AtomicFile {
    private static let counter = Counter()

    public static func write(data: Data, to url: URL) throws {
        try write(bytes: [UInt8](data), to: url.path)
    }

    public static func write(data: Data, to path: String) throws {
        try write(bytes: [UInt8](data), to: path)
    }

    public static func write(string: String, to path: String) throws {
        try write(bytes: Array(string.utf8), to: path)
    }

    public static func write(bytes: [UInt8], to url: URL) throws {
        try write(bytes: bytes, to: url.path)
    }

    /// Replaces (or creates) `path` with `bytes` atomically.
    public static func write(bytes: [UInt8], to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let dirForTemp = directory.isEmpty ? "." : directory
        let tempPath = dirForTemp + "/.\(name).tmp-\(getpid())-\(counter.next())"

        let fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FileWriteError.cannotCreateTemporary(path: path, reason: errnoText())
        }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            try bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw FileWriteError.writeFailed(path: path, reason: errnoText())
                    }
                    offset += n
                }
            }
            guard fsync(fd) == 0 else {
                throw FileWriteError.writeFailed(path: path, reason: "fsync: " + errnoText())
            }
            closed = true
            guard close(fd) == 0 else {
                throw FileWriteError.writeFailed(path: path, reason: "close: " + errnoText())
            }
            guard rename(tempPath, path) == 0 else {
                throw FileWriteError.renameFailed(path: path, reason: errnoText())
            }
        } catch {
            unlink(tempPath)
            throw error
        }
        syncDirectory(dirForTemp)
    }

    /// `mkdir -p`; succeeds if the directory already exists.
    public static func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FileWriteError.cannotCreateDirectory(
                path: path, reason: (error as NSError).localizedDescription)
        }
    }

    public static func fileExists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// Files larger than this are refused before they are read (docs/robustness.md): a
    /// run's largest file, a checkpoint of the biggest nBP network, is far smaller.
    public static let maximumReadBytes = 4 << 30

    /// Reads a whole file of at most `maximumReadBytes`, with an error that names it.
    /// Plain POSIX reads: Foundation's `FileManager.contents(atPath:)` leaks its buffer for
    /// empty files, which AddressSanitizer's leak check reports.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw FileWriteError.cannotRead(path: path, reason: errno == ENOENT ? "no such file" : errnoText())
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw FileWriteError.cannotRead(path: path, reason: errnoText())
        }
        guard (status.st_mode & S_IFMT) != S_IFDIR else {
            throw FileWriteError.cannotRead(path: path, reason: "it is a directory")
        }
        let size = Int(status.st_size)
        guard size <= maximumReadBytes else {
            throw FileWriteError.cannotRead(
                path: path, reason: "it is \(size) bytes, more than the \(maximumReadBytes >> 30) GiB limit")
        }
        // Read until end of file, not just st_size bytes: pipes and /proc files report 0.
        var bytes = [UInt8](repeating: 0, count: max(size, 4096))
        var filled = 0
        while true {
            if filled == bytes.count {
                guard bytes.count < maximumReadBytes else {
                    throw FileWriteError.cannotRead(
                        path: path, reason: "it is more than the \(maximumReadBytes >> 30) GiB limit")
                }
                bytes.append(contentsOf: repeatElement(0, count: bytes.count))
            }
            let count = bytes.withUnsafeMutableBytes { buffer in
                Foundation.read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileWriteError.cannotRead(path: path, reason: errnoText())
            }
            if count == 0 { break }
            filled += count
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// Makes a completed rename durable; best effort (some file systems refuse O_RDONLY
    /// fsync on directories, which is harmless).
    static func syncDirectory(_ directory: String) {
        let dfd = open(directory, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// The C library's text for the current `errno` (for error messages of file calls).
    public static func errnoText() -> String {
        String(cString: strerror(errno))
    }

    /// A process-wide counter so concurrent writers never share a temporary name.
    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }
}
