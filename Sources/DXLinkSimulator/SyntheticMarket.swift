import DXLink
import MarketData
import SluiceCore

/// Deterministic synthetic events for every event type: a seeded random walk per (type, symbol), and
/// candles whose values depend only on (seed, symbol, start) so that history is the same on every request.
struct SyntheticMarket {
    struct Walk {
        var rng: SplitMix64
        var price: Double
        var sequence: Int64 = 0
        var dayVolume: Double = 0
    }

    let seed: UInt64
    private var walks: [FeedSubscription: Walk] = [:]

    init(seed: UInt64) { self.seed = seed }

    static func hash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    static func periodMilliseconds(_ symbol: String) -> Int64? {
        guard let period = CandleSymbol(symbol)?.periodDuration else { return nil }
        return max(1, period.nanoseconds / 1_000_000)
    }

    static func floor(_ t: Int64, _ ms: Int64) -> Int64 { t - ((t % ms) + ms) % ms }

    /// The next live event for a subscription at `nowMs`.
    mutating func next(_ sub: FeedSubscription, nowMs: Int64) -> (any MarketEventPayload)? {
        guard let type = MarketEventType(rawValue: sub.type) else { return nil }
        if type == .candle {
            guard let ms = Self.periodMilliseconds(sub.symbol) else { return nil }
            return candle(symbol: sub.symbol, startMs: Self.floor(nowMs, ms), upToMs: nowMs)
        }
        var w = walks[sub] ?? Walk(rng: SplitMix64(seed: seed ^ Self.hash(sub.type + "|" + sub.symbol)),
                                   price: 50 + Double(Self.hash(sub.symbol) % 400))
        let step = (w.rng.unit() - 0.5) * 0.002 * w.price
        w.price = max(0.01, ((w.price + step) * 100).rounded() / 100)
        w.sequence += 1
        let size = Double(1 + w.rng.next() % 500)
        w.dayVolume += size
        let p = w.price
        let time = Timestamp(millisecondsSinceEpoch: nowMs)
        let index = (nowMs / 1000) << 32 | (nowMs % 1000) << 22 | (w.sequence & 0x3FFFFF)
        defer { walks[sub] = w }
        switch type {
        case .quote:
            var e = Quote(eventSymbol: sub.symbol)
            e.sequence = w.sequence; e.timeNanoPart = 0; e.bidTime = time; e.askTime = time
            e.bidExchangeCode = "Q"; e.askExchangeCode = "Q"
            e.bidPrice = ((p - 0.01) * 100).rounded() / 100; e.askPrice = ((p + 0.01) * 100).rounded() / 100
            e.bidSize = size; e.askSize = Double(1 + w.rng.next() % 500)
            return e
        case .trade, .tradeETH:
            var e = Trade(eventSymbol: sub.symbol)
            e.time = time; e.sequence = w.sequence; e.exchangeCode = "Q"; e.dayId = nowMs / 86_400_000
            e.tickDirection = step >= 0 ? "UP" : "DOWN"; e.extendedTradingHours = type == .tradeETH
            e.price = p; e.change = (step * 100).rounded() / 100; e.size = size; e.dayVolume = w.dayVolume
            e.dayTurnover = (w.dayVolume * p).rounded()
            if type == .tradeETH {
                var slots = EventSlots(count: Trade.fields.count)
                e.store(into: &slots)
                return TradeETH(slots: slots)
            }
            return e
        case .greeks:
            var e = Greeks(eventSymbol: sub.symbol)
            e.index = index; e.time = time; e.sequence = w.sequence; e.price = p / 20
            e.volatility = 0.2 + w.rng.unit() * 0.1; e.delta = w.rng.unit(); e.gamma = w.rng.unit() / 10
            e.theta = -w.rng.unit() / 5; e.rho = w.rng.unit() / 10; e.vega = w.rng.unit() / 3
            return e
        case .summary:
            var e = Summary(eventSymbol: sub.symbol)
            e.dayId = nowMs / 86_400_000; e.dayOpenPrice = p - 1; e.dayHighPrice = p + 2; e.dayLowPrice = p - 2
            e.dayClosePriceType = "REGULAR"; e.prevDayId = e.dayId - 1; e.prevDayClosePrice = p - 0.5
            e.prevDayClosePriceType = "FINAL"; e.prevDayVolume = 1_000_000; e.openInterest = Int64(w.rng.next() % 100_000)
            return e
        case .profile:
            var e = Profile(eventSymbol: sub.symbol)
            e.description = "Simulated \(sub.symbol)"; e.shortSaleRestriction = "INACTIVE"; e.tradingStatus = "ACTIVE"
            e.high52WeekPrice = p * 1.3; e.low52WeekPrice = p * 0.7; e.beta = 1.1; e.shares = 1e9
            return e
        case .theoPrice:
            var e = TheoPrice(eventSymbol: sub.symbol)
            e.index = index; e.time = time; e.sequence = w.sequence; e.price = p / 20; e.underlyingPrice = p
            e.delta = w.rng.unit(); e.gamma = w.rng.unit() / 10; e.dividend = 0; e.interest = 0.04
            return e
        case .timeAndSale:
            var e = TimeAndSale(eventSymbol: sub.symbol)
            e.index = index; e.time = time; e.sequence = w.sequence; e.exchangeCode = "Q"; e.price = p; e.size = size
            e.bidPrice = p - 0.01; e.askPrice = p + 0.01; e.tradeThroughExempt = "N"
            e.aggressorSide = step >= 0 ? "BUY" : "SELL"; e.validTick = true; e.type = "NEW"
            return e
        case .underlying:
            var e = Underlying(eventSymbol: sub.symbol)
            e.index = index; e.time = time; e.sequence = w.sequence; e.volatility = 0.2 + w.rng.unit() * 0.1
            e.frontVolatility = e.volatility; e.backVolatility = e.volatility * 0.9
            e.callVolume = Double(w.rng.next() % 10_000); e.putVolume = Double(w.rng.next() % 10_000)
            e.optionVolume = e.callVolume + e.putVolume; e.putCallRatio = e.putVolume / max(1, e.callVolume)
            return e
        case .candle:
            return nil
        }
    }

    /// The candle of `symbol` starting at `startMs` (deterministic in seed, symbol and start).
    func candle(symbol: String, startMs: Int64, flags: EventFlags = [], upToMs: Int64? = nil) -> Candle {
        var rng = SplitMix64(seed: seed ^ Self.hash(symbol) ^ UInt64(bitPattern: startMs))
        let base = 50 + Double(Self.hash(CandleSymbol(symbol)?.base ?? symbol) % 400)
        let open = (base * (0.9 + 0.2 * rng.unit()) * 100).rounded() / 100
        let close = (open * (0.99 + 0.02 * rng.unit()) * 100).rounded() / 100
        var c = Candle(eventSymbol: symbol)
        c.eventFlags = flags.rawValue
        c.time = Timestamp(millisecondsSinceEpoch: startMs)
        c.index = (startMs / 1000) << 32 | (startMs % 1000) << 22
        c.count = Int64(10 + rng.next() % 90)
        c.open = open
        c.high = (max(open, close) * (1 + 0.005 * rng.unit()) * 100).rounded() / 100
        c.low = (min(open, close) * (1 - 0.005 * rng.unit()) * 100).rounded() / 100
        c.close = close
        c.volume = Double(1000 + rng.next() % 100_000)
        c.vwap = ((c.high + c.low + c.close) / 3 * 100).rounded() / 100
        if let upToMs { c.eventTime = Timestamp(millisecondsSinceEpoch: upToMs) }
        return c
    }

    /// A history snapshot from `fromMs` to now, newest first, flagged as dxFeed does (BEGIN on the first,
    /// END — or SNIP when cut at `limit` — on the last; an empty snapshot is one REMOVE_EVENT at `fromMs`).
    func history(symbol: String, fromMs: Int64, nowMs: Int64, limit: Int) -> [Candle] {
        guard let ms = Self.periodMilliseconds(symbol) else { return [] }
        let first = Self.floor(fromMs, ms) == fromMs ? fromMs : Self.floor(fromMs, ms) + ms
        var starts: [Int64] = []
        var t = Self.floor(nowMs, ms)
        while t >= first && starts.count < limit {
            starts.append(t)
            t -= ms
        }
        let snipped = t >= first
        if starts.isEmpty {
            var marker = Candle(eventSymbol: symbol)
            marker.eventFlags = EventFlags([.snapshotBegin, .snapshotEnd, .removeEvent]).rawValue
            marker.time = Timestamp(millisecondsSinceEpoch: fromMs)
            marker.index = (fromMs / 1000) << 32 | (fromMs % 1000) << 22
            return [marker]
        }
        return starts.enumerated().map { i, start in
            var flags: EventFlags = []
            if i == 0 { flags.insert(.snapshotBegin) }
            if i == starts.count - 1 { flags.insert(snipped ? .snapshotSnip : .snapshotEnd) }
            return candle(symbol: symbol, startMs: start, flags: flags, upToMs: nowMs)
        }
    }
}
