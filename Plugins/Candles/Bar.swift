public import SluiceCore

/// One OHLCV candle built by the `candles` stage (or taken over from a DXLink `Candle` event).
///
/// As a record its type is `bar`; `symbol`, `period` and `start` are its natural key, so a sink that
/// upserts on them keeps exactly one row per candle however many updates and revisions it receives.
public struct Bar: Record, Hashable {
    /// Where in its life a candle is when it is emitted.
    public enum State: String, Sendable, Hashable, CaseIterable {
        /// The candle is still building; a later `open` or `final` event for the same key supersedes it.
        case open
        /// The candle closed.
        case final
        /// A closed candle changed: a late event inside the allowed lateness, or DXLink history replacing
        /// a candle that spanned an outage.
        case revision
    }

    /// How much of the candle's interval was actually observed.
    public enum Completeness: String, Sendable, Hashable, CaseIterable {
        /// Every event of the interval was seen.
        case complete
        /// Part of the interval was not observed: the candle is still open, the stream started inside it,
        /// or the pipeline stopped before it closed.
        case partial
        /// The feed was down during the interval: the candle may be missing events. An empty interval in
        /// an outage carries no prices.
        case gap
        /// From the server's history (DXLink `Candle` events), not built from the live stream.
        case backfilled
        /// No events in the interval, feed up: the previous close carried forward (`gaps: flat`).
        case flat
    }

    /// The instrument, e.g. `SPY`.
    public var symbol: String
    /// The period as configured: `1m`, `1d`, `100t` (ticks), `5000v` (volume).
    public var period: String
    /// The first instant of the candle (for tick and volume bars, the time of its first event).
    public var start: Timestamp
    /// The end of the interval, exclusive (for tick and volume bars, the time of its last event).
    public var end: Timestamp
    /// The first price.
    public var open: Double
    /// The highest price.
    public var high: Double
    /// The lowest price.
    public var low: Double
    /// The last price.
    public var close: Double
    /// The traded volume (zero for candles built from quotes).
    public var volume: Double
    /// The volume-weighted average price (NaN without volume).
    public var vwap: Double
    /// The number of events in the candle (trades, or quote updates for quote-built candles).
    public var tradeCount: Int64
    /// Open, final or revision.
    public var state: State
    /// Complete, partial, gap, backfilled or flat.
    public var completeness: Completeness
    /// `local` (built here) or `dxlink` (the server's candle).
    public var source: String

    /// Creates a bar.
    public init(
        symbol: String, period: String, start: Timestamp, end: Timestamp, open: Double, high: Double, low: Double,
        close: Double, volume: Double, vwap: Double, tradeCount: Int64, state: State, completeness: Completeness,
        source: String = "local"
    ) {
        self.symbol = symbol
        self.period = period
        self.start = start
        self.end = end
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.vwap = vwap
        self.tradeCount = tradeCount
        self.state = state
        self.completeness = completeness
        self.source = source
    }

    /// The columns of every bar.
    public static let recordSchema = RecordSchema(recordType: "bar", columns: [
        Column("symbol", .string), Column("period", .string), Column("start", .time), Column("end", .time),
        Column("open", .double), Column("high", .double), Column("low", .double), Column("close", .double),
        Column("volume", .double), Column("vwap", .double), Column("trade_count", .int),
        Column("state", .string), Column("completeness", .string), Column("source", .string),
    ])

    /// The natural key: one candle per symbol, period and start.
    public static let naturalKey = ["symbol", "period", "start"]

    public var schema: RecordSchema { Self.recordSchema }
    public static var declaredFields: [Column]? { recordSchema.columns }
    public static var recordSchemas: [RecordSchema]? { [recordSchema] }
    public static var eventKinds: [String]? { ["Bar"] }

    public func value(at index: Int) -> FieldValue {
        switch index {
        case 0: return .string(symbol)
        case 1: return .string(period)
        case 2: return .time(start)
        case 3: return .time(end)
        case 4: return .double(open)
        case 5: return .double(high)
        case 6: return .double(low)
        case 7: return .double(close)
        case 8: return .double(volume)
        case 9: return .double(vwap)
        case 10: return .int(tradeCount)
        case 11: return .string(state.rawValue)
        case 12: return .string(completeness.rawValue)
        case 13: return .string(source)
        default: return .null
        }
    }
}
