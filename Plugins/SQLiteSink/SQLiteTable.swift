import GRDB
import SluiceCore

/// One table of the `sqlite` sink: created (or extended) from a record schema, with its upsert statement.
struct SQLiteTable: Sendable {
    /// The table's name.
    let name: String
    /// The record columns, in table order.
    let columns: [SluiceCore.Column]
    /// The natural key (upsert target), empty for plain inserts.
    let key: [String]
    /// The `INSERT` (or upsert) statement.
    let insertSQL: String

    init(name: String, schema: RecordSchema, key: [String]) {
        self.name = name
        self.columns = schema.columns
        self.key = key
        let names = columns.map { quoted($0.name) }.joined(separator: ", ")
        let params = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        var sql = "INSERT INTO \(quoted(name)) (\(names)) VALUES (\(params))"
        if !key.isEmpty {
            let updates = columns.filter { !key.contains($0.name) }.map { "\(quoted($0.name)) = excluded.\(quoted($0.name))" }
            sql += " ON CONFLICT (\(key.map(quoted).joined(separator: ", "))) "
            sql += updates.isEmpty ? "DO NOTHING" : "DO UPDATE SET " + updates.joined(separator: ", ")
        }
        insertSQL = sql
    }

    /// Creates the table, its key and indexes if missing; adds columns an existing table lacks.
    func create(in db: Database, timesAsText: Bool) throws {
        let definitions = columns.map { "\(quoted($0.name)) \(Self.sqlType($0.type, timesAsText: timesAsText))" }
        var body = definitions
        if !key.isEmpty { body.append("UNIQUE (\(key.map(quoted).joined(separator: ", ")))") }
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS \(quoted(name)) (\(body.joined(separator: ", ")))")
        let existing = Set(try Row.fetchAll(db, sql: "PRAGMA table_info(\(quoted(name)))").map { $0["name"] as String })
        for column in columns where !existing.contains(column.name) {
            try db.execute(sql: "ALTER TABLE \(quoted(name)) ADD COLUMN \(quoted(column.name)) \(Self.sqlType(column.type, timesAsText: timesAsText))")
        }
        if !key.isEmpty {
            // A table made before a key was configured gets it as a unique index (upserts need one).
            try db.execute(sql: "CREATE UNIQUE INDEX IF NOT EXISTS \(quoted("\(name)_key")) ON \(quoted(name)) (\(key.map(quoted).joined(separator: ", ")))")
        }
        let names = Set(columns.map(\.name))
        if names.contains("symbol") {
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(quoted("\(name)_symbol")) ON \(quoted(name)) (\"symbol\")")
        }
        if let time = ["time", "start", "event_time"].first(where: names.contains) {
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(quoted("\(name)_\(time)")) ON \(quoted(name)) (\(quoted(time)))")
        }
    }

    static func sqlType(_ type: ColumnType, timesAsText: Bool) -> String {
        switch type {
        case .int, .bool: return "INTEGER"
        case .double: return "REAL"
        case .time: return timesAsText ? "TEXT" : "INTEGER"
        default: return "TEXT"
        }
    }
}

/// An SQL identifier in double quotes.
func quoted(_ identifier: String) -> String {
    "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
