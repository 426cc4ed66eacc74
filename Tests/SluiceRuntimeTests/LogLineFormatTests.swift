import Foundation
import Logging
import SluiceCore
import SluiceRuntime
import Testing

/// Log lines machines can read: JSON objects and logfmt that parse back to what was logged, with
/// secrets redacted in every format.
@Suite("log line formats")
struct LogLineFormatTests {
    static let time = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
    static let redactor = SecretRedactor(secrets: ["s3cr\"et-token"])
    static let metadata: Logger.Metadata = [
        "reason": "the server closed the connection",
        "server_errors": ["UNKNOWN": "6"],
        "symbols": ["SPY", "QQQ"],
        "token": "s3cr\"et-token",
        "message": "a key that collides",
    ]

    static func line(_ format: LogLineFormat, message: String = "DXLink feed down", metadata: Logger.Metadata = metadata) -> String {
        format.line(time: time, level: .warning, label: "sluice.dxlink", message: message, metadata: metadata, redactor: redactor)
    }

    /// A small logfmt reader: `key=value` pairs, values bare or double-quoted with backslash escapes.
    static func parseLogfmt(_ line: String) -> [String: String] {
        var out: [String: String] = [:]
        var chars = Array(line.unicodeScalars)[...]
        while !chars.isEmpty {
            while chars.first == " " { chars = chars.dropFirst() }
            guard let eq = chars.firstIndex(of: "=") else { break }
            let key = String(String.UnicodeScalarView(chars[..<eq]))
            chars = chars[(eq + 1)...]
            var value = String.UnicodeScalarView()
            if chars.first == "\"" {
                chars = chars.dropFirst()
                while let c = chars.first, c != "\"" {
                    chars = chars.dropFirst()
                    if c == "\\", let e = chars.first {
                        chars = chars.dropFirst()
                        switch e {
                        case "n": value.append("\n")
                        case "r": value.append("\r")
                        case "t": value.append("\t")
                        case "u":
                            let hex = String(String.UnicodeScalarView(chars.prefix(4)))
                            chars = chars.dropFirst(4)
                            value.append(Unicode.Scalar(UInt32(hex, radix: 16)!)!)
                        default: value.append(e)
                        }
                    } else {
                        value.append(c)
                    }
                }
                chars = chars.dropFirst()
            } else {
                while let c = chars.first, c != " " { value.append(c); chars = chars.dropFirst() }
            }
            out[key] = String(value)
        }
        return out
    }

    @Test("json: one object with time, level, label, message and every metadata key, nested metadata as JSON")
    func json() throws {
        let text = Self.line(.json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["time"] as? String == "2023-11-14T22:13:20.000Z")
        #expect(object["level"] as? String == "warning")
        #expect(object["label"] as? String == "sluice.dxlink")
        #expect(object["message"] as? String == "DXLink feed down")
        #expect(object["reason"] as? String == "the server closed the connection")
        #expect(object["server_errors"] as? [String: String] == ["UNKNOWN": "6"])
        #expect(object["symbols"] as? [String] == ["SPY", "QQQ"])
        #expect(object["metadata.message"] as? String == "a key that collides", "a metadata key never overwrites a reserved one")
        #expect(object["token"] as? String == "***")
        #expect(!text.contains("et-token"), "the secret is redacted before JSON escapes its quote")
    }

    @Test("logfmt: values with spaces, quotes or nesting are quoted so the line parses back")
    func logfmt() {
        let text = Self.line(.logfmt)
        #expect(text.contains(#"reason="the server closed the connection""#))
        let fields = Self.parseLogfmt(text)
        #expect(fields["level"] == "warning" && fields["label"] == "sluice.dxlink")
        #expect(fields["msg"] == "DXLink feed down")
        #expect(fields["reason"] == "the server closed the connection")
        #expect(fields["server_errors"] == #"{"UNKNOWN":"6"}"#)
        #expect(fields["token"] == "***")
        #expect(fields["metadata.message"] == "a key that collides")
        #expect(!text.contains("et-token"))
    }

    @Test("logfmt: any value round-trips through quoting", arguments: [
        "", "plain", "two words", "a=b", #"say "hi""#, #"back\slash"#, "line\nbreak\ttab\r", "\u{1}\u{7F}\u{85}", "µs → ok", " lead",
    ])
    func logfmtRoundTrip(value: String) {
        let fields = Self.parseLogfmt(Self.line(.logfmt, message: value, metadata: ["v": .string(value)]))
        #expect(fields["msg"] == value)
        #expect(fields["v"] == value)
    }

    @Test("text: a server's control characters are shown escaped, never sent to the terminal")
    func textControlCharacters() {
        let text = Self.line(.text, message: "ERROR \u{1B}[2Jcleared\nforged line", metadata: ["reason": "bell\u{7}\r"])
        #expect(text == #"2023-11-14T22:13:20.000Z warning ERROR \u001b[2Jcleared\nforged line reason=bell\u0007\r"#)
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 })
    }

    @Test("text: the line people read, secrets redacted")
    func text() {
        let text = Self.line(.text, metadata: ["reason": "gone", "token": "s3cr\"et-token"])
        #expect(text == "2023-11-14T22:13:20.000Z warning DXLink feed down reason=gone token=***")
    }
}
