import Foundation
import GRDB
import GRDBSQLite
import MarketData
public import SluiceCore

/// `sqlite` (sink): a table per record type, batched transactions, WAL, and upserts on a natural key.
///
/// Tables are created from the record's columns (and extended when a later version adds columns).
/// Records with a natural key — `bar`: symbol, period, start; `candle`: symbol, time — are upserted, so
/// candle updates, revisions and backfills leave one row per candle. Rows are committed in one
/// transaction per `batch_rows` rows or every `batch_interval`, and at shutdown. The database runs in WAL
/// mode with `synchronous = NORMAL`: a process killed mid-write loses at most the open transaction, and
/// the file stays consistent.
public struct SQLiteSink<Element: SluiceCore.Record>: RecordGenericStage {
    public typealias Input = Element

    /// The configuration of `sqlite`.
    public struct Configuration: StageConfiguration {
        /// The database file.
        public var path: String
        /// Table names per record type (default: the record type).
        public var tables: [String: String]
        /// Natural keys per record type, added to the built-in ones.
        public var keys: [String: [String]]
        /// Rows per transaction.
        public var batchRows: Int
        /// The longest a row waits for its transaction.
        public var batchInterval: ConfigDuration
        /// `iso8601` (TEXT) or `epoch_ms` (INTEGER).
        public var timeFormat: TimeFormat
        /// SQLite's `synchronous` setting.
        public var synchronous: SQLiteSynchronous


        public static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("path", .string, doc: "Database file (created with its parent directories if missing)."),
                ConfigField("tables", .map(.string), default: .object(JSONObject()), doc: "Table name per record type, e.g. {\"bar\": \"candles\"} (default: the record type)."),
                ConfigField("keys", .map(.array(.string, minCount: 1)), default: .object(JSONObject()), doc: "Natural key (upsert) columns per record type; bar (symbol, period, start) and candle (symbol, time) are built in."),
                ConfigField("batch_rows", .integer(1...1_000_000), default: .number(5000), doc: "Rows per transaction."),
                ConfigField("batch_interval", .duration, default: .string("500ms"), doc: "Longest a row waits before its transaction commits."),
                ConfigField("time_format", TimeFormat.self, default: .iso8601, doc: "Times as ISO-8601 UTC text (sortable) or epoch milliseconds."),
                ConfigField("synchronous", SQLiteSynchronous.self, default: .normal, advanced: true, doc: "SQLite synchronous mode (normal with WAL survives a process crash)."),
            ])
        }

        /// The key columns, checked against what the input emits.
        public func inputFieldReferences() -> [InputFieldReference] {
            keys.sorted { $0.key < $1.key }.flatMap { type, columns in
                columns.enumerated().map { InputFieldReference($1, at: Self.spec.pointer("keys", type, $0)) }
            }
        }

        public func validate() -> [Diagnostic] {
            var problems: [Diagnostic] = []
            if let problem = FileOutput.problem(withOutputPath: path) {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("path"), problem, expected: "a database file this process can create or write"))
            }
            if batchInterval.duration <= .zero {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("batch_interval"), "must be longer than zero"))
            }
            return problems
        }
    }

    /// The natural keys the sink knows without configuration.
    public static var builtinKeys: [String: [String]] { ["bar": ["symbol", "period", "start"], "candle": ["symbol", "time"]] }

    public static var kind: String { "sqlite" }
    public static var summary: String {
        "Writes records to SQLite (GRDB): a table per record type, batched transactions, WAL, upsert on natural keys (candles: symbol, period, start)."
    }

    let configuration: Configuration
    let context: StageContext
    let database: DatabaseQueue

    public init(configuration: Configuration, context: StageContext) throws {
        self.configuration = configuration
        self.context = context
        try FileOutput.createParentDirectories(of: configuration.path)
        var config = GRDB.Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(5)
        let synchronous = configuration.synchronous.rawValue.uppercased()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        do {
            database = try DatabaseQueue(path: configuration.path, configuration: config)
        } catch {
            throw StageError(.openFailed, "cannot open SQLite database \"\(configuration.path)\": \(Self.describe(error))")
        }
        let stored = try SQLiteCandleStore.newestCandles(in: database, table: configuration.tables["bar"] ?? "bar")
        for (series, start) in stored.sorted(by: { ($0.key.symbol, $0.key.period) < ($1.key.symbol, $1.key.period) }) {
            context.logger.info("newest stored candle", metadata: ["symbol": "\(series.symbol)", "period": "\(series.period)", "start": "\(start)"])
        }
        context.shared.update(NewestStoredCandles.self, with: stored, combine: NewestStoredCandles.merge)
    }

    public static func specialized<R: SluiceCore.Record>(for recordType: R.Type) -> any Stage.Type { SQLiteSink<R>.self }

    public func run(input: Inbound<Element>, output: Outbound<Never>) async throws {
        var writer = BatchWriter<Element>(configuration: configuration, keys: Self.builtinKeys.merging(configuration.keys) { $1 })
        try await input.forEach(tickingEvery: configuration.batchInterval.duration, clock: context.clock) { step in
            switch step {
            case .batch(let records):
                writer.pending.append(contentsOf: records)
                if writer.pending.count >= configuration.batchRows { try await commit(&writer) }
            case .tick:
                if !writer.pending.isEmpty { try await commit(&writer) }
            }
        }
        if !writer.pending.isEmpty { try await commit(&writer) }
    }

    private func commit(_ writer: inout BatchWriter<Element>) async throws {
        let rows = writer.pending
        writer.pending.removeAll(keepingCapacity: true)
        let prepared = writer
        do {
            let tables = try await database.write { db in try prepared.insert(rows, into: db) }
            writer.known.merge(tables) { a, _ in a }
        } catch {
            throw StageError(.writeFailed, "cannot write \(rows.count) rows to \"\(configuration.path)\": \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? e.description }
        return "\(error)"
    }
}

/// Turns records into rows: finds or creates each record type's table and binds values.
struct BatchWriter<Element: SluiceCore.Record>: Sendable {
    var pending: [Element] = []
    /// Tables already created, by schema.
    var known: [ObjectIdentifier: SQLiteTable] = [:]
    let tableNames: [String: String]
    let keys: [String: [String]]
    let timesAsText: Bool

    init(configuration: SQLiteSink<Element>.Configuration, keys: [String: [String]]) {
        tableNames = configuration.tables
        self.keys = keys
        timesAsText = configuration.timeFormat == .iso8601
    }

    /// Inserts `rows` in the current transaction; returns the tables it created.
    ///
    /// Values are bound straight to the prepared statement with SQLite's C API: one `reset`, a bind per
    /// column and one `step` per row, with no intermediate arrays.
    func insert(_ rows: [Element], into db: Database) throws -> [ObjectIdentifier: SQLiteTable] {
        var tables = known
        var created: [ObjectIdentifier: SQLiteTable] = [:]
        var statements: [ObjectIdentifier: Statement] = [:]
        var lastSchema: ObjectIdentifier?
        var lastStatement: Statement?
        for record in rows {
            let schema = record.schema
            let id = ObjectIdentifier(schema)
            let statement: Statement
            if id == lastSchema, let lastStatement {
                statement = lastStatement
            } else if let s = statements[id] {
                statement = s
            } else {
                let table: SQLiteTable
                if let t = tables[id] {
                    table = t
                } else {
                    let type = schema.recordType
                    let key = (keys[type] ?? []).filter { schema.index(of: $0) != nil }
                    table = SQLiteTable(name: tableNames[type] ?? type, schema: schema, key: key)
                    try table.create(in: db, timesAsText: timesAsText)
                    tables[id] = table
                    created[id] = table
                }
                statement = try db.cachedStatement(sql: table.insertSQL)
                statements[id] = statement
            }
            lastSchema = id
            lastStatement = statement
            let handle = statement.sqliteStatement
            sqlite3_reset(handle)
            for i in 0..<schema.columns.count { bind(record.value(at: i), at: Int32(i + 1), to: handle) }
            let code = sqlite3_step(handle)
            guard code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
            }
        }
        return created
    }

    private func bind(_ value: FieldValue, at index: Int32, to handle: SQLiteStatement) {
        switch value {
        case .null: sqlite3_bind_null(handle, index)
        case .bool(let b): sqlite3_bind_int64(handle, index, b ? 1 : 0)
        case .int(let v): sqlite3_bind_int64(handle, index, v)
        case .double(let v): if v.isNaN { sqlite3_bind_null(handle, index) } else { sqlite3_bind_double(handle, index, v) }
        case .string(let s): bindText(s, at: index, to: handle)
        case .time(let t):
            if timesAsText {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(24)
                t.writeISO8601(into: &bytes)
                bytes.withUnsafeBufferPointer { b in
                    _ = sqlite3_bind_text(handle, index, UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(b.count), sqliteTransient)
                }
            } else {
                sqlite3_bind_int64(handle, index, t.millisecondsSinceEpoch)
            }
        }
    }

    private func bindText(_ s: String, at index: Int32, to handle: SQLiteStatement) {
        var s = s
        s.withUTF8 { b in
            if let base = b.baseAddress, b.count > 0 {
                _ = sqlite3_bind_text(handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(b.count), sqliteTransient)
            } else {
                _ = sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
            }
        }
    }
}

/// SQLite copies bound text before the call returns.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// SQLite's `synchronous` pragma, as the `sqlite` sink sets it.
public enum SQLiteSynchronous: String, ConfigOption {
    /// No syncs: fastest; an OS crash or power loss can corrupt the file.
    case off
    /// With WAL, survives a process crash; an OS crash may lose the last transactions.
    case normal
    /// A sync at every commit: durable through power loss.
    case full
}
