public import Logging
import Synchronization

/// Collects every log line (level, message and metadata) of the loggers it makes, for tests that check
/// what was logged — and that no secret ever was.
///
/// ```swift
/// let logs = LogCapture()
/// try await TestPipeline(text).run(logger: logs.logger())
/// #expect(logs.text.contains("no data for NOPE Quote"))
/// ```
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    /// Creates an empty capture.
    public init() {}

    /// Every line so far, one per log event: `level message [metadata] [logger metadata]`.
    public var text: String { lines.withLock { $0.joined(separator: "\n") } }

    /// A logger at `trace` that writes here.
    public func logger() -> Logger {
        var logger = Logger(label: "test") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.lines.withLock { $0.append("\(event.level) \(event.message) \(event.metadata ?? [:]) \(self.metadata)") }
        }
    }
}
