/// A line and column in a source text, both counted from 1.
public struct SourcePosition: Hashable, Sendable, CustomStringConvertible {
    /// The line, from 1.
    public var line: Int
    /// The column in characters (bytes for ASCII), from 1.
    public var column: Int

    /// Creates a position.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// A parsed JSON document that can say where each of its values starts.
///
/// Positions are not stored per value (that would cost many times the file's size); they are found on
/// demand, by one pass over the source for all the pointers asked about at once.
public struct JSONDocument: Sendable {
    /// The root value.
    public var root: JSONValue
    /// The source text.
    let bytes: [UInt8]

    /// The deepest nesting of arrays and objects accepted. Parsing recurses once per level, so a limit
    /// is what keeps hostile input from exhausting the stack; no pipeline file, REST body or record
    /// comes near it.
    public static let maximumDepth = 100

    /// Parses UTF-8 JSON text.
    ///
    /// - Throws: ``JSONSyntaxError`` with the line and column of the first problem; nesting deeper than
    ///   ``maximumDepth`` is one.
    public init(parsing bytes: some Collection<UInt8>) throws(JSONSyntaxError) {
        var parser = JSONParser(bytes: Array(bytes))
        root = try parser.parseDocument()
        self.bytes = parser.bytes
    }

    /// Parses JSON text.
    public init(parsing text: String) throws(JSONSyntaxError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// The position of the value at `pointer`, or of its nearest ancestor that has one.
    public func position(of pointer: JSONPointer) -> SourcePosition? {
        positions(of: [pointer])[pointer]
    }

    /// The positions of the values at `pointers` (each, or its nearest ancestor that exists), found in
    /// one pass over the source.
    public func positions(of pointers: some Sequence<JSONPointer>) -> [JSONPointer: SourcePosition] {
        var finder = JSONPositionFinder(bytes: bytes)
        return finder.find(Array(pointers))
    }
}

/// A JSON syntax error with its position.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong, e.g. "expected ',' or '}' after an object member".
    public var message: String
    /// Where it was found.
    public var position: SourcePosition
    /// The value it concerns, where that is known (a value nested too deeply); the root otherwise.
    public var pointer: JSONPointer

    /// Creates a syntax error.
    public init(message: String, position: SourcePosition, pointer: JSONPointer = .root) {
        self.message = message
        self.position = position
        self.pointer = pointer
    }

    public var description: String { "\(position): \(message)" }
}

struct JSONParser {
    let bytes: [UInt8]
    var index = 0
    var line = 1
    var lineStart = 0
    var depth = 0
    /// Where the value being parsed sits, for the messages that name a pointer. Indices are kept as
    /// numbers and turned into tokens only for a message, so a big array costs no string per element.
    var path = JSONPath()

    var pointer: JSONPointer { path.pointer }

    init(bytes: [UInt8]) { self.bytes = bytes }

    var position: SourcePosition { SourcePosition(line: line, column: index - lineStart + 1) }

    mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        // Skip a UTF-8 byte order mark.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3; lineStart = 3 }
        skipWhitespace()
        if index == bytes.count { throw fail("the file is empty; expected a JSON object") }
        let root = try parseValue()
        skipWhitespace()
        if index < bytes.count { throw fail("unexpected \(describeCurrent()) after the end of the JSON value") }
        return root
    }

    func fail(_ message: String) -> JSONSyntaxError { JSONSyntaxError(message: message, position: position) }

    func describeCurrent() -> String {
        guard index < bytes.count else { return "end of file" }
        let b = bytes[index]
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(String(b, radix: 16))"
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: "\n"):
                index += 1
                line += 1
                lineStart = index
            default:
                return
            }
        }
    }

    mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        guard index < bytes.count else { throw fail("unexpected end of file; expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "'"): throw fail("strings must use double quotes, not single quotes")
        case UInt8(ascii: "}"), UInt8(ascii: "]"): throw fail("unexpected \(describeCurrent()); expected a value (trailing commas are not allowed)")
        default: throw fail("unexpected \(describeCurrent()); expected a value")
        }
    }

    mutating func expectLiteral(_ literal: String) throws(JSONSyntaxError) {
        let start = position
        for b in literal.utf8 {
            guard index < bytes.count, bytes[index] == b else {
                throw JSONSyntaxError(message: "invalid literal; expected '\(literal)'", position: start)
            }
            index += 1
        }
    }

    mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > JSONDocument.maximumDepth {
            throw JSONSyntaxError(message: "nested too deeply (limit \(JSONDocument.maximumDepth))", position: position, pointer: pointer)
        }
    }

    mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var object = JSONObject()
        // Duplicates are found by a scan while the object is small, by a set once it is not.
        var seen: Set<String>?
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of file inside an object; expected '}'") }
            guard bytes[index] == UInt8(ascii: "\"") else {
                if bytes[index] == UInt8(ascii: "}") { throw fail("trailing comma before '}' is not allowed") }
                throw fail("unexpected \(describeCurrent()); expected a member name in double quotes")
            }
            let keyPosition = position
            let key = try parseString()
            let duplicate: Bool
            if seen != nil {
                duplicate = !seen!.insert(key).inserted
            } else {
                duplicate = object.entries.contains { $0.key == key }
                if object.entries.count >= 16 {
                    var keys = Set(object.entries.map(\.key))
                    keys.insert(key)
                    seen = keys
                }
            }
            if duplicate {
                throw JSONSyntaxError(message: "duplicate member name \"\(key)\"", position: keyPosition)
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw fail("unexpected \(describeCurrent()); expected ':' after member name \"\(key)\"")
            }
            index += 1
            skipWhitespace()
            path.push(key)
            let value = try parseValue()
            path.pop()
            object.entries.append((key, value))
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of file inside an object; expected ',' or '}'") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
            throw fail("unexpected \(describeCurrent()); expected ',' or '}' after an object member")
        }
    }

    mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
        path.push(index: 0)
        defer { path.pop() }
        while true {
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { throw fail("trailing comma before ']' is not allowed") }
            path.setLast(index: elements.count)
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of file inside an array; expected ',' or ']'") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            throw fail("unexpected \(describeCurrent()); expected ',' or ']' after an array element")
        }
    }

    mutating func parseString() throws(JSONSyntaxError) -> String {
        index += 1
        // The common case: no escapes, so the string is the bytes up to the closing quote.
        let start = index
        var isASCII = true
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let s = bytes.withUnsafeBufferPointer { all -> String? in
                    let run = UnsafeBufferPointer(rebasing: all[start..<index])
                    // ASCII is valid UTF-8 as it stands: copied without a second pass to validate it.
                    guard isASCII else { return String(validating: run, as: UTF8.self) }
                    return String(unsafeUninitializedCapacity: run.count) { out in
                        _ = out.initialize(fromContentsOf: run)
                        return run.count
                    }
                }
                guard let s else { throw fail("string is not valid UTF-8") }
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") || b < 0x20 { break }
            if b >= 0x80 { isASCII = false }
            index += 1
        }
        var out = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired UTF-16 surrogate in \\u escape")
                        }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid UTF-16 surrogate pair") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    index -= 1
                    throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))' in string")
                }
            case 0x00..<0x20:
                throw fail(b == 0x0A ? "unterminated string (line break inside a string)" : "control character in string must be escaped")
            default:
                out.append(b)
                index += 1
            }
        }
    }

    mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw fail("incomplete \\u escape") }
            let b = bytes[index]
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            index += 1
        }
        return v
    }

    mutating func parseNumber() throws(JSONSyntaxError) -> Double {
        let start = index
        let startPosition = position
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func digits(_ p: inout JSONParser) -> Int {
            let s = p.index
            while p.index < p.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p.bytes[p.index]) { p.index += 1 }
            return p.index - s
        }
        guard index < bytes.count else { throw fail("incomplete number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                throw fail("numbers must not have leading zeros")
            }
        } else if digits(&self) == 0 {
            throw fail("invalid number; expected a digit")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            if digits(&self) == 0 { throw fail("invalid number; expected a digit after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            if digits(&self) == 0 { throw fail("invalid number; expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text) else { throw fail("invalid number '\(text)'") }
        guard value.isFinite else {
            throw JSONSyntaxError(message: "number \(text) is out of range; expected a magnitude below 1.8e308", position: startPosition, pointer: pointer)
        }
        return value
    }
}
