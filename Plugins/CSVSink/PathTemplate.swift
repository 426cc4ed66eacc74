public import SluiceCore

/// A file name with placeholders filled per record: `{symbol}`, `{type}` (the record type, e.g. `quote`)
/// and `{date}` (the UTC date of the record's `time` or `start`, else of the clock).
public struct PathTemplate: Sendable, CustomStringConvertible {
    enum Part: Sendable, Equatable {
        case literal(String)
        case symbol, type, date
    }

    let parts: [Part]
    /// The template as written.
    public let description: String

    /// The placeholders a template may use.
    public static let placeholders = ["{symbol}", "{type}", "{date}"]

    /// Parses `text`; throws a message naming an unknown placeholder.
    public init(_ text: String) throws(TemplateError) {
        description = text
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            if open > rest.startIndex { parts.append(.literal(String(rest[..<open]))) }
            guard let close = rest[open...].firstIndex(of: "}") else { throw TemplateError(placeholder: String(rest[open...])) }
            let name = rest[rest.index(after: open)..<close]
            switch name {
            case "symbol": parts.append(.symbol)
            case "type": parts.append(.type)
            case "date": parts.append(.date)
            default: throw TemplateError(placeholder: "{\(name)}")
            }
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
    }

    /// Whether every record goes to the same file.
    public var isConstant: Bool { parts.allSatisfy { if case .literal = $0 { true } else { false } } }

    /// The path for `record`; `now` gives `{date}` when the record has no time.
    public func path(for record: some Record, now: Timestamp) -> String {
        var path = ""
        for part in parts {
            switch part {
            case .literal(let s): path += s
            case .type: path += record.schema.recordType
            case .symbol:
                if case .string(let s) = record[field: "symbol"], !s.isEmpty { path += Self.fileSafe(s) } else { path += "_" }
            case .date: path += (record.recordTime ?? now).utcDate
            }
        }
        return path
    }

    /// Replaces characters that do not belong in a file name (`/ESZ25:XCME` becomes `_ESZ25_XCME`).
    static func fileSafe(_ s: String) -> String {
        String(s.map { c in c.isLetter || c.isNumber || c == "." || c == "-" || c == "_" || c == "=" ? c : "_" })
    }
}

/// A path template with a placeholder other than `{symbol}`, `{type}` or `{date}`.
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    /// The unknown placeholder.
    public var placeholder: String
    public var description: String {
        "unknown placeholder \(placeholder); use " + PathTemplate.placeholders.joined(separator: ", ")
    }
}
