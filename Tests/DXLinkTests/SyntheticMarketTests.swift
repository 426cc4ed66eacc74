import DXLink
@testable import DXLinkSimulator
import MarketData
import SluiceCore
import Testing

/// The simulator's market is believable enough to test a pipeline against: history and live events on
/// one price path, spreads and sizes that vary by symbol and by event.
@Suite("The simulated market")
struct SyntheticMarketTests {
    let start: Int64 = 1_795_999_980_000  // 2026-11-30 00:53 UTC, a whole minute

    @Test("three hours of 1m history are one path: each candle opens where the last closed, and no minute spans more than 1 %")
    func continuousHistory() {
        let market = SyntheticMarket(seed: 7)
        for symbol in ["SPY{=1m}", "AAPL{=1m}", ".SPXW261218C5700{=1m}"] {
            let candles = market.history(symbol: symbol, fromMs: start, nowMs: start + 3 * 3_600_000, limit: 1000).reversed()
            #expect(candles.count == 181)
            for (a, b) in zip(candles, candles.dropFirst()) {
                #expect(a.close == b.open, "\(symbol) \(a.time): close \(a.close), next open \(b.open)")
                #expect(a.low <= min(a.open, a.close) && a.high >= max(a.open, a.close))
                #expect((a.high - a.low) / a.low < 0.01, "\(symbol) \(a.time): \(a.low)–\(a.high)")
            }
        }
    }

    @Test("live trades land inside the candle of their minute, so a candle built from them agrees with the server's")
    func liveInsideCandles() {
        var market = SyntheticMarket(seed: 7)
        let sub = FeedSubscription(type: "Trade", symbol: "SPY")
        var prices: [Double] = []
        for i in 0..<600 {
            let now = start + Int64(i) * 100  // one minute of trades, ten a second
            guard case let trade as Trade = market.next(sub, nowMs: now) else { Issue.record("no trade"); return }
            prices.append(trade.price)
        }
        let candle = market.candle(symbol: "SPY{=1m}", startMs: start)
        #expect(prices.allSatisfy { $0 >= candle.low - 0.01 && $0 <= candle.high + 0.01 }, "\(prices.min()!)–\(prices.max()!) against \(candle.low)–\(candle.high)")
        #expect((prices.max()! - prices.min()!) / prices.min()! < 0.01)
    }

    @Test("spreads vary from quote to quote and from symbol to symbol; sizes differ by symbol")
    func spreadsAndSizes() {
        var market = SyntheticMarket(seed: 7)
        func quotes(_ symbol: String) -> [Quote] {
            (0..<500).compactMap { market.next(FeedSubscription(type: "Quote", symbol: symbol), nowMs: start + Int64($0) * 10) as? Quote }
        }
        let a = quotes("SPY"), b = quotes("ZZZZ")
        let spreadsA = a.map { (($0.askPrice - $0.bidPrice) * 100).rounded() / 100 }
        let spreadsB = b.map { (($0.askPrice - $0.bidPrice) * 100).rounded() / 100 }
        #expect(Set(spreadsA).count >= 5, "\(Set(spreadsA).sorted())")
        #expect(spreadsA.allSatisfy { $0 >= 0.01 })
        let meanA = spreadsA.reduce(0, +) / 500 / a[0].bidPrice, meanB = spreadsB.reduce(0, +) / 500 / b[0].bidPrice
        #expect(abs(meanA - meanB) / max(meanA, meanB) > 0.05, "relative spreads \(meanA) and \(meanB)")
        let sizeA = a.map(\.bidSize).reduce(0, +), sizeB = b.map(\.bidSize).reduce(0, +)
        #expect(abs(sizeA - sizeB) / max(sizeA, sizeB) > 0.05)
    }
}
