/// Why a frame could not be scanned.
public struct FrameScanError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public var message: String
    /// The byte offset in the frame.
    public var offset: Int

    /// Creates a scan error.
    public init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(message) at byte \(offset)" }
}

/// A forward-only JSON tokenizer over the bytes of one frame: the decode hot path.
///
/// It reads values in place — numbers straight to `Double`/`Int64`, strings without escapes straight to
/// `String` — and never builds a tree. Malformed input throws ``FrameScanError``; it never traps.
public struct FrameScanner: ~Copyable {
    @usableFromInline let base: UnsafeRawBufferPointer
    /// The current byte offset.
    @usableFromInline var position: Int

    /// A scanner over `bytes`, which must outlive it.
    public init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes
        position = 0
    }

    /// A scalar value just read.
    public enum Scalar {
        case number(Double)
        case integer(Int64)
        case string(String)
        case bool(Bool)
        case null
    }

    /// Whether every byte has been consumed (trailing whitespace allowed).
    public mutating func isAtEnd() -> Bool {
        skipWhitespace()
        return position >= base.count
    }

    @inlinable @inline(__always)
    mutating func skipWhitespace() {
        while position < base.count {
            let b = base[position]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { position += 1 } else { return }
        }
    }

    /// The next non-whitespace byte, without consuming it; `nil` at the end.
    @inlinable @inline(__always)
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < base.count ? base[position] : nil
    }

    /// Consumes `byte` (after whitespace) or throws.
    @inlinable @inline(__always)
    public mutating func expect(_ byte: UInt8) throws(FrameScanError) {
        guard peek() == byte else { throw FrameScanError("expected '\(Character(Unicode.Scalar(byte)))'", at: position) }
        position += 1
    }

    /// Consumes `byte` if it is next; reports whether it was.
    @inlinable @inline(__always)
    public mutating func consume(_ byte: UInt8) -> Bool {
        if peek() == byte { position += 1; return true }
        return false
    }

    /// After an element of an array or object: consumes `,` (true: another element follows) or the closing
    /// `close` byte (false).
    @inlinable @inline(__always)
    public mutating func nextElement(closing close: UInt8) throws(FrameScanError) -> Bool {
        switch peek() {
        case UInt8(ascii: ","): position += 1; return true
        case close: position += 1; return false
        default: throw FrameScanError("expected ',' or '\(Character(Unicode.Scalar(close)))'", at: position)
        }
    }

    /// Reads an object key and its colon; the key's raw bytes (escapes not resolved) are compared by the caller.
    public mutating func readKey() throws(FrameScanError) -> Range<Int> {
        let range = try readStringRange()
        try expect(UInt8(ascii: ":"))
        return range.raw
    }

    /// Whether the bytes in `range` equal `literal`.
    @inlinable
    public func bytes(_ range: Range<Int>, equal literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let p = literal.utf8Start
        for i in 0..<range.count where base[range.lowerBound + i] != p[i] { return false }
        return true
    }

    /// The bytes in `range` as a buffer.
    public func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: base[range])
    }

    /// Reads a string token; returns the range between the quotes and whether it contains escapes.
    @usableFromInline
    mutating func readStringRange() throws(FrameScanError) -> (raw: Range<Int>, escaped: Bool) {
        guard peek() == UInt8(ascii: "\"") else { throw FrameScanError("expected a string", at: position) }
        position += 1
        let start = position
        var escaped = false
        while position < base.count {
            let b = base[position]
            if b == UInt8(ascii: "\"") {
                let range = start..<position
                position += 1
                return (range, escaped)
            }
            if b == UInt8(ascii: "\\") { escaped = true; position += 2; continue }
            if b < 0x20 { throw FrameScanError("control character in a string", at: position) }
            position += 1
        }
        throw FrameScanError("unterminated string", at: start - 1)
    }

    /// Reads a string token as a `String`, resolving escapes.
    public mutating func readString() throws(FrameScanError) -> String {
        let (range, escaped) = try readStringRange()
        return escaped ? try unescape(range) : String(decoding: slice(range), as: UTF8.self)
    }

    func unescape(_ range: Range<Int>) throws(FrameScanError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var i = range.lowerBound
        func hex4(_ at: Int) throws(FrameScanError) -> UInt32 {
            guard at + 4 <= range.upperBound else { throw FrameScanError("bad \\u escape", at: at) }
            var v: UInt32 = 0
            for j in at..<(at + 4) {
                let c = base[j]
                let d: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
                default: throw FrameScanError("bad \\u escape", at: j)
                }
                v = v << 4 | UInt32(d)
            }
            return v
        }
        while i < range.upperBound {
            let b = base[i]
            guard b == UInt8(ascii: "\\") else { out.append(b); i += 1; continue }
            guard i + 1 < range.upperBound else { throw FrameScanError("bad escape", at: i) }
            let e = base[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = try hex4(i)
                i += 4
                if (0xD800..<0xDC00).contains(scalar), i + 6 <= range.upperBound,
                   base[i] == UInt8(ascii: "\\"), base[i + 1] == UInt8(ascii: "u") {
                    let low = try hex4(i + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw FrameScanError("bad escape", at: i - 2)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads any scalar: a number, a string (with `"NaN"`, `"Infinity"` and `"-Infinity"` as numbers), a
    /// boolean or null. Throws at `[` or `{`.
    public mutating func readScalar() throws(FrameScanError) -> Scalar {
        guard let b = peek() else { throw FrameScanError("unexpected end of frame", at: position) }
        switch b {
        case UInt8(ascii: "\""):
            let (range, escaped) = try readStringRange()
            if let special = specialNumber(range) { return .number(special) }
            return .string(escaped ? try unescape(range) : String(decoding: slice(range), as: UTF8.self))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try readNumber()
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: throw FrameScanError("expected a value", at: position)
        }
    }

    /// `NaN`, `Infinity` or `-Infinity` spelled as the bytes in `range`, as DXLink sends them in strings.
    @usableFromInline
    func specialNumber(_ range: Range<Int>) -> Double? {
        switch range.count {
        case 3 where bytes(range, equal: "NaN"): return .nan
        case 8 where bytes(range, equal: "Infinity"): return .infinity
        case 9 where bytes(range, equal: "-Infinity"): return -.infinity
        default: return nil
        }
    }

    mutating func literal(_ word: StaticString) throws(FrameScanError) {
        let n = word.utf8CodeUnitCount
        guard position + n <= base.count, bytes(position..<(position + n), equal: word) else {
            throw FrameScanError("expected a value", at: position)
        }
        position += n
    }

    /// 10^n for 0 ≤ n ≤ 22, all exact in a Double.
    @inline(__always)
    static func exactPowerOfTen(_ n: Int) -> Double {
        switch n {
        case 0: return 1e0
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        default: return 1e22
        }
    }

    /// Reads a JSON number: integers without fraction or exponent as `.integer` (exactly, up to Int64),
    /// others as `.number`, correctly rounded (a fast exact path, `strtod` otherwise).
    public mutating func readNumber() throws(FrameScanError) -> Scalar {
        let start = position
        var negative = false
        if base[position] == UInt8(ascii: "-") { negative = true; position += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var isInteger = true
        var truncated = false
        let intStart = position
        while position < base.count, case let d = base[position] &- UInt8(ascii: "0"), d < 10 {
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(d); digits += 1 } else { exponent += 1; truncated = true }
            position += 1
        }
        guard position > intStart else { throw FrameScanError("bad number", at: start) }
        if position < base.count, base[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            let fracStart = position
            while position < base.count, case let d = base[position] &- UInt8(ascii: "0"), d < 10 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(d); digits += 1; exponent -= 1 } else { truncated = true }
                position += 1
            }
            guard position > fracStart else { throw FrameScanError("bad number", at: start) }
        }
        if position < base.count, base[position] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            var expNegative = false
            if position < base.count, base[position] == UInt8(ascii: "-") || base[position] == UInt8(ascii: "+") {
                expNegative = base[position] == UInt8(ascii: "-")
                position += 1
            }
            var e = 0
            let expStart = position
            while position < base.count, case let d = base[position] &- UInt8(ascii: "0"), d < 10 {
                if e < 10_000 { e = e * 10 + Int(d) }
                position += 1
            }
            guard position > expStart else { throw FrameScanError("bad number", at: start) }
            exponent += expNegative ? -e : e
        }
        if isInteger, !truncated, mantissa <= UInt64(Int64.max) {
            let v = Int64(mantissa)
            return .integer(negative ? -v : v)
        }
        // Clinger's fast path: exact when the mantissa fits 53 bits and the power of ten is exact.
        if !truncated, mantissa < (1 << 53), exponent >= -22, exponent <= 22 {
            var v = Double(mantissa)
            v = exponent < 0 ? v / Self.exactPowerOfTen(-exponent) : v * Self.exactPowerOfTen(exponent)
            return .number(negative ? -v : v)
        }
        let text = String(decoding: slice(start..<position), as: UTF8.self)
        guard let v = Double(text) else { throw FrameScanError("bad number", at: start) }
        return .number(v)
    }

    /// The deepest nesting of arrays and objects ``skipValue()`` accepts inside the value it skips.
    /// No DXLink message nests more than a few levels; a frame that does is malformed.
    public static let maximumSkipDepth = 64

    /// Skips one value of any kind, nested arrays and objects included.
    ///
    /// Iterative, so no frame can exhaust the stack: it keeps the open containers as bits of one word
    /// and throws "nested too deeply" past ``maximumSkipDepth`` levels.
    public mutating func skipValue() throws(FrameScanError) {
        var depth = 0
        var objects: UInt64 = 0  // bit n: the container at depth n + 1 is an object
        while true {
            // A value starts here.
            guard let b = peek() else { throw FrameScanError("unexpected end of frame", at: position) }
            switch b {
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                let isObject = b == UInt8(ascii: "{")
                guard depth < Self.maximumSkipDepth else {
                    throw FrameScanError("nested too deeply (limit \(Self.maximumSkipDepth))", at: position)
                }
                position += 1
                if consume(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) { break }
                if isObject { objects |= 1 << UInt64(depth) } else { objects &= ~(1 << UInt64(depth)) }
                depth += 1
                if isObject { _ = try readKey() }
                continue
            case UInt8(ascii: "\""):
                _ = try readStringRange()
            default:
                _ = try readScalar()
            }
            // A value ended: close containers until one has another element.
            while depth > 0 {
                let isObject = objects & (1 << UInt64(depth - 1)) != 0
                if try nextElement(closing: isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    if isObject { _ = try readKey() }
                    break
                }
                depth -= 1
            }
            if depth == 0 { return }
        }
    }
}
