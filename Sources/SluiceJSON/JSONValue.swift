/// A parsed JSON value that keeps object keys in file order.
///
/// Pipeline files and stage configurations are handled as `JSONValue` trees so that validation can
/// walk them with exact JSON Pointer paths before anything is decoded into a typed configuration.
public enum JSONValue: Sendable, Equatable {
    /// `null`
    case null
    /// `true` or `false`
    case bool(Bool)
    /// A number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object with its keys in the order they were written.
    case object(JSONObject)

    /// The kind of value, as used in messages: "null", "boolean", "number", "string", "array", "object".
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number(let n): return n == n.rounded() && abs(n) < 9.007e15 ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The string, if this is a string.
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The object, if this is an object.
    public var objectValue: JSONObject? { if case .object(let o) = self { return o } else { return nil } }
    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    /// The number, if this is a number.
    public var numberValue: Double? { if case .number(let n) = self { return n } else { return nil } }
    /// The number as an exact integer, if it is one.
    public var integerValue: Int64? {
        guard case .number(let n) = self, n == n.rounded(), abs(n) < 9.007e15 else { return nil }
        return Int64(n)
    }

    /// The value serialised as compact JSON text.
    public var jsonText: String {
        var writer = JSONWriter()
        writer.write(self)
        return writer.string
    }
}

/// A JSON object: key/value pairs in file order.
public struct JSONObject: Sendable, Equatable {
    /// The members in the order they were written.
    public var entries: [(key: String, value: JSONValue)]

    /// Creates an object from ordered members.
    public init(_ entries: [(key: String, value: JSONValue)] = []) { self.entries = entries }

    /// The value for `key`, or `nil`. Setting `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get { entries.first(where: { $0.key == key })?.value }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    /// The keys in order.
    public var keys: [String] { entries.map(\.key) }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

/// A JSON Pointer (RFC 6901), e.g. `/stages/2/config/periods/0`, used to name the place of every
/// problem found in a pipeline file.
public struct JSONPointer: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The unescaped reference tokens.
    public private(set) var tokens: [String]

    /// The pointer to the whole document.
    public static let root = JSONPointer(tokens: [])

    /// Creates a pointer from unescaped tokens.
    public init(tokens: [String]) { self.tokens = tokens }

    /// The pointer to member `key` of the value this pointer names.
    public func appending(_ key: String) -> JSONPointer { JSONPointer(tokens: tokens + [key]) }
    /// The pointer to element `index` of the value this pointer names.
    public func appending(_ index: Int) -> JSONPointer { JSONPointer(tokens: tokens + [String(index)]) }

    /// The escaped text form; the root is the empty string.
    public var description: String {
        tokens.map { "/" + $0.replacingAll("~", with: "~0").replacingAll("/", with: "~1") }.joined()
    }

    /// The text form, or `/` for the root (friendlier in messages).
    public var displayText: String { tokens.isEmpty ? "/" : description }

    public static func < (lhs: JSONPointer, rhs: JSONPointer) -> Bool {
        for (a, b) in zip(lhs.tokens, rhs.tokens) where a != b {
            if let x = Int(a), let y = Int(b) { return x < y }
            return a < b
        }
        return lhs.tokens.count < rhs.tokens.count
    }
}

extension String {
    /// This string with every occurrence of `target` replaced (no Foundation needed).
    package func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, self.contains(target) else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

/// A JSON Pointer kept as steps while a document is walked: an index stays a number until a pointer is
/// asked for, so walking a big array builds no string per element.
package struct JSONPath {
    package enum Step {
        case key(String)
        case index(Int)
    }

    package private(set) var steps: [Step] = []

    package init() {}

    package mutating func push(_ key: String) { steps.append(.key(key)) }
    package mutating func push(index: Int) { steps.append(.index(index)) }
    /// Replaces the last step with `index` (the next element of the array being walked).
    package mutating func setLast(index: Int) { steps[steps.count - 1] = .index(index) }
    package mutating func pop() { steps.removeLast() }

    /// The pointer these steps spell.
    package var pointer: JSONPointer {
        JSONPointer(tokens: steps.map { step in
            switch step {
            case .key(let k): return k
            case .index(let i): return String(i)
            }
        })
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// An object from a literal, its keys in the order written: `["symbol": "SPY", "size": .number(5)]`.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements.map { (key: $0.0, value: $0.1) })
    }
}
