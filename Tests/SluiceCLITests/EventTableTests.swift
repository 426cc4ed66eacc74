import Foundation
import Testing

/// The DXLink event types are generated from one table (`Sources/MarketData/Generator/events.json`):
/// the checked-in Swift is exactly what the table generates, and a change to the table shows up in
/// every list of the type at once.
@Suite("market event types from one table")
struct EventTableTests {
    static let generator = repositoryRoot.appendingPathComponent("Sources/MarketData/Generator")

    @Test("the checked-in event types are exactly what events.json generates")
    func checkedInIsGenerated() async throws {
        let run = try await runProgram(["python3", Self.generator.appendingPathComponent("generate.py").path, "--check"], in: try temporaryDirectory())
        #expect(run.status == 0, "\(run.output)")
    }

    @Test("a field added to the table is declared, initialised, stored and read at the same index; --check reports the file until it is regenerated")
    func addedField() async throws {
        let dir = try temporaryDirectory()
        let fm = FileManager.default
        try fm.copyItem(at: Self.generator, to: dir.appendingPathComponent("Generator"))
        try fm.copyItem(at: repositoryRoot.appendingPathComponent("Sources/MarketData/Events"), to: dir.appendingPathComponent("Events"))
        let table = dir.appendingPathComponent("Generator/events.json")
        let text = try String(contentsOf: table, encoding: .utf8)
        let edited = text.replacingOccurrences(of: #"["askSize", "ask_size", "double", "The size at the best ask."]"#,
                                               with: #"["askSize", "ask_size", "double", "The size at the best ask."],"# + "\n" +
                                                     #"        ["quoteCondition", "quote_condition", "optionalString", "The quote's condition."]"#)
        try #require(edited != text, "the Quote row is in the table")
        try edited.write(to: table, atomically: true, encoding: .utf8)
        let script = dir.appendingPathComponent("Generator/generate.py").path
        let stale = try await runProgram(["python3", script, "--check"], in: dir)
        #expect(stale.status == 1)
        #expect(stale.output.contains("Quote.swift"))
        #expect(try await runProgram(["python3", script], in: dir).status == 0)
        let quote = try String(contentsOf: dir.appendingPathComponent("Events/Quote.swift"), encoding: .utf8)
        #expect(quote.contains(#"EventField("quoteCondition", "quote_condition", .optionalString),"#))
        #expect(quote.contains("    public var quoteCondition: String?\n"))
        #expect(quote.contains("        self.quoteCondition = nil\n"))
        #expect(quote.contains("        quoteCondition = slots.strings[12]\n"), "slot 12: after the twelve existing fields")
        #expect(quote.contains("        slots.strings[12] = quoteCondition\n"))
        #expect(quote.contains("        case 13: return self.quoteCondition.map(FieldValue.string) ?? .null\n"), "value 13: after event_type")
        #expect(try await runProgram(["python3", script, "--check"], in: dir).status == 0)
    }
}
