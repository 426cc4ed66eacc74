import SluiceCore

/// Decodes a `Decodable` straight from a parsed ``JSONValue`` — no detour through text, `Data` and
/// `JSONDecoder` — so a configuration costs about its own size to load. Errors are `DecodingError`s with
/// the coding path, as `JSONDecoder` throws them.
struct JSONValueDecoder {
    /// Decodes a `T` from `value`.
    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try T(from: ValueDecoder(value: value, codingPath: []))
    }
}

private struct ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else { throw mismatch([String: JSONValue].self, value, codingPath) }
        return KeyedDecodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw mismatch([JSONValue].self, value, codingPath) }
        return UnkeyedContainer(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleContainer(value: value, codingPath: codingPath)
    }
}

private func mismatch(_ type: Any.Type, _ value: JSONValue, _ path: [any CodingKey]) -> DecodingError {
    .typeMismatch(type, DecodingError.Context(codingPath: path, debugDescription: "expected \(type), got \(value.kindName)"))
}

/// A value as one of the standard scalar types, with exactness checked for integers.
private func scalar<T: Decodable>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey]) throws -> T {
    switch value {
    case .bool(let b): if let v = b as? T { return v }
    case .string(let s): if let v = s as? T { return v }
    case .number(let n):
        if let v = n as? T { return v }
        if T.self == Float.self { return Float(n) as! T }
        if let i = Int64(exactly: n) {
            switch T.self {
            case is Int.Type: return Int(i) as! T
            case is Int64.Type: return i as! T
            case is Int32.Type: if let v = Int32(exactly: i) { return v as! T }
            case is UInt.Type: if let v = UInt(exactly: i) { return v as! T }
            case is UInt64.Type: if let v = UInt64(exactly: i) { return v as! T }
            case is Int16.Type: if let v = Int16(exactly: i) { return v as! T }
            case is UInt32.Type: if let v = UInt32(exactly: i) { return v as! T }
            case is Int8.Type: if let v = Int8(exactly: i) { return v as! T }
            case is UInt8.Type: if let v = UInt8(exactly: i) { return v as! T }
            case is UInt16.Type: if let v = UInt16(exactly: i) { return v as! T }
            default: break
            }
            if T.self is any FixedWidthInteger.Type {
                throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "\(n) does not fit in \(T.self)"))
            }
        }
    case .null:
        throw DecodingError.valueNotFound(T.self, .init(codingPath: path, debugDescription: "expected \(T.self), got null"))
    default: break
    }
    // Not a scalar type: decode it as a nested value.
    if !(T.self is Bool.Type || T.self is String.Type || T.self is Double.Type || T.self is Float.Type || T.self is any FixedWidthInteger.Type) {
        return try T(from: ValueDecoder(value: value, codingPath: path))
    }
    throw mismatch(T.self, value, path)
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: JSONObject
    let codingPath: [any CodingKey]

    var allKeys: [Key] { object.entries.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

    func value(_ key: Key) throws -> JSONValue {
        guard let v = object[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing field \"\(key.stringValue)\""))
        }
        return v
    }

    func decodeNil(forKey key: Key) throws -> Bool { (object[key.stringValue] ?? .null) == .null }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let path = codingPath + [key]
        let v = try value(key)
        if T.self is Bool.Type || T.self is String.Type || T.self is Double.Type || T.self is Float.Type || T.self is any FixedWidthInteger.Type {
            return try scalar(T.self, v, path)
        }
        return try T(from: ValueDecoder(value: v, codingPath: path))
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let v = object[key.stringValue], v != .null else { return nil }
        return try decode(T.self, forKey: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try ValueDecoder(value: value(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(value: value(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { ValueDecoder(value: .object(object), codingPath: codingPath) }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder(value: object[key.stringValue] ?? .null, codingPath: codingPath + [key])
    }
}

private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { String(intValue ?? 0) }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(items: [JSONValue], codingPath: [any CodingKey]) {
        self.items = items
        self.codingPath = codingPath
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    mutating func next() throws -> (JSONValue, [any CodingKey]) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(JSONValue.self, .init(codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: "no more elements"))
        }
        defer { currentIndex += 1 }
        return (items[currentIndex], codingPath + [IndexKey(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (v, path) = try next()
        return try scalar(T.self, v, path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (v, path) = try next()
        return try ValueDecoder(value: v, codingPath: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (v, path) = try next()
        return try ValueDecoder(value: v, codingPath: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (v, path) = try next()
        return ValueDecoder(value: v, codingPath: path)
    }
}

private struct SingleContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { value == .null }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try scalar(T.self, value, codingPath) }
}
