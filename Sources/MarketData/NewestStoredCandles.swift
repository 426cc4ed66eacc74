public import SluiceCore

/// One candle series: a symbol and a period as written (`1m`, `1d`).
public struct CandleSeries: Hashable, Sendable {
    /// The symbol, e.g. `SPY`.
    public var symbol: String
    /// The period, e.g. `5m`.
    public var period: String

    /// Creates a series key.
    public init(symbol: String, period: String) {
        self.symbol = symbol
        self.period = period
    }
}

/// The start of the newest candle a store holds per series, shared within a pipeline: a sink that keeps
/// candles publishes it when created, and the `dxlink` source requests candle history from there instead
/// of from its configured `from`, so a restarted pipeline fills exactly what it missed.
public enum NewestStoredCandles: SharedKey {
    public typealias Value = [CandleSeries: Timestamp]

    /// Merges two stores' views, keeping the newer time per series.
    public static func merge(_ a: Value, _ b: Value) -> Value {
        a.merging(b) { max($0, $1) }
    }

    /// The newest stored candle for `symbol` and a period of the same length as `period` (`60s` is `1m`).
    public static func newest(in stored: Value, symbol: String, period: String) -> Timestamp? {
        let length = CandleSymbol(base: symbol, period: period).periodDuration
        return stored.filter { entry in
            entry.key.symbol == symbol
                && (entry.key.period == period || (length != nil && CandleSymbol(base: symbol, period: entry.key.period).periodDuration == length))
        }.values.max()
    }
}
