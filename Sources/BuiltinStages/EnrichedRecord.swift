public import SluiceCore
import Tastytrade

/// A record with tastytrade market metrics appended: what `market_metrics` emits.
///
/// Its columns are the original record's, then the metric columns (`iv_rank`, `iv_percentile`, …), then
/// `metrics_status` (`fresh`, `stale` or `missing`) and `metrics_time` (when they were fetched). Its record
/// type is the original's, so sinks keep one table or file per event type.
public struct EnrichedRecord: Record {
    /// The original record.
    public let base: any Record
    /// The appended values, in ``MetricColumns/columns`` order.
    let extra: [FieldValue]
    public let schema: RecordSchema

    public func value(at index: Int) -> FieldValue {
        let baseCount = schema.columns.count - extra.count
        return index < baseCount ? base.value(at: index) : extra[index - baseCount]
    }
}

/// The metric columns `market_metrics` appends, and how each is read from ``MarketMetrics``.
public enum MetricColumns {
    /// Name, type and reader of each column.
    static let all: [(Column, @Sendable (MarketMetrics) -> FieldValue)] = [
        (Column("iv_index", .double), { d($0.impliedVolatilityIndex) }),
        (Column("iv_index_5d_change", .double), { d($0.impliedVolatilityIndex5DayChange) }),
        (Column("iv_rank", .double), { d($0.impliedVolatilityIndexRank) }),
        (Column("iv_percentile", .double), { d($0.impliedVolatilityPercentile) }),
        (Column("iv_30d", .double), { d($0.impliedVolatility30Day) }),
        (Column("hv_30d", .double), { d($0.historicalVolatility30Day) }),
        (Column("hv_60d", .double), { d($0.historicalVolatility60Day) }),
        (Column("hv_90d", .double), { d($0.historicalVolatility90Day) }),
        (Column("iv_hv_30d_diff", .double), { d($0.ivHv30DayDifference) }),
        (Column("liquidity_rating", .int), { $0.liquidityRating.map(FieldValue.int) ?? .null }),
        (Column("liquidity_rank", .double), { d($0.liquidityRank) }),
        (Column("beta", .double), { d($0.beta) }),
        (Column("corr_spy_3m", .double), { d($0.corrSpy3Month) }),
        (Column("market_cap", .int), { $0.marketCap.map(FieldValue.int) ?? .null }),
        (Column("dividend_yield", .double), { d($0.dividendYield) }),
        (Column("earnings_date", .string), { $0.earnings?.expectedReportDate.map(FieldValue.string) ?? .null }),
        (Column("earnings_time_of_day", .string), { $0.earnings?.timeOfDay.map(FieldValue.string) ?? .null }),
    ]

    /// Every appended column, status and time included.
    public static var columns: [Column] { all.map(\.0) + [Column("metrics_status", .string), Column("metrics_time", .time)] }

    private static func d(_ v: Double?) -> FieldValue { v.map(FieldValue.double) ?? .null }

    /// The values for one record.
    static func values(_ metrics: MarketMetrics?, status: String, time: Timestamp?) -> [FieldValue] {
        var out = all.map { column in metrics.map(column.1) ?? .null }
        out.append(.string(status))
        out.append(time.map(FieldValue.time) ?? .null)
        return out
    }
}
