#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX file helpers for sinks that write files, with errors that name the file — and the
/// check that `validate` runs on every output path, so a file that cannot be written is an error before
/// anything starts.
public enum FileOutput {
    /// Opens `path` for writing (created if missing; appended to or truncated).
    ///
    /// - Throws: ``StageError`` `open_failed`, naming the path and the reason.
    public static func open(_ path: String, append: Bool) throws -> Int32 {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC)
        let fd = Glibc.open(path, flags, 0o644)
        guard fd >= 0 else { throw StageError(.openFailed, "cannot open \"\(path)\" for writing: \(errnoText())") }
        return fd
    }

    /// Writes every byte (retrying short writes and EINTR).
    ///
    /// - Throws: ``StageError`` `write_failed` (a full disk, an unwritable file), naming the path.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StageError(.writeFailed, "cannot write to \"\(path)\": \(errnoText())")
            }
            offset += n
        }
    }

    /// Creates the directories above `path` that do not exist yet.
    ///
    /// - Throws: ``StageError`` `mkdir_failed`, naming the directory.
    public static func createParentDirectories(of path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).dropLast()
        for part in parts {
            prefix += part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw StageError(.mkdirFailed, "cannot create directory \"\(prefix)\" for \"\(path)\": \(errnoText())")
            }
            prefix += "/"
        }
    }

    /// Why a sink could not write a file at `path`, or `nil` when it looks writable: the path is empty,
    /// names a directory, lies under something that is not a directory, or its nearest existing
    /// directory (or the file itself) is not writable. A path made from a template is checked up to
    /// its first placeholder.
    public static func problem(withOutputPath path: String) -> String? {
        if path.isEmpty { return "the path is empty" }
        let fixed = path.firstIndex(of: "{").map { String(path[..<$0]) } ?? path
        let isTemplate = fixed.count != path.count
        var info = stat()
        if !isTemplate, stat(fixed, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFDIR { return "\"\(path)\" is a directory" }
            if access(fixed, W_OK) != 0 { return "\"\(path)\" is not writable (\(errnoText()))" }
            return nil
        }
        // The nearest existing ancestor must be a directory we may create files in.
        var directory = isTemplate ? directoryPart(of: fixed + "x") : directoryPart(of: fixed)
        while true {
            if stat(directory, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else { return "\"\(directory)\" is not a directory" }
                guard access(directory, W_OK | X_OK) == 0 else { return "cannot create files in \"\(directory)\" (\(errnoText()))" }
                return nil
            }
            if directory == "/" || directory == "." { return nil }
            directory = directoryPart(of: directory)
        }
    }

    /// The directory part of `path`: `a/b` for `a/b/c`, `.` for `c`, `/` for `/c`.
    static func directoryPart(of path: String) -> String {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return "." }
        let head = p[..<slash]
        return head.isEmpty ? "/" : String(head)
    }

    /// The text of the current `errno`.
    public static func errnoText() -> String { String(cString: strerror(errno)) }
}
