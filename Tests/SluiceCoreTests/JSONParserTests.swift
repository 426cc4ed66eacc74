import SluiceCore
import Testing

@Suite("JSON parsing with positions")
struct JSONParserTests {
    @Test("values keep key order and every value's line and column are known by JSON Pointer")
    func positions() throws {
        let doc = try JSONDocument(parsing: "{\n  \"b\": 1,\n  \"a\": [true, {\"x/y\": null}]\n}")
        #expect(doc.root.objectValue?.keys == ["b", "a"])
        #expect(doc.position(of: JSONPointer(tokens: ["b"])) == SourcePosition(line: 2, column: 8))
        #expect(doc.position(of: JSONPointer(tokens: ["a", "1", "x/y"])) == SourcePosition(line: 3, column: 23))
        #expect(doc.position(of: JSONPointer(tokens: ["a", "1", "missing", "deeper"])) == SourcePosition(line: 3, column: 15), "the nearest ancestor that exists")
        let several = doc.positions(of: [JSONPointer(tokens: ["a"]), JSONPointer(tokens: ["a", "0"]), .root])
        #expect(several == [JSONPointer(tokens: ["a"]): SourcePosition(line: 3, column: 8), JSONPointer(tokens: ["a", "0"]): SourcePosition(line: 3, column: 9), .root: SourcePosition(line: 1, column: 1)])
        #expect(JSONPointer(tokens: ["a", "1", "x/y"]).description == "/a/1/x~1y")
    }

    @Test("syntax errors name the line and column and what was expected", arguments: [
        ("{\"a\": 1,}", 1, 9, "trailing comma before '}' is not allowed"),
        ("{\"a\": 1\n \"b\": 2}", 2, 2, "unexpected '\"'; expected ',' or '}' after an object member"),
        ("{'a': 1}", 1, 2, "unexpected '''; expected a member name in double quotes"),
        ("[1, 2", 1, 6, "unexpected end of file inside an array; expected ',' or ']'"),
        ("{\"a\": 01}", 1, 8, "numbers must not have leading zeros"),
        ("{\"a\": 1, \"a\": 2}", 1, 10, "duplicate member name \"a\""),
        ("", 1, 1, "the file is empty; expected a JSON object"),
        ("{\"a\": tru}", 1, 7, "invalid literal; expected 'true'"),
    ])
    func syntaxErrors(text: String, line: Int, column: Int, message: String) {
        #expect(throws: JSONSyntaxError(message: message, position: SourcePosition(line: line, column: column))) {
            try JSONDocument(parsing: text)
        }
    }

    @Test("strings decode escapes, including surrogate pairs")
    func escapes() throws {
        let doc = try JSONDocument(parsing: #"["a\"b\\c\n", "\u00e9\ud83d\ude00"]"#)
        #expect(doc.root == .array([.string("a\"b\\c\n"), .string("é😀")]))
    }

    @Test("the writer round-trips values and writes non-finite numbers as null")
    func writer() throws {
        let value = JSONValue.object(JSONObject([("s", .string("q\"\n")), ("n", .number(1.5)), ("i", .number(3)), ("a", .array([.bool(true), .null]))]))
        var w = JSONWriter()
        w.write(value)
        #expect(w.string == #"{"s":"q\"\n","n":1.5,"i":3,"a":[true,null]}"#)
        #expect(try JSONDocument(parsing: w.string).root == value)
        var w2 = JSONWriter()
        w2.number(.nan)
        #expect(w2.string == "null")
    }
}

@Suite("Durations and timestamps")
struct DurationTests {
    @Test("durations parse with units and print back", arguments: [
        ("500ms", Duration.milliseconds(500), "500ms"), ("2s", .seconds(2), "2s"), ("1.5s", .milliseconds(1500), "1500ms"),
        ("5m", .seconds(300), "5m"), ("1h", .seconds(3600), "1h"), ("1d", .seconds(86400), "1d"),
    ])
    func parse(text: String, expected: Duration, printed: String) {
        #expect(DurationText.parse(text) == expected)
        #expect(DurationText.format(expected) == printed)
    }

    @Test("durations that are not round print to three significant digits, never as raw nanoseconds", arguments: [
        (Duration.nanoseconds(64_837_022), "64.8ms"), (.nanoseconds(24_656_421), "24.7ms"), (.nanoseconds(1_234_567_891), "1.23s"),
        (.nanoseconds(123_456_789_012), "123s"), (.nanoseconds(1_500), "1.5us"), (.nanoseconds(2_345), "2.35us"), (.zero, "0s"),
    ])
    func humanDurations(duration: Duration, printed: String) {
        #expect(DurationText.format(duration) == printed)
    }

    @Test("invalid durations are rejected", arguments: ["", "5", "ms", "-1s", "1w", "1.2.3s"])
    func invalid(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test("timestamps print as ISO-8601 UTC with milliseconds")
    func iso() {
        #expect(Timestamp(millisecondsSinceEpoch: 1_700_000_000_123).iso8601 == "2023-11-14T22:13:20.123Z")
        #expect(Timestamp(millisecondsSinceEpoch: 0).iso8601 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: -1).iso8601 == "1969-12-31T23:59:59.999Z")
    }
}
