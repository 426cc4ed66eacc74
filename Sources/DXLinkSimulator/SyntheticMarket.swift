#if canImport(Glibc)
import Glibc
#endif
import DXLink
import MarketData
import SluiceCore

/// Deterministic synthetic events for every event type, believable enough to exercise a pipeline: each
/// symbol has its own price level, volatility, spread and liquidity (from its name), and one price path —
/// a pure function of (seed, symbol, time) — that live events and candle history both follow, so a
/// history candle's close is the next one's open and live trades land inside the current candle.
struct SyntheticMarket {
    /// A symbol's character: fixed by its name and the seed.
    struct Traits {
        /// The price level the path moves around.
        var base: Double
        /// How far the path swings, as a fraction of `base` (0.2 %–1.5 %).
        var swing: Double
        /// The typical spread, as a fraction of the price (1–20 basis points).
        var spread: Double
        /// Size multiplier (1–10): how liquid it is.
        var liquidity: Double
        /// Phases of the path's waves.
        var phases: (Double, Double, Double)
    }

    struct Walk {
        let traits: Traits
        var rng: SplitMix64
        var sequence: Int64 = 0
        var dayVolume: Double = 0
        var last: Double?
    }

    let seed: UInt64
    private var walks: [FeedSubscription: Walk] = [:]

    init(seed: UInt64) { self.seed = seed }

    func traits(_ symbol: String) -> Traits {
        let path = SimulatedCatalog.pathSymbol(of: symbol)
        var rng = SplitMix64(seed: seed ^ Self.hash("profile|" + path))
        var traits = Traits(
            base: 50 + Double(Self.hash(path) % 400),
            swing: 0.002 + 0.013 * rng.unit(), spread: 0.0001 + 0.0019 * rng.unit(), liquidity: 1 + 9 * rng.unit(),
            phases: (rng.unit() * 2 * .pi, rng.unit() * 2 * .pi, rng.unit() * 2 * .pi))
        if let listed = SimulatedCatalog.level(of: path) {
            // A listed name trades at its level, swings with its volatility and is quoted tight.
            traits.base = listed.base
            traits.swing = listed.volatility / 30
            traits.spread = 0.00005 + 0.0002 * rng.unit()
            traits.liquidity = 5 + 5 * rng.unit()
        }
        return traits
    }

    /// The symbol's price at `ms`: three slow waves (periods of 7 minutes to 5 hours) around its base, a
    /// continuous function of time — the same for history and live events, on every connection.
    func price(_ symbol: String, atMs ms: Int64) -> Double {
        price(traits(symbol), atMs: ms)
    }

    /// What `symbol` trades at: its path, and for a futures contract the path plus carry to expiry.
    func spot(_ symbol: String, atMs ms: Int64) -> Double {
        spot(symbol, traits: traits(symbol), atMs: ms)
    }

    func spot(_ symbol: String, traits: Traits, atMs ms: Int64) -> Double {
        let path = price(traits, atMs: ms)
        guard symbol.hasPrefix("/"), let expiration = FutureSymbol(streamer: symbol)?.expiration else { return path }
        let years = max(0, Double(SimulatedCatalog.expiry(expiration).millisecondsSinceEpoch - ms) / 31_557_600_000)
        return path * (1 + 0.045 * years)
    }

    func price(_ p: Traits, atMs ms: Int64) -> Double {
        let t = Double(ms) / 1000
        let fast: Double = 0.5 * sin(2 * Double.pi * t / 420 + p.phases.0)
        let hourly: Double = 0.3 * sin(2 * Double.pi * t / 3_600 + p.phases.1)
        let slow: Double = 0.2 * sin(2 * Double.pi * t / 18_000 + p.phases.2)
        let wave = fast + hourly + slow
        return max(0.01, p.base * (1 + p.swing * wave))
    }

    static func cents(_ v: Double) -> Double { (v * 100).rounded() / 100 }

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
        var w = walks[sub] ?? Walk(traits: traits(sub.symbol), rng: SplitMix64(seed: seed ^ Self.hash(sub.type + "|" + sub.symbol)))
        if let option = SimulatedOption(sub.symbol), let event = optionEvent(type, option, symbol: sub.symbol, walk: &w, nowMs: nowMs) {
            walks[sub] = w
            return event
        }
        let profile = w.traits
        // The path, plus a tick of noise (at most a spread) so that prints differ from event to event.
        let p = Self.cents(max(0.01, spot(sub.symbol, traits: profile, atMs: nowMs) * (1 + profile.spread * (w.rng.unit() - 0.5))))
        let step = p - (w.last ?? p)
        w.last = p
        w.sequence += 1
        let size = Double(Int((1 + Double(w.rng.next() % 100)) * profile.liquidity))
        w.dayVolume += size
        // Spreads vary: 0.5× to 3× the symbol's typical one, at least a cent.
        let halfSpread = max(0.005, p * profile.spread * (0.25 + 1.25 * w.rng.unit()))
        let time = Timestamp(millisecondsSinceEpoch: nowMs)
        let index = (nowMs / 1000) << 32 | (nowMs % 1000) << 22 | (w.sequence & 0x3FFFFF)
        defer { walks[sub] = w }
        switch type {
        case .quote:
            var e = Quote(eventSymbol: sub.symbol)
            e.sequence = w.sequence; e.timeNanoPart = 0; e.bidTime = time; e.askTime = time
            e.bidExchangeCode = "Q"; e.askExchangeCode = "Q"
            e.bidPrice = Self.cents(p - halfSpread); e.askPrice = max(e.bidPrice + 0.01, Self.cents(p + halfSpread))
            e.bidSize = size; e.askSize = Double(Int((1 + Double(w.rng.next() % 100)) * profile.liquidity))
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
            e.bidPrice = Self.cents(p - halfSpread); e.askPrice = max(e.bidPrice + 0.01, Self.cents(p + halfSpread)); e.tradeThroughExempt = "N"
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

    /// A live event of a listed option: Black–Scholes on the underlying's path, quoted a few ticks wide
    /// (`nil` for the types an option has no own model for — Underlying, Candle — which take the generic path).
    private func optionEvent(_ type: MarketEventType, _ option: SimulatedOption, symbol: String, walk w: inout Walk, nowMs: Int64) -> (any MarketEventPayload)? {
        let spot = self.spot(option.underlying, atMs: nowMs)
        let years = max(0, Double(SimulatedCatalog.expiry(option.expiration).millisecondsSinceEpoch - nowMs) / 31_557_600_000)
        let sigma = OptionPricing.volatility(atm: option.volatility, spot: spot, strike: option.strike)
        let theo = OptionPricing(call: option.call, spot: spot, strike: option.strike, years: years, sigma: sigma)
        w.sequence += 1
        let tick = theo.price >= 3 ? 0.05 : 0.01
        let width = max(tick, ((theo.price * (0.01 + 0.03 * w.rng.unit())) / tick).rounded(.up) * tick)
        let bid = max(0, ((theo.price - width / 2) / tick).rounded() * tick)
        let size = Double(1 + w.rng.next() % 50)
        let time = Timestamp(millisecondsSinceEpoch: nowMs)
        let index = (nowMs / 1000) << 32 | (nowMs % 1000) << 22 | (w.sequence & 0x3FFFFF)
        let step = theo.price - (w.last ?? theo.price)
        w.last = theo.price
        switch type {
        case .quote:
            var e = Quote(eventSymbol: symbol)
            e.sequence = w.sequence; e.timeNanoPart = 0; e.bidTime = time; e.askTime = time
            e.bidExchangeCode = "C"; e.askExchangeCode = "C"
            e.bidPrice = Self.cents(bid); e.askPrice = Self.cents(bid + width)
            e.bidSize = size; e.askSize = Double(1 + w.rng.next() % 50)
            return e
        case .greeks:
            var e = Greeks(eventSymbol: symbol)
            e.index = index; e.time = time; e.sequence = w.sequence; e.price = theo.price
            e.volatility = sigma; e.delta = theo.delta; e.gamma = theo.gamma
            e.theta = theo.theta; e.rho = theo.rho; e.vega = theo.vega
            return e
        case .theoPrice:
            var e = TheoPrice(eventSymbol: symbol)
            e.index = index; e.time = time; e.sequence = w.sequence; e.price = theo.price; e.underlyingPrice = spot
            e.delta = theo.delta; e.gamma = theo.gamma; e.dividend = 0; e.interest = 0.04
            return e
        case .timeAndSale:
            var e = TimeAndSale(eventSymbol: symbol)
            e.index = index; e.time = time; e.sequence = w.sequence; e.exchangeCode = "C"; e.price = Self.cents(max(0.01, theo.price)); e.size = size
            e.bidPrice = Self.cents(bid); e.askPrice = Self.cents(bid + width); e.tradeThroughExempt = "N"
            e.aggressorSide = step >= 0 ? "BUY" : "SELL"; e.validTick = true; e.type = "NEW"
            return e
        case .trade, .tradeETH:
            w.dayVolume += size
            var e = Trade(eventSymbol: symbol)
            e.time = time; e.sequence = w.sequence; e.exchangeCode = "C"; e.dayId = nowMs / 86_400_000
            e.tickDirection = step >= 0 ? "UP" : "DOWN"; e.price = Self.cents(max(0.01, theo.price)); e.size = size
            e.change = (step * 100).rounded() / 100; e.dayVolume = w.dayVolume; e.dayTurnover = (w.dayVolume * theo.price * 100).rounded()
            guard type == .trade else {
                var slots = EventSlots(count: Trade.fields.count)
                e.store(into: &slots)
                return TradeETH(slots: slots)
            }
            return e
        case .summary:
            var e = Summary(eventSymbol: symbol)
            e.dayId = nowMs / 86_400_000; e.dayOpenPrice = Self.cents(theo.price * 0.97); e.dayHighPrice = Self.cents(theo.price * 1.1)
            e.dayLowPrice = Self.cents(theo.price * 0.9); e.dayClosePriceType = "REGULAR"; e.prevDayId = e.dayId - 1
            e.prevDayClosePrice = Self.cents(theo.price * 1.02); e.prevDayClosePriceType = "FINAL"; e.prevDayVolume = Double(Self.hash(symbol) % 5000)
            e.openInterest = Int64(Self.hash("oi|" + symbol) % 40_000)
            return e
        case .profile:
            var e = Profile(eventSymbol: symbol)
            e.description = "Simulated option \(symbol)"; e.shortSaleRestriction = "INACTIVE"; e.tradingStatus = "ACTIVE"
            return e
        case .underlying, .candle:
            return nil
        }
    }

    /// The candle of `symbol` (a candle symbol) starting at `startMs`, up to `upToMs` for the one in
    /// progress: open and close on the price path, high and low from the path in between, so consecutive
    /// candles meet (deterministic in seed, symbol and start).
    func candle(symbol: String, startMs: Int64, flags: EventFlags = [], upToMs: Int64? = nil) -> Candle {
        let base = CandleSymbol(symbol)?.base ?? symbol
        let traits = traits(base)
        let ms = Self.periodMilliseconds(symbol) ?? 60_000
        let end = min(startMs + ms, upToMs.map { max($0, startMs) } ?? startMs + ms)
        var rng = SplitMix64(seed: seed ^ Self.hash(symbol) ^ UInt64(bitPattern: startMs))
        let open = Self.cents(price(traits, atMs: startMs))
        let close = Self.cents(price(traits, atMs: end))
        var high = max(open, close), low = min(open, close)
        for i in 1..<16 {
            let v = price(traits, atMs: startMs + (end - startMs) * Int64(i) / 16)
            high = max(high, v)
            low = min(low, v)
        }
        let spread = traits.spread
        var c = Candle(eventSymbol: symbol)
        c.eventFlags = flags.rawValue
        c.time = Timestamp(millisecondsSinceEpoch: startMs)
        c.index = (startMs / 1000) << 32 | (startMs % 1000) << 22
        c.count = Int64(10 + rng.next() % 90)
        c.open = open
        c.close = close
        // Prints reach a little past the path (the live noise): at most half a typical spread.
        c.high = Self.cents(high * (1 + spread / 2))
        c.low = Self.cents(low * (1 - spread / 2))
        c.volume = Double(Int(Double(1000 + rng.next() % 100_000) * traits.liquidity))
        c.vwap = Self.cents((c.high + c.low + c.close) / 3)
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
