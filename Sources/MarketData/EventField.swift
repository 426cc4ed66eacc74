public import SluiceCore

/// How a field of a market event is typed, on the wire and in Swift.
public enum EventFieldKind: Sendable, Hashable {
    /// A string that is never absent (empty when the wire has none).
    case string
    /// A string that may be absent (`null` on the wire).
    case optionalString
    /// A 64-bit integer (indexes exceed 2^53, so never read through a double).
    case int
    /// A floating-point number; `"NaN"`, `"Infinity"` and `"-Infinity"` on the wire are numbers here.
    case double
    /// Epoch milliseconds on the wire, a ``Timestamp`` in Swift.
    case time
    /// A boolean.
    case bool

    /// The record column type of such a field.
    public var columnType: ColumnType {
        switch self {
        case .string, .optionalString: return .string
        case .int: return .int
        case .double: return .double
        case .time: return .time
        case .bool: return .bool
        }
    }
}

/// One field of a DXLink event type: its wire name, its record column name and its kind.
public struct EventField: Sendable, Hashable {
    /// The name on the wire, e.g. `bidPrice`.
    public var wireName: String
    /// The record column name, e.g. `bid_price`.
    public var column: String
    /// The field's kind.
    public var kind: EventFieldKind

    /// Creates a field description.
    public init(_ wireName: String, _ column: String, _ kind: EventFieldKind) {
        self.wireName = wireName
        self.column = column
        self.kind = kind
    }

    /// The schema of an event type: `event_type` first, then one column per field.
    public static func schema(recordType: String, fields: [EventField]) -> RecordSchema {
        RecordSchema(recordType: recordType, columns: [Column("event_type", .string)] + fields.map { Column($0.column, $0.kind.columnType) })
    }
}

/// Scratch storage for one event's fields while it is decoded or encoded, indexed like the event type's
/// ``MarketEventPayload/fields``. Reused across events so that decoding allocates nothing per field.
public struct EventSlots: Sendable {
    /// Values of `.double` fields.
    public var doubles: [Double]
    /// Values of `.int` and `.time` (epoch milliseconds) fields.
    public var ints: [Int64]
    /// Values of `.string` and `.optionalString` fields.
    public var strings: [String?]
    /// Values of `.bool` fields.
    public var bools: [Bool]

    /// Slots for `count` fields, all empty.
    public init(count: Int) {
        doubles = Array(repeating: .nan, count: count)
        ints = Array(repeating: 0, count: count)
        strings = Array(repeating: nil, count: count)
        bools = Array(repeating: false, count: count)
    }

    /// Empties every slot (NaN, zero, nil, false), ready for the next event.
    public mutating func reset() {
        for i in doubles.indices {
            doubles[i] = .nan
            ints[i] = 0
            strings[i] = nil
            bools[i] = false
        }
    }
}

/// One DXLink event type as a Swift value: its wire name, its fields and the conversions between the
/// value and ``EventSlots``.
public protocol MarketEventPayload: Record {
    /// The event type's name on the wire, e.g. `Quote`.
    static var eventType: String { get }
    /// The fields, in the default request order.
    static var fields: [EventField] { get }
    /// The record schema every value of this type shares.
    static var recordSchema: RecordSchema { get }
    /// The event's symbol.
    var eventSymbol: String { get }
    /// Creates the event from slots filled in the order of ``fields``.
    init(slots: borrowing EventSlots)
    /// Writes the event into slots in the order of ``fields``.
    func store(into slots: inout EventSlots)
}
