/// The type of a record column, as sinks and schema export see it.
public struct ColumnType: Hashable, Sendable, CustomStringConvertible {
    enum Base: Hashable, Sendable { case bool, int, double, string, time }
    let base: Base

    /// True or false.
    public static let bool = ColumnType(base: .bool)
    /// A 64-bit signed integer.
    public static let int = ColumnType(base: .int)
    /// A 64-bit floating-point number (NaN allowed).
    public static let double = ColumnType(base: .double)
    /// A string.
    public static let string = ColumnType(base: .string)
    /// A timestamp.
    public static let time = ColumnType(base: .time)

    public var description: String {
        switch base {
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "double"
        case .string: return "string"
        case .time: return "time"
        }
    }
}

/// One named, typed column of a record.
public struct Column: Hashable, Sendable {
    /// The column's name, as used in filter expressions, CSV headers and SQL tables (snake_case).
    public var name: String
    /// The column's type.
    public var type: ColumnType

    /// Creates a column.
    public init(_ name: String, _ type: ColumnType) {
        self.name = name
        self.type = type
    }
}

/// The ordered columns shared by many records.
///
/// A schema is a reference type so that records can point at one shared instance and consumers can
/// cache per-schema work (a compiled filter, a prepared SQL statement) by identity.
public final class RecordSchema: Sendable, Hashable, CustomStringConvertible {
    /// The record type's name, e.g. `quote` or `tick`; sinks use it for table and file names.
    public let recordType: String
    /// The columns, in stable order.
    public let columns: [Column]
    private let indexByName: [String: Int]

    /// Creates a schema. Column names must be unique; later duplicates are ignored for lookup.
    public init(recordType: String, columns: [Column]) {
        self.recordType = recordType
        self.columns = columns
        var index: [String: Int] = [:]
        for (i, c) in columns.enumerated() where index[c.name] == nil { index[c.name] = i }
        self.indexByName = index
    }

    /// The position of the column called `name`, if there is one.
    public func index(of name: String) -> Int? { indexByName[name] }

    /// The column names in order.
    public var columnNames: [String] { columns.map(\.name) }

    public static func == (lhs: RecordSchema, rhs: RecordSchema) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
    public var description: String { "\(recordType)(\(columnNames.joined(separator: ", ")))" }
}

/// A value that generic stages can read field by field.
///
/// Every type that flows between stages and should be usable by `filter`, `select`, the sinks or the
/// alert rules conforms to `Record`. The schema is shared by all values of one shape, so lookups by name
/// can be resolved once per schema and then done by index.
public protocol Record: Sendable {
    /// The columns this value has. Values of one type usually share one static schema.
    var schema: RecordSchema { get }

    /// The value of the column at `index` in ``schema``.
    func value(at index: Int) -> FieldValue

    /// Every field name values of this type may carry, for checking field names when a pipeline is
    /// validated; `nil` when the fields are only known at run time.
    static var declaredFields: [Column]? { get }

    /// The event kinds (e.g. `Quote`, `Trade`) values of this type may be, for checking that two stages
    /// fit; `nil` when the type is not a sum of event kinds.
    static var eventKinds: [String]? { get }

    /// The shapes values of this type take — each a record type name (the table or file name sinks use)
    /// with its columns — for documentation (`sluice stages KIND`); `nil` when only known at run time.
    static var recordSchemas: [RecordSchema]? { get }
}

extension Record {
    public static var declaredFields: [Column]? { nil }
    public static var eventKinds: [String]? { nil }
    public static var recordSchemas: [RecordSchema]? { nil }

    /// The record's own time: its `time` column, else its `start` column (candles), when set (non-zero).
    public var recordTime: Timestamp? {
        for name in ["time", "start"] {
            if case .time(let t) = self[field: name], t.nanosecondsSinceEpoch > 0 { return t }
        }
        return nil
    }

    /// The value of the field called `name`, or `.null` when the record has no such field.
    public subscript(field name: String) -> FieldValue {
        guard let i = schema.index(of: name) else { return .null }
        return value(at: i)
    }
}
