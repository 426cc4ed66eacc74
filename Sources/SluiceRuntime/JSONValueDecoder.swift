package import SluiceCore

/// Decodes a `Decodable` straight from a parsed ``JSONValue`` — no detour through text, `Data` and
/// `JSONDecoder` — so a configuration costs about its own size to load. Errors are `DecodingError`s with
/// the coding path, as `JSONDecoder` throws them.
///
/// Member names follow one rule, so a configuration needs no `CodingKeys`: a property reads the member of
/// the same name, or else the member that spells it in snake_case — the same letters, ignoring case and
/// underscores (`closeWait` reads `close_wait`, `baseURL` reads `base_url`, `mergeDXLink` reads
/// `merge_dxlink`). Dictionary keys are matched exactly (their keys are the members' own names).
package struct JSONValueDecoder {
    /// Decodes a `T` from `value`.
    package static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try T(from: ValueDecoder(value: value, codingPath: [], reads: nil))
    }

    /// Decodes a `T` from `value`, recording in `reads` the member of every object the type asked for.
    package static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, recordingReadsIn reads: MemberReads) throws -> T {
        try T(from: ValueDecoder(value: value, codingPath: [], reads: reads))
    }
}

/// The members a decoded type asked for, by JSON Pointer: those found in the input and those it looked
/// for in vain (an optional property the input lacks, or a property the spec does not declare).
package final class MemberReads {
    /// Members asked for and present.
    package private(set) var found: Set<JSONPointer> = []
    /// Members asked for and absent, spelled as the input would spell them (snake_case).
    package private(set) var missing: Set<JSONPointer> = []

    /// An empty log.
    package init() {}

    func record(_ pointer: JSONPointer, found isFound: Bool) {
        if isFound { found.insert(pointer) } else { missing.insert(pointer) }
    }
}

/// A name's letters and digits, lower-cased, without underscores: the form in which a property name and
/// its snake_case spelling agree (`baseURL`, `base_url` → `baseurl`).
package func memberFold(_ name: String) -> String {
    String(name.lazy.filter { $0 != "_" }.map { Character($0.lowercased()) })
}

/// `closeWait` → `close_wait`, `baseURL` → `base_url`, `maxEvents` → `max_events`; a name without capitals
/// is itself. Used to name a missing member as the input would spell it.
package func snakeCased(_ name: String) -> String {
    let chars = Array(name)
    guard chars.contains(where: \.isUppercase) else { return name }
    var out = ""
    for (i, c) in chars.enumerated() {
        if c.isUppercase, i > 0 {
            let previous = chars[i - 1]
            let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
            if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) { out.append("_") }
        }
        out.append(contentsOf: c.lowercased())
    }
    return out
}

private struct ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let reads: MemberReads?
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else { throw mismatch([String: JSONValue].self, value, codingPath) }
        return KeyedDecodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath, reads: reads))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw mismatch([JSONValue].self, value, codingPath) }
        return UnkeyedContainer(items: items, codingPath: codingPath, reads: reads)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleContainer(value: value, codingPath: codingPath, reads: reads)
    }
}

/// A key as it appears in the input: its string, or the snake_case member it matched.
private struct MemberKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

/// The JSON Pointer of a coding path (indices as numbers, keys as the input spells them).
private func pointer(_ path: [any CodingKey]) -> JSONPointer {
    JSONPointer(tokens: path.map { $0.intValue.map(String.init) ?? $0.stringValue })
}

private func mismatch(_ type: Any.Type, _ value: JSONValue, _ path: [any CodingKey]) -> DecodingError {
    .typeMismatch(type, DecodingError.Context(codingPath: path, debugDescription: "expected \(type), got \(value.kindName)"))
}

/// A value as one of the standard scalar types, with exactness checked for integers. The coding path is
/// built only when it is needed (an error, or a nested value): a big array of strings costs no path per
/// element.
private func scalar<T: Decodable>(_ type: T.Type, _ value: JSONValue, _ path: () -> [any CodingKey], _ reads: MemberReads?) throws -> T {
    // The common types first, without dynamic casts (this function runs unspecialized).
    switch value {
    case .string(let s) where T.self == String.self: return unsafeBitCast(s, to: T.self)
    case .number(let n) where T.self == Double.self: return unsafeBitCast(n, to: T.self)
    case .number(let n) where T.self == Int.self:
        if let i = Int(exactly: n) { return unsafeBitCast(i, to: T.self) }
    case .bool(let b) where T.self == Bool.self: return unsafeBitCast(b, to: T.self)
    default: break
    }
    let path = path()
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
    default: break
    }
    let isScalar = T.self is Bool.Type || T.self is String.Type || T.self is Double.Type || T.self is Float.Type || T.self is any FixedWidthInteger.Type
    if isScalar, value == .null {
        throw DecodingError.valueNotFound(T.self, .init(codingPath: path, debugDescription: "expected \(T.self), got null"))
    }
    // Not a scalar type: decode it as a nested value (an optional, an enum, a struct, a collection).
    if !isScalar { return try T(from: ValueDecoder(value: value, codingPath: path, reads: reads)) }
    throw mismatch(T.self, value, path)
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: JSONObject
    let codingPath: [any CodingKey]
    let reads: MemberReads?

    var allKeys: [Key] { object.entries.compactMap { Key(stringValue: $0.key) } }

    /// The member `key` names — the exact key, else the one that folds to the same letters — and the
    /// name to report (the member's own, or the snake_case spelling of a missing one).
    func member(_ key: Key) -> (name: String, value: JSONValue?) {
        if let v = object[key.stringValue] { return (key.stringValue, v) }
        let snake = snakeCased(key.stringValue)
        if let v = object[snake] { return (snake, v) }
        let folded = memberFold(key.stringValue)
        if let entry = object.entries.first(where: { memberFold($0.key) == folded }) { return (entry.key, entry.value) }
        return (snake, nil)
    }

    /// The member for `key`, recorded in the read log.
    func lookup(_ key: Key) -> (path: [any CodingKey], value: JSONValue?) {
        let (name, value) = member(key)
        let path = codingPath + [MemberKey(name)]
        reads?.record(pointer(path), found: value != nil)
        return (path, value)
    }

    /// Whether the member is present; recorded in the read log, since the standard `decodeIfPresent` of
    /// the scalar types asks this first.
    func contains(_ key: Key) -> Bool { lookup(key).value != nil }

    func value(_ key: Key) throws -> (path: [any CodingKey], value: JSONValue) {
        let (path, v) = lookup(key)
        guard let v else {
            let name = member(key).name
            throw DecodingError.keyNotFound(MemberKey(name), .init(codingPath: codingPath, debugDescription: "missing field \"\(name)\""))
        }
        return (path, v)
    }

    func decodeNil(forKey key: Key) throws -> Bool { (member(key).value ?? .null) == .null }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let (path, v) = try value(key)
        return try scalar(T.self, v, { path }, reads)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        let (_, v) = lookup(key)
        guard let v, v != .null else { return nil }
        return try decode(T.self, forKey: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        let (path, v) = try value(key)
        return try ValueDecoder(value: v, codingPath: path, reads: reads).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let (path, v) = try value(key)
        return try ValueDecoder(value: v, codingPath: path, reads: reads).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { ValueDecoder(value: .object(object), codingPath: codingPath, reads: reads) }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        let (path, v) = lookup(key)
        return ValueDecoder(value: v ?? .null, codingPath: path, reads: reads)
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
    let reads: MemberReads?
    var currentIndex = 0

    init(items: [JSONValue], codingPath: [any CodingKey], reads: MemberReads?) {
        self.items = items
        self.codingPath = codingPath
        self.reads = reads
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    mutating func next() throws -> (JSONValue, [any CodingKey]) {
        let (value, index) = try nextValue()
        return (value, codingPath + [IndexKey(index)])
    }

    /// The next element and its index, without building its coding path.
    mutating func nextValue() throws -> (JSONValue, Int) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(JSONValue.self, .init(codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: "no more elements"))
        }
        defer { currentIndex += 1 }
        return (items[currentIndex], currentIndex)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (v, index) = try nextValue()
        return try scalar(T.self, v, { codingPath + [IndexKey(index)] }, reads)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (v, path) = try next()
        return try ValueDecoder(value: v, codingPath: path, reads: reads).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (v, path) = try next()
        return try ValueDecoder(value: v, codingPath: path, reads: reads).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (v, path) = try next()
        return ValueDecoder(value: v, codingPath: path, reads: reads)
    }
}

private struct SingleContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let reads: MemberReads?

    func decodeNil() -> Bool { value == .null }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try scalar(T.self, value, { codingPath }, reads) }
}
