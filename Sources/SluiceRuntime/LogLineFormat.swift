public import Logging
public import SluiceCore

/// How log lines are written: for people (`text`) or for machines (`json`, `logfmt`).
public enum LogLineFormat: String, Sendable, CaseIterable {
    /// `TIME LEVEL MESSAGE key=value …`, for a terminal.
    case text
    /// One JSON object per line: `time`, `level`, `label`, `message`, then every metadata key (nested
    /// metadata as JSON objects and arrays).
    case json
    /// `time=… level=… label=… msg=… key=value …`, values quoted where logfmt needs it (spaces, `=`,
    /// quotes, empty); nested metadata as quoted compact JSON.
    case logfmt

    /// The names the reserved fields use; a metadata key that collides is written as `metadata.KEY`.
    static let reserved: Set<String> = ["time", "level", "label", "message", "msg"]

    /// One log line (without its newline). Every string — message, metadata keys and values — is
    /// redacted before it is encoded, so a secret is replaced whatever the format does to its characters.
    public func line(time: Timestamp, level: Logger.Level, label: String, message: String,
                     metadata: Logger.Metadata, redactor: SecretRedactor) -> String {
        let message = redactor.redact(message)
        let keys = metadata.keys.sorted()
        func key(_ k: String) -> String {
            let k = redactor.redact(k)
            return Self.reserved.contains(k) ? "metadata." + k : k
        }
        switch self {
        case .text:
            // Control characters from outside (a server's ERROR text, a symbol) are shown escaped: a line
            // on an operator's terminal never carries an escape sequence or a line break of its own.
            var line = "\(time.iso8601) \(level) \(Self.visible(message))"
            for k in keys { line += " \(Self.visible(redactor.redact(k)))=\(Self.visible(Self.plain(metadata[k]!, redactor)))" }
            return line
        case .json:
            var w = JSONWriter()
            w.raw("{\"time\":")
            w.string(time.iso8601)
            w.raw(",\"level\":")
            w.string(level.rawValue)
            w.raw(",\"label\":")
            w.string(label)
            w.raw(",\"message\":")
            w.string(message)
            for k in keys {
                w.raw(",")
                w.string(key(k))
                w.raw(":")
                Self.write(metadata[k]!, into: &w, redactor)
            }
            w.raw("}")
            return w.string
        case .logfmt:
            var parts = ["time=\(time.iso8601)", "level=\(level.rawValue)", "label=\(Self.quoted(label))", "msg=\(Self.quoted(message))"]
            for k in keys {
                let value: String
                switch metadata[k]! {
                case .string(let s): value = redactor.redact(s)
                case .stringConvertible(let c): value = redactor.redact(c.description)
                case let nested:
                    var w = JSONWriter()
                    Self.write(nested, into: &w, redactor)
                    value = w.string
                }
                parts.append("\(Self.logfmtKey(key(k)))=\(Self.quoted(value))")
            }
            return parts.joined(separator: " ")
        }
    }

    /// `text` with control characters shown escaped (`\n`, `\r`, `\t`, `\u001b`), the rest unchanged.
    static func visible(_ text: String) -> String {
        text.unicodeScalars.contains(where: isControl) ? escaped(text, quotes: false) : text
    }

    /// `text` with control characters escaped, and with `quotes`, `"` and `\` too (inside logfmt quotes).
    static func escaped(_ text: String, quotes: Bool) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"" where quotes: out += "\\\""
            case "\\" where quotes: out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where isControl(scalar):
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// C0 and C1 controls and DEL: what a terminal acts on instead of showing.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// A metadata value as the text format has always shown it, redacted.
    static func plain(_ value: Logger.MetadataValue, _ redactor: SecretRedactor) -> String {
        redactor.redact("\(value)")
    }

    /// A metadata value as JSON, every string redacted. Nesting comes from code, not input; it is still
    /// bounded, so no value can recurse without end.
    static func write(_ value: Logger.MetadataValue, into w: inout JSONWriter, _ redactor: SecretRedactor, depth: Int = 0) {
        guard depth < 32 else { w.string("…"); return }
        switch value {
        case .string(let s): w.string(redactor.redact(s))
        case .stringConvertible(let c): w.string(redactor.redact(c.description))
        case .array(let items):
            w.raw("[")
            for (i, item) in items.enumerated() {
                if i > 0 { w.raw(",") }
                write(item, into: &w, redactor, depth: depth + 1)
            }
            w.raw("]")
        case .dictionary(let d):
            w.raw("{")
            for (i, k) in d.keys.sorted().enumerated() {
                if i > 0 { w.raw(",") }
                w.string(redactor.redact(k))
                w.raw(":")
                write(d[k]!, into: &w, redactor, depth: depth + 1)
            }
            w.raw("}")
        }
    }

    /// A logfmt value: bare when it is a non-empty run of characters logfmt reads as one token, else in
    /// double quotes with `\` and `"` escaped and control characters as `\n`, `\r`, `\t` or `\u00XX`.
    static func quoted(_ value: String) -> String {
        let bare = !value.isEmpty && value.unicodeScalars.allSatisfy { $0 != " " && $0 != "=" && $0 != "\"" && $0 != "\\" && !isControl($0) }
        return bare ? value : "\"" + escaped(value, quotes: true) + "\""
    }

    /// A logfmt key: the characters logfmt keys allow, anything else as `_`.
    static func logfmtKey(_ key: String) -> String {
        let cleaned = String(key.unicodeScalars.map { s -> Character in
            s.value > 0x20 && s != "=" && s != "\"" && s.value < 0x7F ? Character(s) : "_"
        })
        return cleaned.isEmpty ? "_" : cleaned
    }
}

/// A log handler that writes each line in a ``LogLineFormat``, with secrets redacted, to `write`
/// (standard error for `sluice run`).
public struct FormattedLogHandler: LogHandler {
    /// The logger's label.
    public let label: String
    /// The line format.
    public let format: LogLineFormat
    /// The secrets to redact.
    public let redactor: SecretRedactor
    /// Where lines go (each without its newline).
    public let write: @Sendable (String) -> Void
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    /// Creates a handler.
    public init(label: String, format: LogLineFormat, redactor: SecretRedactor, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.format = format
        self.redactor = redactor
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        write(format.line(time: .now, level: event.level, label: label, message: "\(event.message)", metadata: all, redactor: redactor))
    }
}
