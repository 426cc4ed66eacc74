import Foundation
public import MarketData
public import SluiceCore

/// `candles` (aggregate): OHLCV candles from trades or quotes, for several periods at once, on event time.
///
/// See ``CandleBuilder`` for the rules. The stage feeds it each batch and the clock's ticks, and sends
/// what it emits on as ``Bar`` records; at the end of the input the open candles are closed as `partial`.
public struct CandlesStage: Stage {
    public typealias Input = MarketEvent
    public typealias Output = Bar

    /// Where daily and longer candles begin.
    public struct Session: Decodable, Sendable {
        /// An IANA time zone, e.g. `America/New_York`.
        public var timeZone: String
        /// The session's local start, `HH:MM`.
        public var start: String


        static let spec = ConfigSpec([
            ConfigField("time_zone", .string, doc: "IANA time zone of the session, e.g. America/New_York."),
            ConfigField("start", .custom("HH:MM", expected: "a local time like \"18:00\"", example: "18:00") { v in
                v.stringValue.flatMap(Session.minutes(of:)) != nil
            }, default: .string("00:00"), doc: "Local time the session (and so the daily candle) begins."),
        ])

        static func minutes(of text: String) -> Int? {
            let parts = text.split(separator: ":")
            guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m) else {
                return nil
            }
            return h * 60 + m
        }
    }

    /// The configuration of `candles`.
    public struct Configuration: StageConfiguration {
        /// The periods, e.g. `["1m", "5m", "100t"]`.
        public var periods: [String]
        /// `last`, `bid`, `ask` or `mid`.
        public var price: CandleBuilder.PriceSource
        /// The event types used; by default `Trade` for `last` and `Quote` otherwise.
        public var events: [MarketEventType]?
        /// How long late events may still revise a closed candle.
        public var allowedLateness: ConfigDuration
        /// Whether to emit updates of the open candle.
        public var updates: Bool
        /// The shortest time between two updates of one open candle.
        public var updateInterval: ConfigDuration
        /// `skip` or `flat`.
        public var gaps: CandleBuilder.GapPolicy
        /// Session alignment of daily and longer candles.
        public var session: Session?
        /// Closed candles kept per symbol and period.
        public var history: Int
        /// Whether DXLink `Candle` events are merged in.
        public var mergeDXLink: Bool
        /// How often the clock is checked.
        public var tick: ConfigDuration


        static let priceEvents: [MarketEventType] = [.trade, .tradeETH, .timeAndSale, .quote]

        public static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("periods", .array(.custom("period", expected: BarPeriod.expected, example: "1m") { v in
                    v.stringValue.flatMap(BarPeriod.init) != nil
                }, minCount: 1), doc: "Periods to build at once: s, m, h, d, w (time), t (ticks), v (volume)."),
                ConfigField("price", CandleBuilder.PriceSource.self, default: .last, doc: "last (trades) or bid, ask, mid (quotes)."),
                ConfigField("events", .array(.oneOf(priceEvents.map(\.rawValue)), minCount: 1), optional: true, doc: "Event types to build from (default: Trade for last, Quote otherwise)."),
                ConfigField("allowed_lateness", .duration, default: .string("0s"), doc: "How long after its end a candle still accepts late events (as revisions)."),
                ConfigField("updates", .boolean, default: .bool(true), doc: "Emit updates of the open candle (state open)."),
                ConfigField("update_interval", .duration, default: .string("1s"), doc: "Shortest time between two updates of one open candle (0s: every event)."),
                ConfigField("gaps", CandleBuilder.GapPolicy.self, default: .skip, doc: "Intervals without events: skip, or flat (carry the close forward; never during a feed outage)."),
                ConfigField("session", .object(Session.spec), optional: true, doc: "Align daily and longer candles to a session start in a time zone (default: UTC midnight)."),
                ConfigField("history", .integer(1...100_000), default: .number(16), advanced: true, doc: "Closed candles kept per symbol and period, for revisions and merging."),
                ConfigField("merge_dxlink", .boolean, default: .bool(true), doc: "Merge DXLink Candle events of the same periods (history is marked backfilled)."),
                ConfigField("tick", .duration, default: .string("250ms"), advanced: true, doc: "How often the clock is checked to close quiet candles and flush updates."),
            ])
        }

        public func validate() -> [Diagnostic] {
            var problems: [Diagnostic] = []
            var seen: [BarPeriod: Int] = [:]
            for (i, text) in periods.enumerated() {
                guard let period = BarPeriod(text) else { continue }
                if let first = seen[period] {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("periods", i),
                                               "period \"\(text)\" repeats \"\(periods[first])\""))
                }
                seen[period] = seen[period] ?? i
            }
            if let events {
                let quotes = price != .last
                for (i, e) in events.enumerated() where (e == .quote) != quotes {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("events", i),
                                               "price \"\(price.rawValue)\" is not built from \(e.rawValue) events",
                                               expected: quotes ? "\"Quote\"" : "\"Trade\", \"TradeETH\" or \"TimeAndSale\""))
                }
            }
            if let session, TimeZone(identifier: session.timeZone) == nil {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("session", "time_zone"),
                                           "unknown time zone \"\(session.timeZone)\"", expected: "an IANA time zone like \"America/New_York\""))
            }
            if tick.duration <= .zero {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("tick"), "must be longer than zero"))
            }
            return problems
        }

        /// The builder options this configuration describes (after validation).
        public var options: CandleBuilder.Options {
            let alignment = session.map { s in
                CandleAlignment(timeZone: TimeZone(identifier: s.timeZone), sessionStart: Int64(Session.minutes(of: s.start) ?? 0) * 60_000)
            } ?? .utc
            return CandleBuilder.Options(
                periods: periods.compactMap(BarPeriod.init), price: price,
                eventTypes: events.map(Set.init),
                allowedLateness: allowedLateness.duration.milliseconds, updateInterval: updates ? updateInterval.duration.milliseconds : nil,
                gaps: gaps, alignment: alignment, history: history,
                mergeServerCandles: mergeDXLink
            )
        }
    }

    public static var kind: String { "candles" }
    public static var summary: String {
        "Builds OHLCV candles (time, tick and volume bars) from trades or quotes on event time, with updates, lateness, gap marking and DXLink history merged."
    }

    public static func requiredInputKinds(_ configuration: Configuration) -> Set<String>? {
        Set(configuration.options.eventTypes.map(\.rawValue))
    }

    public static func emittedKinds(_ configuration: Configuration) -> Set<String>? { ["Bar"] }

    let options: CandleBuilder.Options
    let tick: Duration
    let context: StageContext

    public init(configuration: Configuration, context: StageContext) {
        self.options = configuration.options
        self.tick = configuration.tick.duration
        self.context = context
    }

    public func run(input: Inbound<MarketEvent>, output: Outbound<Bar>) async throws {
        var builder = CandleBuilder(options: options)
        var bars: [Bar] = []
        var reported = CandleBuilder.Statistics()
        try await input.forEach(tickingEvery: tick, clock: context.clock) { step in
            bars.removeAll(keepingCapacity: true)
            switch step {
            case .batch(let events):
                let now = context.clock.now
                for event in events { builder.ingest(event, now: now, into: &bars) }
            case .tick(let now):
                builder.advance(to: now, into: &bars)
            }
            report(builder.statistics, since: &reported)
            if !bars.isEmpty { try await output.send(bars) }
        }
        bars.removeAll()
        builder.finish(into: &bars)
        if !bars.isEmpty { try await output.send(bars) }
        let s = builder.statistics
        context.logger.info("candles finished", metadata: [
            "revisions": "\(s.revisions)", "late_dropped": "\(s.lateDropped)", "unpriced": "\(s.unpriced)",
            "server_duplicates": "\(s.serverDuplicates)", "server_ignored": "\(s.serverIgnored)",
        ])
    }

    /// Counts what the builder set aside as skipped, with the reason. Server candles the local candles
    /// already cover are merged, not lost: they are reported when the stage finishes.
    private func report(_ now: CandleBuilder.Statistics, since last: inout CandleBuilder.Statistics) {
        if now.lateDropped > last.lateDropped { context.skip("event later than the allowed lateness", count: now.lateDropped - last.lateDropped) }
        if now.unpriced > last.unpriced { context.skip("event without a price", count: now.unpriced - last.unpriced) }
        if now.serverIgnored > last.serverIgnored {
            context.skip("DXLink candle for a period not built here", count: now.serverIgnored - last.serverIgnored)
        }
        last = now
    }
}
