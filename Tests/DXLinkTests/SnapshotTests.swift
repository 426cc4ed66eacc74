import BuiltinStages
import DXLink
import MarketData
import SluiceCore
import SluiceRuntime
import SluiceTesting
import Testing

/// Snapshots: the book that knows which pairs are still missing, and `until: complete` ending a pipeline.
@Suite("Snapshot, then exit")
struct SnapshotTests {
    static func quote(_ s: String, bid: Double) -> MarketEvent {
        var q = Quote(eventSymbol: s)
        q.bidPrice = bid
        return .quote(q)
    }

    @Test("the book keeps the latest event per wanted pair, ignores the rest, and names what is missing in symbol order")
    func book() {
        var book = SnapshotBook(symbols: ["SPY", "AAPL", "SPY"], types: [.quote, .greeks])
        #expect(book.symbols == ["SPY", "AAPL"])
        #expect(book.pairs == 4)
        book.record(Self.quote("SPY", bid: 1))
        book.record(Self.quote("SPY", bid: 2))
        book.record(Self.quote("MSFT", bid: 3))
        book.record(.greeks(Greeks(eventSymbol: "AAPL")))
        book.record(.feed(FeedStatus(state: .subscribed, time: .now, epoch: 1)))
        #expect(book.filled == 2)
        #expect(!book.isComplete)
        if case .quote(let q) = book.latest("SPY", .quote) { #expect(q.bidPrice == 2) } else { Issue.record("no SPY quote") }
        #expect(book.missing.map(\.description) == ["SPY Greeks", "AAPL Quote"])
        #expect(book.completeSymbols.isEmpty)
        book.record(.greeks(Greeks(eventSymbol: "SPY")))
        #expect(book.completeSymbols == ["SPY"])
        book.record(Self.quote("AAPL", bid: 4))
        #expect(book.isComplete)
        #expect(book.missing.isEmpty)
    }

    @Test("a book of explicit pairs (quotes of some symbols, candles of others) is complete when those pairs are")
    func pairs() {
        var book = SnapshotBook(pairs: [SymbolWatch.Subscription(symbol: "SPY", type: .quote), SymbolWatch.Subscription(symbol: "SPY{=1m}", type: .candle)])
        book.record(Self.quote("SPY", bid: 1))
        #expect(book.completeSymbols == ["SPY"], "SPY wants no candle under its own symbol")
        #expect(!book.isComplete)
        book.record(.candle(Candle(eventSymbol: "SPY{=1m}")))
        #expect(book.isComplete)
    }

    @Test("until: complete ends the pipeline by itself once every subscription, candles included, has had an event")
    func untilComplete() async throws {
        let result = try await TestPipeline("""
        {"name": "snap", "stages": [
          {"id": "feed", "kind": "dxlink", "config": {"simulate": {"rate": 5000}, "symbols": ["SPY", "AAPL"], "events": ["Quote", "Greeks"],
             "candles": {"symbols": ["QQQ"], "periods": ["5m"], "from": "1h"}, "until": "complete", "duration": "2m"}},
          {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
          {"id": "out", "kind": "collect", "from": "decode"}
        ]}
        """, registry: .marketData).run()
        #expect(result.report.outcome == .completed)
        var book = SnapshotBook(pairs: ["SPY", "AAPL"].flatMap { s in [MarketEventType.quote, .greeks].map { SymbolWatch.Subscription(symbol: s, type: $0) } }
                                + [SymbolWatch.Subscription(symbol: "QQQ{=5m}", type: .candle)])
        for case let event as MarketEvent in result.records("out") { book.record(event) }
        #expect(book.isComplete, "missing: \(book.missing)")
    }
}
