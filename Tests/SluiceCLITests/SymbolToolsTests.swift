import Foundation
import Testing

/// `sluice symbols` and `sluice chain` as a user runs them, on the offline tastytrade: real processes and
/// the exit status a script reads.
@Suite("sluice symbols and sluice chain")
struct SymbolToolsTests {
    @Test("resolve: equities, a product's active month, a contract, OCC and streamer option symbols; an unknown symbol is named, exit 3")
    func resolve() async throws {
        let out = try await SluiceProcess.run(["symbols", "resolve", "--simulate", "SPY", "BRK/B", "/ES", "SPY   261218C00590000", ".SPXW261218C5700", "NOPE"], in: try temporaryDirectory())
        #expect(out.status == 3, "\(out.stderr)")
        let rows = out.stdout.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.map { $0.first ?? "" } == ["SPY", "BRK/B", "/ES", "SPY", ".SPXW261218C5700", "NOPE"])
        #expect(rows[2].contains { $0.hasPrefix("/ES") && $0.hasSuffix(":XCME") }, "the product's active month as a streamer symbol")
        #expect(rows[3].contains(".SPY261218C590"))
        #expect(out.stderr.contains("1 of 6 symbols unknown: NOPE"))
    }

    @Test("search: tickers and company names; nothing found is exit 3")
    func search() async throws {
        let dir = try temporaryDirectory()
        let found = try await SluiceProcess.run(["symbols", "search", "apple", "--simulate"], in: dir)
        #expect(found.status == 0)
        #expect(found.stdout.contains("AAPL") && found.stdout.contains("APLE"))
        let none = try await SluiceProcess.run(["symbols", "search", "QQQQQQ", "--simulate"], in: dir)
        #expect(none.status == 3 && none.stderr.contains("no symbol matches"))
    }

    @Test("chain: SPXW within a week, 2 strikes each side, calls: five strikes per expiration around a marked at-the-money one")
    func chain() async throws {
        let out = try await SluiceProcess.run(["chain", "SPX", "--roots", "SPXW", "--dte", "0-7", "--strikes", "2", "--types", "call", "--simulate"], in: try temporaryDirectory())
        #expect(out.status == 0, "\(out.stderr)")
        let rows = out.stdout.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        let byExpiration = Dictionary(grouping: rows, by: { $0[1] })
        #expect(byExpiration.count >= 4, "at least four weekdays in a week")
        for (_, strikes) in byExpiration {
            #expect(strikes.count == 5 && strikes[2][3].hasPrefix("*"), "\(strikes)")
            #expect(strikes.allSatisfy { $0[0] == "SPXW" && $0[4] == "call" && $0[5].hasPrefix(".SPXW") })
        }
        #expect(out.stderr.contains("centred on SPX "))
    }

    @Test("bad input is exit 2 naming the option; an unknown underlying is one error line, exit 1")
    func badInput() async throws {
        let dir = try temporaryDirectory()
        let dte = try await SluiceProcess.run(["chain", "SPX", "--dte", "7-0", "--simulate"], in: dir)
        #expect(dte.status == 2)
        #expect(dte.stderr.contains("--dte"))
        let unknown = try await SluiceProcess.run(["chain", "NOPE", "--simulate"], in: dir)
        #expect(unknown.status == 1 && unknown.stderr.contains("no option chain for NOPE"))
        #expect(!unknown.stderr.contains("Fatal") && unknown.stderr.split(separator: "\n").count == 1)
    }
}
