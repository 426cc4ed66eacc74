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
        public var timeFormat: TimeFormat
        /// `fsync` the file when the stage finishes.
        public var fsync: Bool

        public static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("path", .string, default: .string("-"), doc: "Output file; \"-\" (the default) is standard output. Parent directories are created."),
                ConfigField("append", .boolean, default: .bool(true), doc: "Append to an existing file (false: replace it)."),
                ConfigField("time_format", TimeFormat.self, default: .iso8601, doc: "Times as ISO-8601 UTC strings or epoch milliseconds."),
                ConfigField("fsync", .boolean, default: .bool(false), advanced: true, doc: "fsync the file when the stage finishes."),
            ])
        }

        public func validate() -> [Diagnostic] {
            guard path != "-", let problem = FileOutput.problem(withOutputPath: path) else { return [] }
            return [Diagnostic(.invalidValue, at: Self.spec.pointer("path"), problem, expected: "a file this process can write, or \"-\" for standard output")]
        }
    }

    public static var kind: String { "jsonl" }
    public static var summary: String { "Writes one JSON object per record per line, to stdout or a file." }

    let configuration: Configuration
    let path: String
    let console: ConsoleOutput

    public init(configuration: Configuration, context: StageContext) throws {
        self.configuration = configuration
        self.console = context.console
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
        let millis = configuration.timeFormat == .epochMilliseconds
        var writer = JSONWriter(capacity: 64 * 1024)
        for try await batch in input {
            writer.bytes.removeAll(keepingCapacity: true)
            for record in batch {
                writer.record(record, timesAsMilliseconds: millis)
                writer.bytes.append(0x0A)
            }
            if fd == STDOUT_FILENO {
                try console.write(writer.bytes)
            } else {
                try FileOutput.writeAll(fd, writer.bytes, path: path)
            }
        }
    }
}
