public import SluiceCore
import Logging

/// `log` (sink): writes records to the log as JSON, every record or every Nth.
public struct LogSink<Element: Record>: RecordGenericStage {
    public typealias Input = Element

    /// The configuration of `log`.
    public struct Configuration: StageConfiguration {
        /// The level records are logged at.
        public enum Level: String, ConfigOption {
            case trace, debug, info, notice, warning, error

            /// The swift-log level.
            var loggerLevel: Logger.Level {
                switch self {
                case .trace: .trace
                case .debug: .debug
                case .info: .info
                case .notice: .notice
                case .warning: .warning
                case .error: .error
                }
            }
        }

        /// The log level.
        public var level: Level
        /// Log every Nth record.
        public var every: Int

        public static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("level", Level.self, default: .info, doc: "Log level."),
                ConfigField("every", .integer(1...Int64.max), default: .number(1), doc: "Log every Nth record (the others are counted, not logged)."),
            ])
        }
    }

    public static var kind: String { "log" }
    public static var summary: String { "Writes records to the log as JSON (every record, or every Nth)." }

    let level: Logger.Level
    let every: Int
    let logger: Logger

    public init(configuration: Configuration, context: StageContext) {
        level = configuration.level.loggerLevel
        every = configuration.every
        logger = context.logger
    }

    public static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type { LogSink<R>.self }

    public func run(input: Inbound<Element>, output: Outbound<Never>) async throws {
        var n = 0
        var writer = JSONWriter()
        for try await batch in input {
            for record in batch {
                if n % every == 0 {
                    writer.bytes.removeAll(keepingCapacity: true)
                    writer.record(record)
                    logger.log(level: level, "\(record.schema.recordType)", metadata: ["record": "\(writer.string)"])
                }
                n += 1
            }
        }
    }
}
