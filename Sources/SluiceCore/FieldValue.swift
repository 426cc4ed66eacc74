/// One field of a record, as generic stages (filter, select, sinks) see it.
///
/// Typed stages work with their own structs; `FieldValue` is the common view that lets a CSV sink, a
/// filter expression or an alert rule read any record without knowing its type.
public enum FieldValue: Hashable, Sendable, CustomStringConvertible {
    /// No value (absent or JSON `null`).
    case null
    /// A boolean.
    case bool(Bool)
    /// A signed integer.
    case int(Int64)
    /// A floating-point number; may be NaN or infinite (market data uses both).
    case double(Double)
    /// A string.
    case string(String)
    /// A point in time.
    case time(Timestamp)

    /// The value as a number, when it is one (integers, doubles and times in epoch milliseconds).
    @inlinable
    public var numericValue: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case .time(let t): return Double(t.millisecondsSinceEpoch)
        case .bool, .string, .null: return nil
        }
    }

    /// Whether the value is present: not null and not NaN.
    @inlinable
    public var isPresent: Bool {
        switch self {
        case .null: return false
        case .double(let v): return !v.isNaN
        default: return true
        }
    }

    /// The name of the value's type, as used in messages ("number", "string", …).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .time: return "time"
        }
    }

    /// A human-readable rendering (strings unquoted, times in ISO-8601).
    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let v): return String(v)
        case .double(let v): return v.description
        case .string(let s): return s
        case .time(let t): return t.iso8601
        }
    }
}
