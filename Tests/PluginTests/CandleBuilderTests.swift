import Candles
import Foundation
import MarketData
import SluiceCore
import Testing

/// Minutes after 2024-01-02T00:00:00Z, a Tuesday, as a timestamp.
func at(_ minutes: Double) -> Timestamp {
    Timestamp(millisecondsSinceEpoch: 1_704_153_600_000 + Int64((minutes * 60_000).rounded()))
}

func trade(_ symbol: String, _ minutes: Double, _ price: Double, _ size: Double = 1) -> MarketEvent {
    var t = Trade(eventSymbol: symbol)
    t.time = at(minutes)
    t.price = price
    t.size = size
    return .trade(t)
}

func feed(_ state: FeedStatus.State, _ minutes: Double) -> MarketEvent {
    .feed(FeedStatus(state: state, time: at(minutes), epoch: 1))
}

/// Drives a builder the way the stage does, with the clock following event time unless told otherwise.
struct BuilderDriver {
    var builder: CandleBuilder
    var emitted: [Bar] = []

    init(_ options: CandleBuilder.Options) { builder = CandleBuilder(options: options) }

    mutating func send(_ events: MarketEvent..., now: Timestamp? = nil) {
        for e in events {
            let clock = now ?? eventTime(e) ?? at(0)
            builder.ingest(e, now: clock, into: &emitted)
        }
    }

    mutating func advance(to now: Timestamp) { builder.advance(to: now, into: &emitted) }
    mutating func finish() { builder.finish(into: &emitted) }

    func finals(_ period: String? = nil) -> [Bar] {
        emitted.filter { $0.state == .final && (period == nil || $0.period == period) }
    }

    private func eventTime(_ e: MarketEvent) -> Timestamp? {
        if case .trade(let t) = e { return t.time }
        return nil
    }
}

@Suite("candle building")
struct CandleBuilderTests {
    static func options(_ periods: [String] = ["1m"], updates: Int64? = nil, lateness: Int64 = 0,
                        gaps: CandleBuilder.GapPolicy = .skip, price: CandleBuilder.PriceSource = .last) -> CandleBuilder.Options {
        CandleBuilder.Options(periods: periods.map { BarPeriod($0)! }, price: price, allowedLateness: lateness,
                              updateInterval: updates, gaps: gaps)
    }

    @Test("a candle holds open, high, low, close, volume, VWAP and count, and closes on the first event of a later minute")
    func ohlcv() {
        var d = BuilderDriver(Self.options())
        d.send(trade("SPY", 0.1, 100, 2), trade("SPY", 0.5, 103, 1), trade("SPY", 0.7, 99, 1), trade("SPY", 0.9, 101, 4))
        #expect(d.finals().isEmpty)
        d.send(trade("SPY", 1.2, 102))
        let bars = d.finals()
        #expect(bars.count == 1)
        let bar = bars[0]
        #expect(bar.symbol == "SPY" && bar.period == "1m")
        #expect(bar.start == at(0) && bar.end == at(1))
        #expect([bar.open, bar.high, bar.low, bar.close] == [100, 103, 99, 101])
        #expect(bar.volume == 8 && bar.tradeCount == 4)
        #expect(abs(bar.vwap - (200.0 + 103 + 99 + 404) / 8) < 1e-12)
        #expect(bar.completeness == .partial, "the stream began inside this minute")
        d.send(trade("SPY", 2.5, 104))
        #expect(d.finals().last?.completeness == .complete)
    }

    @Test("several periods are built at once, aligned to UTC boundaries")
    func severalPeriods() {
        var d = BuilderDriver(Self.options(["1m", "5m"]))
        for i in 0..<11 { d.send(trade("AAPL", Double(i) + 0.5, 100 + Double(i))) }
        let minutes = d.finals("1m")
        let fives = d.finals("5m")
        #expect(minutes.count == 10)
        #expect(fives.map(\.start) == [at(0), at(5)])
        #expect(fives[1].open == 105 && fives[1].close == 109 && fives[1].high == 109 && fives[1].tradeCount == 5)
    }

    @Test("a quiet symbol's candle closes on the clock at its end plus the allowed lateness")
    func clockClose() {
        var d = BuilderDriver(Self.options(lateness: 2_000))
        d.send(trade("MSFT", 0.2, 10))
        d.advance(to: at(1))
        #expect(d.finals().isEmpty, "lateness not yet over")
        d.advance(to: at(1).advanced(by: .seconds(2)))
        #expect(d.finals().map(\.start) == [at(0)])
    }

    @Test("late events inside the allowed lateness revise a closed candle; later ones are counted and dropped")
    func lateness() {
        var d = BuilderDriver(Self.options(lateness: 10_000))
        d.send(trade("SPY", 0.5, 100), trade("SPY", 1.05, 101))
        d.send(trade("SPY", 0.9, 120))  // 3 s after minute 0 ended: inside 10 s
        let revision = d.emitted.last!
        #expect(revision.state == .revision && revision.start == at(0))
        #expect(revision.high == 120 && revision.close == 120 && revision.tradeCount == 2)
        d.send(trade("SPY", 1.5, 101))
        d.send(trade("SPY", 0.95, 90))  // the symbol is now 30 s past minute 0's end
        #expect(d.builder.statistics.lateDropped == 1)
        #expect(d.builder.statistics.revisions == 1)
        #expect(d.emitted.allSatisfy { $0.low != 90 })
    }

    @Test("open candles are updated at most once per update interval")
    func throttledUpdates() {
        var d = BuilderDriver(Self.options(updates: 1_000))
        let start = at(0)
        for i in 0..<10 { d.send(trade("SPY", 0.1 + Double(i) / 600, 100 + Double(i)), now: start.advanced(by: .milliseconds(100 * i))) }
        #expect(d.emitted.filter { $0.state == .open }.count == 1, "ten trades within one second give one update")
        d.advance(to: start.advanced(by: .seconds(1)))
        let updates = d.emitted.filter { $0.state == .open }
        #expect(updates.count == 2)
        #expect(updates.last?.close == 109 && updates.last?.tradeCount == 10)
    }

    @Test("gaps: skip leaves quiet minutes out; flat carries the close forward")
    func gapPolicies() {
        var skip = BuilderDriver(Self.options())
        skip.send(trade("SPY", 0.5, 100), trade("SPY", 3.5, 101), trade("SPY", 4.5, 102))
        #expect(skip.finals().map(\.start) == [at(0), at(3)])

        var flat = BuilderDriver(Self.options(gaps: .flat))
        flat.send(trade("SPY", 0.5, 100), trade("SPY", 3.5, 101), trade("SPY", 4.5, 102))
        let bars = flat.finals()
        #expect(bars.map(\.start) == [at(0), at(1), at(2), at(3)])
        #expect(bars[1].completeness == .flat && bars[1].open == 100 && bars[1].close == 100 && bars[1].volume == 0)
        #expect(bars[2].completeness == .flat)
    }

    @Test("a quiet symbol gets flat candles on the clock under gaps: flat")
    func flatOnClock() {
        var d = BuilderDriver(Self.options(gaps: .flat))
        d.send(trade("SPY", 0.5, 100))
        d.advance(to: at(3))
        let bars = d.finals()
        #expect(bars.map(\.start) == [at(0), at(1), at(2)])
        #expect(bars.dropFirst().allSatisfy { $0.completeness == .flat && $0.close == 100 })
        d.send(trade("SPY", 3.5, 105))
        d.send(trade("SPY", 4.1, 106))
        let real = d.finals().last!
        #expect(real.start == at(3) && real.open == 105 && real.completeness == .complete)
    }

    @Test("candles spanning a feed outage are marked gap, never made flat")
    func outageGaps() {
        var d = BuilderDriver(Self.options(gaps: .flat))
        d.send(feed(.subscribed, 0), trade("SPY", 0.5, 100), trade("SPY", 1.5, 101))
        d.send(feed(.disconnected, 1.8), feed(.reconnecting, 1.9), feed(.subscribed, 4.2))
        d.send(trade("SPY", 4.5, 103), trade("SPY", 5.5, 104))
        let bars = d.finals()
        #expect(bars.map(\.start) == [at(0), at(1), at(2), at(3), at(4)])
        #expect(bars[0].completeness == .complete)
        #expect(bars[1].completeness == .gap && bars[1].close == 101, "the feed went down inside minute 1")
        #expect(bars[2].completeness == .gap && bars[2].open.isNaN && bars[2].volume == 0, "no prices are invented in an outage")
        #expect(bars[3].completeness == .gap && bars[3].close.isNaN)
        #expect(bars[4].completeness == .gap, "the feed came back inside minute 4")
    }

    @Test("DXLink history is backfilled, fills an outage gap, seeds the current candle and never duplicates")
    func serverMerge() {
        func candle(_ minutes: Double, _ o: Double, _ c: Double, volume: Double = 10) -> MarketEvent {
            var k = Candle(eventSymbol: "SPY{=1m}")
            k.time = at(minutes)
            (k.open, k.high, k.low, k.close, k.volume, k.vwap, k.count) = (o, max(o, c), min(o, c), c, volume, (o + c) / 2, 3)
            return .candle(k)
        }
        var d = BuilderDriver(Self.options(updates: 0))
        d.send(candle(0, 10, 11), candle(1, 11, 12), candle(2, 12, 13), now: at(2.5))
        #expect(d.emitted.map(\.completeness) == [.backfilled, .backfilled, .backfilled])
        #expect(d.emitted.map(\.state) == [.final, .final, .open], "the server's current candle is still open")
        d.send(trade("SPY", 2.6, 14, 5))
        let seeded = d.emitted.last!
        #expect(seeded.state == .open && seeded.source == "merged")
        #expect(seeded.open == 12 && seeded.close == 14 && seeded.volume == 15 && seeded.tradeCount == 4)
        d.send(candle(2, 12, 13.5), now: at(2.7))
        #expect(d.builder.statistics.serverDuplicates == 1, "the local candle continues the server's one")
        d.send(candle(1, 11, 12), now: at(2.8))
        #expect(d.builder.statistics.serverDuplicates == 2, "an identical history candle is dropped")

        // An outage: the local candle is marked gap; the server's history after reconnect replaces it.
        d.send(feed(.disconnected, 3.2), feed(.subscribed, 3.4), trade("SPY", 3.5, 15), trade("SPY", 4.1, 16))
        #expect(d.finals().last?.start == at(3) && d.finals().last?.completeness == .gap)
        d.send(candle(3, 14, 15, volume: 40), now: at(4.2))
        let filled = d.emitted.last!
        #expect(filled.state == .revision && filled.completeness == .backfilled && filled.volume == 40)
    }

    @Test("tick bars close every N events and volume bars on reaching the volume")
    func tickAndVolumeBars() {
        var d = BuilderDriver(Self.options(["3t", "10v"]))
        for (i, size) in [4.0, 4, 4, 1, 1, 1, 9].enumerated() { d.send(trade("SPY", Double(i), 100 + Double(i), size)) }
        let ticks = d.finals("3t")
        #expect(ticks.map(\.tradeCount) == [3, 3])
        #expect(ticks[0].start == at(0) && ticks[0].end == at(2) && ticks[0].close == 102)
        let volume = d.finals("10v")
        #expect(volume.map(\.volume) == [12, 12])
    }

    @Test("quote candles are built from the mid, bid or ask")
    func quotePrices() {
        var q = Quote(eventSymbol: "EUR/USD")
        q.bidTime = at(0.5)
        q.askTime = at(0.5)
        (q.bidPrice, q.askPrice) = (1.1, 1.2)
        for (price, expected) in [(CandleBuilder.PriceSource.mid, 1.15), (.bid, 1.1), (.ask, 1.2)] {
            var d = BuilderDriver(Self.options(price: price))
            d.send(.quote(q), now: at(0.5))
            d.finish()
            #expect(abs(d.finals()[0].close - expected) < 1e-12)
            #expect(d.finals()[0].volume == 0 && d.finals()[0].tradeCount == 1)
        }
    }

    @Test("daily candles follow a session: 18:00 America/New_York, across a DST change")
    func sessionAlignment() {
        let ny = CandleAlignment(timeZone: TimeZone(identifier: "America/New_York"), sessionStart: 18 * 3_600_000)
        // 2024-03-08 20:00 EST = 2024-03-09T01:00Z: the session began 2024-03-08 18:00 EST = 23:00Z.
        let t = Int64(1_709_946_000_000)
        let (start, end) = ny.interval(containing: t, periodMilliseconds: 86_400_000)
        #expect(start == 1_709_938_800_000)
        #expect(end == start + 86_400_000)
        // The session holding the switch to EDT (Sunday 2024-03-10) is 23 hours long.
        let sunday = ny.interval(containing: 1_710_072_000_000, periodMilliseconds: 86_400_000)  // 2024-03-10T12:00Z
        #expect(Timestamp(millisecondsSinceEpoch: sunday.start).iso8601.hasPrefix("2024-03-09T23:00:00"))
        #expect(Timestamp(millisecondsSinceEpoch: sunday.end).iso8601.hasPrefix("2024-03-10T22:00:00"))
        #expect(sunday.end - sunday.start == 23 * 3_600_000)
        // Weeks begin on Monday in UTC.
        let week = CandleAlignment.utc.interval(containing: at(0).millisecondsSinceEpoch, periodMilliseconds: 7 * 86_400_000)
        #expect(Timestamp(millisecondsSinceEpoch: week.start).iso8601.hasPrefix("2024-01-01T00:00:00"))
    }

    @Test("at shutdown the open candle is emitted as partial; memory per symbol stays within the history")
    func finishAndHistory() {
        var options = Self.options(lateness: 3_600_000)
        options.history = 4
        var d = BuilderDriver(options)
        for i in 0..<20 { d.send(trade("SPY", Double(i) + 0.5, 100)) }
        d.send(trade("SPY", 2.5, 1))  // inside lateness, but older than the 4 minutes kept
        #expect(d.builder.statistics.lateDropped == 1)
        d.finish()
        let last = d.emitted.last!
        #expect(last.state == .final && last.completeness == .partial && last.start == at(19))
    }

    @Test("property: candles from random trade streams equal a naive computation")
    func property() {
        var rng = SplitMix64(seed: 2024)
        for round in 0..<50 {
            let periods = ["1m", "5m", "7m"]
            var d = BuilderDriver(Self.options(periods))
            var trades: [(symbol: String, minutes: Double, price: Double, size: Double)] = []
            var clock = 0.0
            for _ in 0..<Int(rng.next() % 400 + 1) {
                clock += Double(rng.next() % 10_000) / 6_000  // 0 to 1.67 minutes apart, in order
                let symbol = ["A", "B", "C"][Int(rng.next() % 3)]
                let price = Double(rng.next() % 10_000) / 100
                let size = Double(rng.next() % 100 + 1)
                trades.append((symbol, clock, price, size))
                d.send(trade(symbol, clock, price, size))
            }
            d.finish()
            for period in periods {
                let ms = Int64(BarPeriod(period)!.milliseconds!)
                var naive: [String: [Int64: [(Double, Double)]]] = [:]
                for t in trades {
                    let time = at(t.minutes).millisecondsSinceEpoch
                    let start = time - ((time % ms) + ms) % ms
                    naive[t.symbol, default: [:]][start, default: []].append((t.price, t.size))
                }
                let built = d.finals(period)
                #expect(built.count == naive.values.map(\.count).reduce(0, +), "round \(round) \(period)")
                for bar in built {
                    guard let group = naive[bar.symbol]?[bar.start.millisecondsSinceEpoch] else {
                        Issue.record("round \(round): no naive candle for \(bar.symbol) \(bar.start)")
                        continue
                    }
                    #expect(bar.open == group.first!.0 && bar.close == group.last!.0)
                    #expect(bar.high == group.map(\.0).max()! && bar.low == group.map(\.0).min()!)
                    #expect(bar.volume == group.map(\.1).reduce(0, +) && bar.tradeCount == Int64(group.count))
                    let vwap = group.map { $0.0 * $0.1 }.reduce(0, +) / bar.volume
                    #expect(abs(bar.vwap - vwap) < 1e-9 * max(1, vwap))
                }
            }
        }
    }
}
