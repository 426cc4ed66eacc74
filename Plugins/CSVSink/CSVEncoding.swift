public import SluiceCore

/// How CSV text is written: RFC 4180 fields, numbers as shortest round-trip text, NaN as an empty field.
public struct CSVEncoding: Sendable {
    /// The field separator (RFC 4180: a comma).
    public var delimiter: UInt8
    /// The line ending (RFC 4180: CR LF).
    public var lineEnding: [UInt8]
    /// Times as epoch milliseconds rather than ISO-8601 UTC.
    public var timesAsMilliseconds: Bool

    /// Creates an encoding; the defaults are RFC 4180 with ISO-8601 times.
    public init(delimiter: UInt8 = UInt8(ascii: ","), lineEnding: [UInt8] = [13, 10], timesAsMilliseconds: Bool = false) {
        self.delimiter = delimiter
        self.lineEnding = lineEnding
        self.timesAsMilliseconds = timesAsMilliseconds
    }

    /// Appends one row: the values at `indices` of `record` (`nil` indices are empty fields).
    @inlinable
    public func appendRow(_ record: some Record, indices: [Int?], to bytes: inout [UInt8]) {
        for (i, index) in indices.enumerated() {
            if i > 0 { bytes.append(delimiter) }
            if let index { appendField(record.value(at: index), to: &bytes) }
        }
        bytes.append(contentsOf: lineEnding)
    }

    /// Appends a header row.
    public func appendHeader(_ names: [String], to bytes: inout [UInt8]) {
        for (i, name) in names.enumerated() {
            if i > 0 { bytes.append(delimiter) }
            appendText(name, to: &bytes)
        }
        bytes.append(contentsOf: lineEnding)
    }

    /// Appends one field's text.
    @inlinable
    public func appendField(_ value: FieldValue, to bytes: inout [UInt8]) {
        switch value {
        case .null: break
        case .bool(let b): bytes.append(contentsOf: b ? "true".utf8 : "false".utf8)
        case .int(let v): appendInteger(v, to: &bytes)
        case .double(let v): appendDouble(v, to: &bytes)
        case .string(let s): appendText(s, to: &bytes)
        case .time(let t):
            if timesAsMilliseconds { appendInteger(t.millisecondsSinceEpoch, to: &bytes) } else { t.writeISO8601(into: &bytes) }
        }
    }

    /// Integers as decimal digits.
    @inlinable
    public func appendInteger(_ v: Int64, to bytes: inout [UInt8]) {
        if v == 0 { bytes.append(48); return }
        var magnitude = v.magnitude
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: enough for 20 digits
        withUnsafeMutableBytes(of: &buffer) { raw in
            var i = raw.count
            while magnitude > 0 {
                i -= 1
                raw[i] = UInt8(truncatingIfNeeded: 48 + magnitude % 10)
                magnitude /= 10
            }
            bytes.append(contentsOf: raw[i...])
        }
    }

    /// Doubles: whole numbers without a fraction, others as the shortest text that reads back the same;
    /// NaN as an empty field, infinities as `Infinity` and `-Infinity`.
    @inlinable
    public func appendDouble(_ v: Double, to bytes: inout [UInt8]) {
        if v.isNaN { return }
        if v.isInfinite {
            bytes.append(contentsOf: v < 0 ? "-Infinity".utf8 : "Infinity".utf8)
        } else if v == v.rounded(.towardZero), abs(v) < 1e15 {
            if v == 0, v.sign == .minus { bytes.append(contentsOf: "-0".utf8) } else { appendInteger(Int64(v), to: &bytes) }
        } else {
            bytes.append(contentsOf: v.description.utf8)
        }
    }

    /// Text, quoted when it holds the delimiter, a quote, CR or LF (quotes doubled inside).
    @inlinable
    public func appendText(_ s: String, to bytes: inout [UInt8]) {
        let utf8 = s.utf8
        let needsQuotes = utf8.contains { $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == 13 || $0 == 10 }
        guard needsQuotes else {
            bytes.append(contentsOf: utf8)
            return
        }
        bytes.append(UInt8(ascii: "\""))
        for b in utf8 {
            if b == UInt8(ascii: "\"") { bytes.append(b) }
            bytes.append(b)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Splits one CSV line (no line ending) into fields, honouring quotes: used to read an existing
    /// file's header.
    public func parseLine(_ line: String) -> [String] {
        var fields: [String] = []
        var current: [UInt8] = []
        var quoted = false
        var bytes = Array(line.utf8)
        if bytes.last == 13 { bytes.removeLast() }
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") { current.append(b); i += 1 } else { quoted = false }
                } else {
                    current.append(b)
                }
            } else if b == UInt8(ascii: "\"") {
                quoted = true
            } else if b == delimiter {
                fields.append(String(decoding: current, as: UTF8.self))
                current.removeAll()
            } else {
                current.append(b)
            }
            i += 1
        }
        fields.append(String(decoding: current, as: UTF8.self))
        return fields
    }
}
