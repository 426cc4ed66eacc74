public import SluiceCore

/// An alert: a rule fired for a symbol. A record, so it flows on to any sink.
public struct Alert: Record, Hashable {
    /// The rule's id.
    public var rule: String
    /// What kind of rule fired: `when`, `crosses_above`, `crosses_below`, `change`, `spread`, `stale`,
    /// `feed_down`.
    public var kind: String
    /// The symbol (empty for feed alerts).
    public var symbol: String
    /// When it fired (the record's time, or the clock's for time-driven rules).
    public var time: Timestamp
    /// The measured value: the price, the % change, the spread in bps, seconds stale …
    public var value: Double
    /// `info`, `warning` or `critical`.
    public var severity: AlertSeverity
    /// The rule's message with its placeholders filled.
    public var message: String

    /// Creates an alert.
    public init(rule: String, kind: String, symbol: String, time: Timestamp, value: Double, severity: AlertSeverity, message: String) {
        self.rule = rule
        self.kind = kind
        self.symbol = symbol
        self.time = time
        self.value = value
        self.severity = severity
        self.message = message
    }

    /// The columns of every alert.
    public static let recordSchema = RecordSchema(recordType: "alert", columns: [
        Column("rule", .string), Column("kind", .string), Column("symbol", .string), Column("time", .time),
        Column("value", .double), Column("severity", .string), Column("message", .string),
    ])

    public var schema: RecordSchema { Self.recordSchema }
    public static var declaredFields: [Column]? { recordSchema.columns }
    public static var recordSchemas: [RecordSchema]? { [recordSchema] }
    public static var eventKinds: [String]? { ["Alert"] }

    public func value(at index: Int) -> FieldValue {
        switch index {
        case 0: return .string(rule)
        case 1: return .string(kind)
        case 2: return .string(symbol)
        case 3: return .time(time)
        case 4: return .double(value)
        case 5: return .string(severity.rawValue)
        case 6: return .string(message)
        default: return .null
        }
    }

    /// The alert as one JSON object.
    public var json: String {
        var w = JSONWriter()
        w.record(self)
        return w.string
    }
}
