import SluiceCore
import SluiceExpressions
import Testing

@Suite("Filter expressions")
struct ExpressionTests {
    struct Row: Record {
        var values: [FieldValue]
        static let rowSchema = RecordSchema(recordType: "row", columns: [
            Column("symbol", .string), Column("price", .double), Column("size", .int), Column("bid", .double), Column("ask", .double),
        ])
        var schema: RecordSchema { Self.rowSchema }
        func value(at index: Int) -> FieldValue { values[index] }
        static var declaredFields: [Column]? { rowSchema.columns }
    }

    let spy = Row(values: [.string("SPY"), .double(501.25), .int(300), .double(501.2), .double(501.3)])
    let noBid = Row(values: [.string("AAPL"), .double(190), .int(5), .double(.nan), .null])

    func eval(_ text: String, _ row: Row) throws -> Bool {
        try Expression(parsing: text).bind(to: Row.rowSchema).matches(row)
    }

    @Test("comparisons, boolean logic and precedence", arguments: [
        ("price > 500", true), ("price > 500 and size < 100", false), ("price > 500 or size < 100", true),
        ("not price > 500", false), ("size >= 300 and not (symbol == \"QQQ\")", true),
        ("price > 600 or size == 300 and symbol == \"SPY\"", true), ("1 + 2 * 3 == 7", true), ("(1 + 2) * 3 == 9", true),
        ("size % 7 == 6", true), ("-size < 0", true), ("abs(-2) == 2 and max(1, 3) == 3", true),
    ])
    func logic(text: String, expected: Bool) throws {
        #expect(try eval(text, spy) == expected)
    }

    @Test("identifiers in any script are read whole, and two-character operators stay one token", arguments: [
        ("prix_é >= 1 && größe != 2", ["prix_é", "größe"]), ("株価<=3||x==y", ["株価", "x", "y"]),
    ])
    func identifiers(text: String, names: [String]) throws {
        let expression = try Expression(parsing: text)
        #expect(expression.fields.map(\.name) == names)
    }

    @Test("arithmetic over fields: spread in basis points")
    func spread() throws {
        #expect(try eval("(ask - bid) / ask * 10000 < 5", spy))
        #expect(try eval("(ask - bid) / ask * 10000 < 1", spy) == false)
    }

    @Test("string equality, prefix, suffix, contains and lists", arguments: [
        ("symbol == \"SPY\"", true), ("symbol != 'SPY'", false), ("symbol starts_with \"SP\"", true),
        ("symbol ends_with \"Y\"", true), ("symbol contains \"P\"", true), ("symbol in (\"AAPL\", \"SPY\")", true),
        ("symbol in (\"AAPL\")", false),
    ])
    func strings(text: String, expected: Bool) throws {
        #expect(try eval(text, spy) == expected)
    }

    @Test("field presence: has() is false for null and NaN; comparisons with missing values are false")
    func presence() throws {
        #expect(try eval("has(bid)", spy))
        #expect(try eval("has(bid)", noBid) == false)
        #expect(try eval("has(ask)", noBid) == false)
        #expect(try eval("ask > 0", noBid) == false)
        #expect(try eval("ask < 0", noBid) == false)
        #expect(try eval("has(nonexistent)", spy) == false)
    }

    @Test("syntax errors carry the column of the problem", arguments: [
        ("price >", 8, "expected an operand after '>'"),
        ("price = 5", 7, "'=' is not an operator"),
        ("(price > 5", 11, "expected ')' to close the '(' at column 1, found end of expression"),
        ("price > 5 size < 3", 11, "unexpected 'size' after the end of the expression"),
        ("symbol == \"SPY", 11, "unterminated string"),
        ("sqrt(price)", 1, "unknown function 'sqrt'"),
        ("", 1, "the expression is empty"),
        ("price > 5 and", 14, "expected an operand after 'and'"),
    ])
    func errors(text: String, column: Int, message: String) {
        do {
            _ = try Expression(parsing: text)
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.column == column)
            #expect(error.message == message)
        }
    }

    @Test("unknown fields are reported with a did-you-mean hint")
    func unknownFields() throws {
        let e = try Expression(parsing: "prce > 5 and symbol == \"A\"")
        let problems = e.unknownFields(among: Row.rowSchema.columnNames)
        #expect(problems == [ExpressionError("unknown field 'prce'", column: 1, hint: "did you mean \"price\"?")])
    }
}
