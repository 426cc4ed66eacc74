#if canImport(Glibc)
import Glibc
#endif
public import SluiceCore

/// `board` (sink): the latest record per key — a quote board — rewritten whole, atomically, every
/// `interval` and at the end, as CSV or JSON.
///
/// What a screen, a spreadsheet or a cron job reads: the file always holds one complete board (written to
/// a temporary file beside it, then renamed over it), never a half-written one, and it does not grow.
/// Rows are in key order. CSV columns are `columns`, or every column seen, in the order first seen.
public struct BoardSink<Element: Record>: RecordGenericStage {
    public typealias Input = Element

    /// The file formats of a board.
    public enum Format: String, ConfigOption {
        /// RFC 4180 CSV with a header.
        case csv
        /// One JSON array of objects.
        case json
    }

    /// The configuration of `board`.
    public struct Configuration: StageConfiguration {
        /// The file.
        public var path: String
        /// `csv` or `json`.
        public var format: Format
        /// The fields whose values make a row's key.
        public var key: [String]
        /// The CSV columns, in order (default: every column seen).
        public var columns: [String]?
        /// How often the file is rewritten (when something changed).
        public var interval: ConfigDuration
        /// `iso8601` or `epoch_ms`.
        public var timeFormat: TimeFormat
        /// The most rows.
        public var maxRows: Int

        public static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("path", .string, doc: "The board file, replaced whole each time (a temporary file beside it is renamed over it). Parent directories are created."),
                ConfigField("format", Format.self, default: .csv, doc: "csv (with a header) or json (one array of objects)."),
                ConfigField("key", .array(.string, minCount: 1), default: .array([.string("event_type"), .string("symbol")]), doc: "Fields whose values identify a row: the latest record per key is kept."),
                ConfigField("columns", .array(.string, minCount: 1), optional: true, doc: "CSV columns, in order (default: every column seen, in the order first seen)."),
                ConfigField("interval", .duration, default: .string("1s"), doc: "How often the file is rewritten when a row changed (and always at the end)."),
                ConfigField("time_format", TimeFormat.self, default: .iso8601, doc: "Times as ISO-8601 UTC or epoch milliseconds."),
                ConfigField("max_rows", .integer(1...10_000_000), default: .number(1_000_000), advanced: true, doc: "Most rows; records of further keys are skipped and counted."),
            ])
        }

        /// The key fields and columns, checked against what the input emits.
        public func inputFieldReferences() -> [InputFieldReference] {
            key.enumerated().map { InputFieldReference($1, at: Self.spec.pointer("key", $0)) }
                + (columns ?? []).enumerated().map { InputFieldReference($1, at: Self.spec.pointer("columns", $0)) }
        }

        public func validate() -> [Diagnostic] {
            var problems: [Diagnostic] = []
            if let problem = FileOutput.problem(withOutputPath: path) {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("path"), problem, expected: "a file path this process can write"))
            }
            if interval.duration <= .zero {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("interval"), "must be longer than zero"))
            }
            return problems
        }
    }

    public static var kind: String { "board" }
    public static var summary: String {
        "The latest record per key (a quote board), rewritten atomically as CSV or JSON every interval and at the end."
    }

    let configuration: Configuration
    let context: StageContext

    public init(configuration: Configuration, context: StageContext) {
        self.configuration = configuration
        self.context = context
    }

    public static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type { BoardSink<R>.self }

    public func run(input: Inbound<Element>, output: Outbound<Never>) async throws {
        try FileOutput.createParentDirectories(of: configuration.path)
        var board = Board<Element>(key: configuration.key, maxRows: configuration.maxRows)
        var written = false
        try await input.forEach(tickingEvery: configuration.interval.duration, clock: context.clock) { step in
            switch step {
            case .batch(let records):
                for record in records {
                    switch board.put(record) {
                    case .kept: break
                    case .missingKey(let field): context.skip("a \(record.schema.recordType) record has no field \"\(field)\" of the board's key")
                    case .full: context.skip("the board has \(configuration.maxRows) rows (max_rows); a record of a new key was not added")
                    }
                }
            case .tick:
                if board.changed {
                    try write(board)
                    board.changed = false
                    written = true
                }
            }
        }
        if board.changed || !written { try write(board) }
    }

    /// Writes the whole board to a temporary file beside the board and renames it over the board.
    private func write(_ board: Board<Element>) throws {
        let bytes: [UInt8]
        let timesAsMilliseconds = configuration.timeFormat == .epochMilliseconds
        switch configuration.format {
        case .csv:
            let encoding = CSVEncoding(timesAsMilliseconds: timesAsMilliseconds)
            let names = configuration.columns ?? board.columnsSeen
            var out: [UInt8] = []
            encoding.appendHeader(names, to: &out)
            for record in board.rows {
                let indices = names.map { record.schema.index(of: $0) }
                encoding.appendRow(record, indices: indices, to: &out)
            }
            bytes = out
        case .json:
            var w = JSONWriter(capacity: 64 * 1024)
            w.raw("[")
            for (i, record) in board.rows.enumerated() {
                w.raw(i == 0 ? "\n" : ",\n")
                w.record(record, timesAsMilliseconds: timesAsMilliseconds)
            }
            w.raw("\n]\n")
            bytes = w.bytes
        }
        let path = configuration.path
        let temporary = path + ".tmp-\(getpid())"
        let fd = try FileOutput.open(temporary, append: false)
        do {
            try FileOutput.writeAll(fd, bytes, path: temporary)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = FileOutput.errnoText()
            unlink(temporary)
            throw StageError(.writeFailed, "cannot replace \"\(path)\": \(reason)")
        }
    }
}

/// The rows of a board: the latest record per key, in key order, and the columns seen.
struct Board<Element: Record> {
    enum Put { case kept, missingKey(String), full }

    let key: [String]
    let maxRows: Int
    private var latest: [[String]: Element] = [:]
    private(set) var columnsSeen: [String] = []
    private var seenColumnNames = Set<String>()
    private var schemasSeen = Set<SchemaShape>()

    /// Enough of a schema to tell whether its columns may be new.
    private struct SchemaShape: Hashable { let recordType: String, columns: Int }
    /// Whether a row changed since the last write.
    var changed = false

    init(key: [String], maxRows: Int) {
        self.key = key
        self.maxRows = maxRows
    }

    /// The rows, ordered by key.
    var rows: [Element] {
        latest.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { latest[$0]! }
    }

    mutating func put(_ record: Element) -> Put {
        var values: [String] = []
        values.reserveCapacity(key.count)
        let schema = record.schema
        for field in key {
            guard let index = schema.index(of: field) else { return .missingKey(field) }
            values.append(record.value(at: index).description)
        }
        if latest[values] == nil, latest.count >= maxRows { return .full }
        latest[values] = record
        changed = true
        if schemasSeen.insert(SchemaShape(recordType: schema.recordType, columns: schema.columns.count)).inserted {
            for c in schema.columns where seenColumnNames.insert(c.name).inserted { columnsSeen.append(c.name) }
        }
        return .kept
    }
}
