import Foundation
public import SluiceCore

/// `jsonl` (sink): one JSON object per record per line, to stdout or a file.
///
/// Each batch is written with one `write(2)`, so a line is never half-written by a graceful shutdown, and
/// every record accepted is on disk (or in the pipe) when the stage returns.
public struct JSONLinesSink<Element: Record>: RecordGenericStage {
    public typealias Input = Element

    /// The configuration of `jsonl`.
    public struct Configuration: StageConfiguration {
        /// The file, or `-` for standard output.
        public var path: String
        /// Append to an existing file rather than replace it.
        public var append: Bool
        /// How times are written.
        public var timeFormat: String
        /// `fsync` the file when the stage finishes.
        public var fsync: Bool

        enum CodingKeys: String, CodingKey {
            case path, append, fsync
            case timeFormat = "time_format"
        }

        public static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("path", .string, default: .string("-"), doc: "Output file; \"-\" (the default) is standard output. Parent directories are created."),
                ConfigField("append", .boolean, default: .bool(true), doc: "Append to an existing file (false: replace it)."),
                ConfigField("time_format", .oneOf(["iso8601", "epoch_ms"]), default: .string("iso8601"), doc: "Times as ISO-8601 UTC strings or epoch milliseconds."),
                ConfigField("fsync", .boolean, default: .bool(false), advanced: true, doc: "fsync the file when the stage finishes."),
            ])
        }
    }

    public static var kind: String { "jsonl" }
    public static var summary: String { "Writes one JSON object per record per line, to stdout or a file." }

    let configuration: Configuration
    let path: String

    public init(configuration: Configuration, context: StageContext) throws {
        self.configuration = configuration
        self.path = configuration.path  // "-", or a path relative to the working directory
    }

    public static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type { JSONLinesSink<R>.self }

    public func run(input: Inbound<Element>, output: Outbound<Never>) async throws {
        let fd: Int32
        if path == "-" {
            fd = STDOUT_FILENO
        } else {
            try FileOutput.createParentDirectories(of: path)
            fd = try FileOutput.open(path, append: configuration.append)
        }
        defer {
            if fd != STDOUT_FILENO {
                if configuration.fsync { _ = Foundation.fsync(fd) }
                close(fd)
            }
        }
        let millis = configuration.timeFormat == "epoch_ms"
        var writer = JSONWriter(capacity: 64 * 1024)
        for try await batch in input {
            writer.bytes.removeAll(keepingCapacity: true)
            for record in batch {
                writer.record(record, timesAsMilliseconds: millis)
                writer.bytes.append(0x0A)
            }
            try FileOutput.writeAll(fd, writer.bytes, path: path)
        }
    }
}

/// Small POSIX file helpers with errors that name the file (for sinks that write files).
public enum FileOutput {
    public static func open(_ path: String, append: Bool) throws -> Int32 {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC)
        let fd = Foundation.open(path, flags, 0o644)
        guard fd >= 0 else { throw StageError("open_failed", "cannot open \"\(path)\" for writing: \(errnoText())") }
        return fd
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StageError("write_failed", "cannot write to \"\(path)\": \(errnoText())")
            }
            offset += n
        }
    }

    public static func createParentDirectories(of path: String) throws {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw StageError("mkdir_failed", "cannot create directory \"\(parent.path)\" for \"\(path)\"", underlying: error)
        }
    }

    public static func errnoText() -> String { String(cString: strerror(errno)) }
}
