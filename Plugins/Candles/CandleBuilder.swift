public import MarketData
public import SluiceCore

/// Builds OHLCV candles from market events on event time: the engine of the `candles` stage.
///
/// A value with no clock and no I/O: the stage feeds it events with ``ingest(_:now:into:)`` and the
/// passing of time with ``advance(to:into:)``, and calls ``finish(into:)`` at shutdown. Everything it
/// emits is appended to the caller's array, in order.
///
/// The rules, per symbol and period:
/// - An event opens the candle of the interval containing its time (UTC boundaries, or a session for
///   daily and longer periods). The open candle is emitted as `open` updates, at most once per
///   `updateInterval`.
/// - The candle closes (`final`) on the first event of a later interval, or when the clock passes its
///   end plus the allowed lateness — a quiet symbol's candle still closes on time.
/// - An event for a closed interval revises it (`revision`) while the symbol's newest event time is
///   before that interval's end plus the allowed lateness; later ones are dropped and counted.
/// - Empty intervals are skipped, or with `gaps: flat` carry the previous close forward — unless the feed
///   was down: intervals that overlap an outage (from `Feed` events) are marked `gap`, never made flat.
/// - DXLink's own `Candle` events for a built period merge by key: history before the locally built
///   candles is emitted as `backfilled`, replaces local candles that spanned an outage, and seeds the
///   local candle of the same interval; a duplicate of a complete local candle is dropped and counted.
public struct CandleBuilder: Sendable {
    /// Which price of which events a candle is built from.
    public enum PriceSource: String, ConfigOption {
        /// Trade prices and sizes (`Trade`, `TradeETH`, `TimeAndSale`).
        case last
        /// The bid of `Quote` events.
        case bid
        /// The ask of `Quote` events.
        case ask
        /// The midpoint of bid and ask of `Quote` events.
        case mid
    }

    /// What to do with an interval without events.
    public enum GapPolicy: String, ConfigOption {
        /// Emit nothing for it.
        case skip
        /// Emit a candle carrying the previous close forward (`flat`), or marked `gap` when the feed was
        /// down.
        case flat
    }

    /// How candles are built.
    public struct Options: Sendable {
        /// The periods built for every symbol.
        public var periods: [BarPeriod]
        /// The price used.
        public var price: PriceSource
        /// The event types used (`Trade`, `TradeETH`, `TimeAndSale` for `last`; `Quote` otherwise).
        public var eventTypes: Set<MarketEventType>
        /// How long after an interval's end (in event time) late events may still revise it, in ms.
        public var allowedLateness: Int64
        /// The shortest time between two `open` updates of one candle, in ms; `nil` emits no updates.
        public var updateInterval: Int64?
        /// Empty intervals: skipped or flat.
        public var gaps: GapPolicy
        /// Period boundaries.
        public var alignment: CandleAlignment
        /// Closed candles kept per symbol and period for revisions and merging.
        public var history: Int
        /// Whether DXLink `Candle` events are merged in.
        public var mergeServerCandles: Bool

        /// Creates options; by default 1-minute candles from trades, updates every second.
        public init(
            periods: [BarPeriod] = [BarPeriod("1m")!], price: PriceSource = .last,
            eventTypes: Set<MarketEventType>? = nil, allowedLateness: Int64 = 0, updateInterval: Int64? = 1000,
            gaps: GapPolicy = .skip, alignment: CandleAlignment = .utc, history: Int = 16,
            mergeServerCandles: Bool = true
        ) {
            self.periods = periods
            self.price = price
            self.eventTypes = eventTypes ?? (price == .last ? [.trade] : [.quote])
            self.allowedLateness = allowedLateness
            self.updateInterval = updateInterval
            self.gaps = gaps
            self.alignment = alignment
            self.history = history
            self.mergeServerCandles = mergeServerCandles
        }
    }

    /// What the builder has set aside, by reason; every event accepted is either in a candle or here.
    public struct Statistics: Sendable, Equatable {
        /// Events for a closed interval past the allowed lateness (or older than the history kept).
        public var lateDropped = 0
        /// Events without a usable price (NaN, infinite) or time.
        public var unpriced = 0
        /// Server candles for a key already built completely here.
        public var serverDuplicates = 0
        /// Server candles for periods or symbols not built here, or removal markers.
        public var serverIgnored = 0
        /// Revisions emitted.
        public var revisions = 0
    }

    /// The options in force.
    public let options: Options
    /// The counts so far.
    public private(set) var statistics = Statistics()

    private var series: [SeriesKey: Series] = [:]
    /// The newest event time per symbol, in ms.
    private var watermarks: [String: Int64] = [:]
    /// Known feed outages, oldest first (the last may still be open).
    private var outages: [(start: Int64, end: Int64?)] = []
    /// The time the stream began: candles whose interval began earlier were not fully observed.
    private var streamStart: Int64?
    private static let outagesKept = 256

    /// Creates a builder.
    public init(options: Options) {
        self.options = options
    }

    // MARK: - Input

    /// Applies one event; `now` is the clock's time (for throttling updates and for events without time).
    public mutating func ingest(_ event: MarketEvent, now: Timestamp, into out: inout [Bar]) {
        let clock = now.millisecondsSinceEpoch
        switch event {
        case .feed(let status):
            feedChanged(status)
        case .candle(let candle):
            if options.mergeServerCandles { merge(candle, now: clock, into: &out) }
        default:
            guard let type = event.type, options.eventTypes.contains(type), let (symbol, time, price, size) = observation(event, now: clock) else {
                return
            }
            guard price.isFinite else {
                statistics.unpriced += 1
                return
            }
            if streamStart == nil { streamStart = time }
            let previousWatermark = watermarks[symbol] ?? .min
            for period in options.periods.indices {
                add(SeriesKey(symbol: symbol, period: period), time: time, price: price, size: size.isFinite ? size : 0,
                    watermark: previousWatermark, now: clock, into: &out)
            }
            if time > previousWatermark { watermarks[symbol] = time }
        }
    }

    /// Closes the candles whose interval plus lateness has passed by `now`, opens flat successors under
    /// `gaps: flat`, and emits throttled updates that are due.
    public mutating func advance(to now: Timestamp, into out: inout [Bar]) {
        let clock = now.millisecondsSinceEpoch
        for key in series.keys.sorted() {
            guard var s = series[key], let ms = options.periods[key.period].milliseconds else {
                emitUpdate(key, now: clock, into: &out)
                continue
            }
            while let open = s.open, clock >= open.end + options.allowedLateness {
                s.open = nil
                close(open, in: &s, key: key, into: &out)
                if options.gaps == .flat {
                    let next = options.alignment.interval(containing: open.end, periodMilliseconds: ms)
                    s.open = Working.flat(start: next.start, end: next.end, close: s.lastClose)
                }
            }
            series[key] = s
            emitUpdate(key, now: clock, into: &out)
        }
    }

    /// Closes every open candle at shutdown: real candles as `final` and `partial` (or `gap`); flat
    /// placeholders are dropped, having no events.
    public mutating func finish(into out: inout [Bar]) {
        for key in series.keys.sorted() {
            guard var s = series[key], let open = s.open else { continue }
            s.open = nil
            if open.count > 0 || open.source != .local {
                var closing = open
                if closing.completeness == .complete { closing.completeness = .partial }
                out.append(bar(closing, key: key, state: .final))
            }
            series[key] = s
        }
    }

    // MARK: - Building

    private mutating func add(
        _ key: SeriesKey, time: Int64, price: Double, size: Double, watermark: Int64, now: Int64, into out: inout [Bar]
    ) {
        var s = series[key] ?? Series()
        let period = options.periods[key.period]
        if let ms = period.milliseconds {
            let interval = options.alignment.interval(containing: time, periodMilliseconds: ms)
            if let open = s.open, interval.start == open.start {
                if open.count == 0, open.source == .local { s.open!.completeness = .complete }  // flat becomes real
                s.open!.apply(price: price, size: size, time: time)
                s.dirty = true
            } else if isLate(interval.start, in: s) {
                revise(&s, key: key, interval: interval, time: time, price: price, size: size, watermark: watermark, into: &out)
            } else {
                var fillFrom = s.closed.last?.end
                if let open = s.open {
                    s.open = nil
                    if open.count > 0 || open.source != .local {
                        close(open, in: &s, key: key, into: &out)
                        fillFrom = open.end
                    } else {
                        fillFrom = open.start  // a flat placeholder: emitted below like any empty interval
                    }
                }
                if let from = fillFrom { fillEmptyIntervals(&s, key: key, from: from, to: interval.start, period: ms, into: &out) }
                s.open = openCandle(&s, interval: interval)
                s.open!.apply(price: price, size: size, time: time)
                s.dirty = true
            }
        } else {
            addCounted(&s, key: key, period: period, time: time, price: price, size: size, into: &out)
        }
        series[key] = s
        emitUpdate(key, now: now, into: &out)
    }

    /// Whether an event in the interval starting at `start` belongs to a closed candle.
    private func isLate(_ start: Int64, in s: Series) -> Bool {
        if let open = s.open { return start < open.start }
        guard let last = s.closed.last else { return false }
        // The server's candle of the current interval is continued locally, not revised.
        return start < last.start || (start == last.start && last.source != .dxlink)
    }

    /// Tick and volume bars: no intervals, no clock; a bar closes when it holds its count or volume.
    private mutating func addCounted(
        _ s: inout Series, key: SeriesKey, period: BarPeriod, time: Int64, price: Double, size: Double,
        into out: inout [Bar]
    ) {
        var bar = s.open ?? Working(start: time, end: time, completeness: .complete)
        bar.apply(price: price, size: size, time: time)
        bar.end = max(bar.end, time)
        let full: Bool
        switch period.kind {
        case .ticks(let n): full = bar.count >= n
        case .volume(let v): full = bar.volume >= v
        case .time: full = false
        }
        if full {
            s.open = nil
            close(bar, in: &s, key: key, into: &out)
        } else {
            s.open = bar
            s.dirty = true
        }
    }

    private func openCandle(_ s: inout Series, interval: (start: Int64, end: Int64)) -> Working {
        if let i = s.closed.firstIndex(where: { $0.start == interval.start && $0.source == .dxlink }) {
            // The server's candle for this interval (history up to now): continue it.
            var seeded = s.closed.remove(at: i)
            seeded.source = .merged
            seeded.completeness = .complete
            return seeded
        }
        var candle = Working(start: interval.start, end: interval.end, completeness: .complete)
        if let streamStart, streamStart > interval.start { candle.completeness = .partial }
        return candle
    }

    private mutating func revise(
        _ s: inout Series, key: SeriesKey, interval: (start: Int64, end: Int64), time: Int64, price: Double,
        size: Double, watermark: Int64, into out: inout [Bar]
    ) {
        guard watermark < interval.end + options.allowedLateness else {
            statistics.lateDropped += 1
            return
        }
        if let i = s.closed.firstIndex(where: { $0.start == interval.start }) {
            guard s.closed[i].source == .local else {
                statistics.lateDropped += 1  // the server's history already covers this interval
                return
            }
            if s.closed[i].count == 0 { s.closed[i].completeness = .complete }  // a flat candle becomes real
            s.closed[i].apply(price: price, size: size, time: time)
            statistics.revisions += 1
            out.append(bar(s.closed[i], key: key, state: .revision))
        } else if let oldest = s.closed.first, interval.start < oldest.start, s.closed.count >= options.history {
            statistics.lateDropped += 1  // older than the history kept
        } else {
            var candle = Working(start: interval.start, end: interval.end, completeness: .complete)
            candle.apply(price: price, size: size, time: time)
            insertClosed(candle, into: &s)
            out.append(bar(candle, key: key, state: .final))
        }
    }

    private mutating func close(_ candle: Working, in s: inout Series, key: SeriesKey, into out: inout [Bar]) {
        var closed = candle
        if closed.source == .local, overlapsOutage(closed.start, closed.end) {
            if closed.count == 0 { closed = .gap(start: closed.start, end: closed.end) } else { closed.completeness = .gap }
        }
        if closed.count > 0 { s.lastClose = closed.close }
        s.dirty = false
        insertClosed(closed, into: &s)
        out.append(bar(closed, key: key, state: .final))
    }

    private func fillEmptyIntervals(
        _ s: inout Series, key: SeriesKey, from: Int64, to: Int64, period: Int64, into out: inout [Bar]
    ) {
        guard options.gaps == .flat else { return }
        var start = from
        while start < to {
            let interval = options.alignment.interval(containing: start, periodMilliseconds: period)
            let candle = Working.flat(start: interval.start, end: interval.end, close: s.lastClose)
            var closed = candle
            if overlapsOutage(interval.start, interval.end) { closed = Working.gap(start: interval.start, end: interval.end) }
            insertClosed(closed, into: &s)
            out.append(bar(closed, key: key, state: .final))
            start = interval.end
        }
    }

    private func insertClosed(_ candle: Working, into s: inout Series) {
        if let i = s.closed.firstIndex(where: { $0.start >= candle.start }) {
            if s.closed[i].start == candle.start { s.closed[i] = candle } else { s.closed.insert(candle, at: i) }
        } else {
            s.closed.append(candle)
        }
        if s.closed.count > options.history { s.closed.removeFirst(s.closed.count - options.history) }
    }

    private mutating func emitUpdate(_ key: SeriesKey, now: Int64, into out: inout [Bar]) {
        guard var s = series[key], s.dirty, let open = s.open, let interval = options.updateInterval else { return }
        guard s.lastUpdate == nil || now - s.lastUpdate! >= interval else { return }
        s.dirty = false
        s.lastUpdate = now
        series[key] = s
        var current = open
        if current.completeness == .complete { current.completeness = .partial }
        if overlapsOutage(open.start, open.end), current.source == .local { current.completeness = .gap }
        out.append(bar(current, key: key, state: .open))
    }

    // MARK: - Server candles

    private mutating func merge(_ candle: Candle, now: Int64, into out: inout [Bar]) {
        guard let symbol = CandleSymbol(candle.eventSymbol), let period = BarPeriod(symbol.period),
              let index = options.periods.firstIndex(of: period),
              !candle.flags.contains(.removeEvent), candle.open.isFinite
        else {
            statistics.serverIgnored += 1
            return
        }
        let key = SeriesKey(symbol: symbol.base, period: index)
        var s = series[key] ?? Series()
        defer { series[key] = s }
        let start = candle.time.millisecondsSinceEpoch
        let end = period.milliseconds.map { options.alignment.interval(containing: start, periodMilliseconds: $0).end } ?? start
        var server = Working(start: start, end: end, completeness: .backfilled)
        server.source = .dxlink
        server.open = candle.open
        server.high = candle.high
        server.low = candle.low
        server.close = candle.close
        server.volume = candle.volume.isFinite ? candle.volume : 0
        server.priceVolume = candle.vwap.isFinite ? candle.vwap * server.volume : .nan
        server.count = max(candle.count, 1)

        if let open = s.open, open.start == start {
            guard open.count == 0 else {
                statistics.serverDuplicates += 1
                return
            }
            s.open = server  // a flat placeholder gives way to the server's candle
            out.append(bar(server, key: key, state: end > now ? .open : .final))
            return
        }
        if let i = s.closed.firstIndex(where: { $0.start == start }) {
            let existing = s.closed[i]
            let replaceable = existing.source == .dxlink ? existing != server : existing.completeness != .complete
            guard replaceable else {
                statistics.serverDuplicates += 1
                return
            }
            s.closed[i] = server
            statistics.revisions += 1
            out.append(bar(server, key: key, state: .revision))
            return
        }
        if let open = s.open, start > open.start {
            statistics.serverDuplicates += 1  // ahead of the local stream: the local candle will cover it
            return
        }
        if let oldest = s.closed.first, start < oldest.start, s.closed.count >= options.history {
            statistics.serverIgnored += 1  // older than the history kept
            return
        }
        insertClosed(server, into: &s)
        if !server.close.isNaN, s.open == nil { s.lastClose = server.close }
        out.append(bar(server, key: key, state: end > now ? .open : .final))
    }

    // MARK: - Feed state

    private mutating func feedChanged(_ status: FeedStatus) {
        let time = status.time.millisecondsSinceEpoch
        switch status.state {
        case .disconnected, .reconnecting:
            if outages.last.map({ $0.end != nil }) ?? true {
                outages.append((time, nil))
                if outages.count > Self.outagesKept { outages.removeFirst() }
            }
        case .subscribed:
            if streamStart == nil { streamStart = time }
            if let last = outages.indices.last, outages[last].end == nil { outages[last].end = time }
        case .connecting, .connected, .authorized, .closed:
            break
        }
    }

    private func overlapsOutage(_ start: Int64, _ end: Int64) -> Bool {
        outages.contains { $0.start < max(end, start + 1) && ($0.end ?? .max) > start }
    }

    // MARK: - Helpers

    private func observation(_ event: MarketEvent, now: Int64) -> (String, Int64, Double, Double)? {
        func time(_ t: Timestamp, _ fallback: Timestamp) -> Int64 {
            let ms = t.millisecondsSinceEpoch
            if ms > 0 { return ms }
            let f = fallback.millisecondsSinceEpoch
            return f > 0 ? f : now
        }
        switch event {
        case .trade(let t): return (t.eventSymbol, time(t.time, t.eventTime), t.price, t.size)
        case .tradeETH(let t): return (t.eventSymbol, time(t.time, t.eventTime), t.price, t.size)
        case .timeAndSale(let t): return (t.eventSymbol, time(t.time, t.eventTime), t.price, t.size)
        case .quote(let q):
            let quoteTime = max(q.bidTime, q.askTime)
            let price: Double
            switch options.price {
            case .bid: price = q.bidPrice
            case .ask: price = q.askPrice
            case .mid, .last: price = (q.bidPrice + q.askPrice) / 2
            }
            return (q.eventSymbol, time(quoteTime, q.eventTime), price, 0)
        default:
            return nil
        }
    }

    private func bar(_ w: Working, key: SeriesKey, state: Bar.State) -> Bar {
        Bar(
            symbol: key.symbol, period: options.periods[key.period].text,
            start: Timestamp(millisecondsSinceEpoch: w.start), end: Timestamp(millisecondsSinceEpoch: w.end),
            open: w.open, high: w.high, low: w.low, close: w.close, volume: w.volume,
            vwap: w.volume > 0 ? w.priceVolume / w.volume : .nan, tradeCount: w.count,
            state: state, completeness: w.completeness, source: w.source.rawValue
        )
    }
}

/// One symbol and one of the configured periods.
struct SeriesKey: Hashable, Comparable, Sendable {
    var symbol: String
    var period: Int

    static func < (a: SeriesKey, b: SeriesKey) -> Bool { (a.symbol, a.period) < (b.symbol, b.period) }
}

/// The state of one candle series: the open candle and a bounded history of closed ones.
struct Series: Sendable {
    var open: Working?
    /// Closed candles, oldest first, at most `history` of them.
    var closed: [Working] = []
    /// The last real close, carried forward by flat candles.
    var lastClose: Double = .nan
    /// Whether the open candle changed since its last update was emitted.
    var dirty = false
    /// When (clock ms) the last update was emitted.
    var lastUpdate: Int64?
}

/// A candle being built.
struct Working: Equatable, Sendable {
    enum Source: String, Sendable { case local, dxlink, merged }

    var start: Int64
    var end: Int64
    var open = Double.nan
    var high = Double.nan
    var low = Double.nan
    var close = Double.nan
    var volume = 0.0
    var priceVolume = 0.0
    var count: Int64 = 0
    var completeness: Bar.Completeness
    var source = Source.local

    init(start: Int64, end: Int64, completeness: Bar.Completeness) {
        self.start = start
        self.end = end
        self.completeness = completeness
    }

    static func flat(start: Int64, end: Int64, close: Double) -> Working {
        var w = Working(start: start, end: end, completeness: .flat)
        (w.open, w.high, w.low, w.close) = (close, close, close, close)
        return w
    }

    static func gap(start: Int64, end: Int64) -> Working {
        Working(start: start, end: end, completeness: .gap)
    }

    mutating func apply(price: Double, size: Double, time: Int64) {
        if count == 0 {
            (open, high, low, close) = (price, price, price, price)
        } else {
            high = Swift.max(high, price)
            low = Swift.min(low, price)
            close = price
        }
        count += 1
        if size > 0 {
            volume += size
            priceVolume += price * size
        }
    }
}
