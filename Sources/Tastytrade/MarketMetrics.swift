import Foundation
public import SluiceCore

/// One symbol's market metrics from `GET /market-metrics`: every field tastytrade documents, each
/// optional (tastytrade leaves out what it does not have, and sends some as `null`).
///
/// Units as tastytrade gives them: the IV index, IV rank and IV percentile are fractions (0.2241), the
/// 30-day IV and the historical volatilities are percentages (21.87).
public struct MarketMetrics: Sendable, Hashable {
    /// Earnings information.
    public struct Earnings: Sendable, Hashable {
        /// Whether the earnings date is shown.
        public var visible: Bool?
        /// The expected report date, `YYYY-MM-DD`.
        public var expectedReportDate: String?
        /// Whether the date is an estimate.
        public var estimated: Bool?
        /// tastytrade's late-report flag.
        public var lateFlag: Int64?
        /// The quarter's end, `YYYY-MM-DD`.
        public var quarterEndDate: String?
        /// Reported earnings per share.
        public var actualEPS: Double?
        /// The consensus EPS estimate.
        public var consensusEstimate: Double?
        /// `BMO` (before market open) or `AMC` (after market close).
        public var timeOfDay: String?
        /// When tastytrade last updated this.
        public var updatedAt: Timestamp?
    }

    /// The running liquidity computation.
    public struct LiquidityRunningState: Sendable, Hashable {
        /// The running sum.
        public var sum: Double?
        /// The number of samples.
        public var count: Int64?
        /// When the running state began.
        public var startedAt: Timestamp?
        /// When tastytrade last updated this.
        public var updatedAt: Timestamp?
    }

    /// The implied volatility of one option expiration.
    public struct ExpirationIV: Sendable, Hashable {
        /// The expiration, `YYYY-MM-DD`.
        public var expirationDate: String?
        /// The chain type, e.g. `Standard`.
        public var optionChainType: String?
        /// `PM` or `AM`.
        public var settlementType: String?
        /// The expiration's implied volatility (fraction).
        public var impliedVolatility: Double?
    }

    /// The symbol as requested.
    public var symbol: String
    /// IVx, a fraction (0.2241 = 22.41 %).
    public var impliedVolatilityIndex: Double?
    /// The IVx change over 5 days (fraction).
    public var impliedVolatilityIndex5DayChange: Double?
    /// IV rank, a fraction from 0 to 1.
    public var impliedVolatilityIndexRank: Double?
    /// IV rank from the "tos" source (fraction).
    public var tosImpliedVolatilityIndexRank: Double?
    /// IV rank from tastytrade's own source (fraction).
    public var twImpliedVolatilityIndexRank: Double?
    /// When the "tos" rank was updated.
    public var tosImpliedVolatilityIndexRankUpdatedAt: Timestamp?
    /// Which source `impliedVolatilityIndexRank` uses, e.g. `tos`.
    public var impliedVolatilityIndexRankSource: String?
    /// IV percentile, a fraction from 0 to 1.
    public var impliedVolatilityPercentile: Double?
    /// When the IV figures were updated.
    public var impliedVolatilityUpdatedAt: Timestamp?
    /// 30-day IV in percent (21.87).
    public var impliedVolatility30Day: Double?
    /// 30-day historical volatility in percent.
    public var historicalVolatility30Day: Double?
    /// 60-day historical volatility in percent.
    public var historicalVolatility60Day: Double?
    /// 90-day historical volatility in percent.
    public var historicalVolatility90Day: Double?
    /// IV30 − HV30 in percentage points.
    public var ivHv30DayDifference: Double?
    /// The liquidity value.
    public var liquidityValue: Double?
    /// The liquidity rank.
    public var liquidityRank: Double?
    /// The liquidity rating (0–5).
    public var liquidityRating: Int64?
    /// The running liquidity computation.
    public var liquidityRunningState: LiquidityRunningState?
    /// Implied volatility per option expiration.
    public var optionExpirationImpliedVolatilities: [ExpirationIV]
    /// Beta.
    public var beta: Double?
    /// When beta was updated.
    public var betaUpdatedAt: Timestamp?
    /// Correlation with SPY over 3 months.
    public var corrSpy3Month: Double?
    /// Dividend rate per share.
    public var dividendRatePerShare: Double?
    /// Annual dividend per share.
    public var annualDividendPerShare: Double?
    /// Dividend yield.
    public var dividendYield: Double?
    /// Ex-dividend date.
    public var dividendExDate: String?
    /// Next dividend date.
    public var dividendNextDate: String?
    /// Dividend pay date.
    public var dividendPayDate: String?
    /// When the dividend data was updated.
    public var dividendUpdatedAt: Timestamp?
    /// Earnings information.
    public var earnings: Earnings?
    /// The listing market (MIC), e.g. `XNAS`.
    public var listedMarket: String?
    /// Lendability, e.g. `Easy To Borrow`.
    public var lendability: String?
    /// The borrow rate.
    public var borrowRate: Double?
    /// Market capitalisation.
    public var marketCap: Int64?
    /// The price/earnings ratio.
    public var priceEarningsRatio: Double?
    /// Earnings per share.
    public var earningsPerShare: Double?
    /// When the record was created.
    public var createdAt: Timestamp?
    /// When tastytrade last updated this.
    public var updatedAt: Timestamp?

    /// Reads one item of the response; `nil` without a `symbol`.
    public init?(json o: JSONObject) {
        guard let symbol = o["symbol"]?.stringValue else { return nil }
        self.symbol = symbol
        impliedVolatilityIndex = Self.decimal(o["implied-volatility-index"])
        impliedVolatilityIndex5DayChange = Self.decimal(o["implied-volatility-index-5-day-change"])
        impliedVolatilityIndexRank = Self.decimal(o["implied-volatility-index-rank"])
        tosImpliedVolatilityIndexRank = Self.decimal(o["tos-implied-volatility-index-rank"])
        twImpliedVolatilityIndexRank = Self.decimal(o["tw-implied-volatility-index-rank"])
        tosImpliedVolatilityIndexRankUpdatedAt = Self.time(o["tos-implied-volatility-index-rank-updated-at"])
        impliedVolatilityIndexRankSource = o["implied-volatility-index-rank-source"]?.stringValue
        impliedVolatilityPercentile = Self.decimal(o["implied-volatility-percentile"])
        impliedVolatilityUpdatedAt = Self.time(o["implied-volatility-updated-at"])
        impliedVolatility30Day = Self.decimal(o["implied-volatility-30-day"])
        historicalVolatility30Day = Self.decimal(o["historical-volatility-30-day"])
        historicalVolatility60Day = Self.decimal(o["historical-volatility-60-day"])
        historicalVolatility90Day = Self.decimal(o["historical-volatility-90-day"])
        ivHv30DayDifference = Self.decimal(o["iv-hv-30-day-difference"])
        liquidityValue = Self.decimal(o["liquidity-value"])
        liquidityRank = Self.decimal(o["liquidity-rank"])
        liquidityRating = Self.integer(o["liquidity-rating"])
        liquidityRunningState = o["liquidity-running-state"]?.objectValue.map { l in
            LiquidityRunningState(sum: Self.decimal(l["sum"]), count: Self.integer(l["count"]),
                                  startedAt: Self.time(l["started-at"]), updatedAt: Self.time(l["updated-at"]))
        }
        optionExpirationImpliedVolatilities = (o["option-expiration-implied-volatilities"]?.arrayValue ?? []).compactMap { item in
            item.objectValue.map { e in
                ExpirationIV(expirationDate: e["expiration-date"]?.stringValue, optionChainType: e["option-chain-type"]?.stringValue,
                             settlementType: e["settlement-type"]?.stringValue, impliedVolatility: Self.decimal(e["implied-volatility"]))
            }
        }
        beta = Self.decimal(o["beta"])
        betaUpdatedAt = Self.time(o["beta-updated-at"])
        corrSpy3Month = Self.decimal(o["corr-spy-3month"])
        dividendRatePerShare = Self.decimal(o["dividend-rate-per-share"])
        annualDividendPerShare = Self.decimal(o["annual-dividend-per-share"])
        dividendYield = Self.decimal(o["dividend-yield"])
        dividendExDate = o["dividend-ex-date"]?.stringValue
        dividendNextDate = o["dividend-next-date"]?.stringValue
        dividendPayDate = o["dividend-pay-date"]?.stringValue
        dividendUpdatedAt = Self.time(o["dividend-updated-at"])
        earnings = o["earnings"]?.objectValue.map { e in
            Earnings(visible: Self.bool(e["visible"]), expectedReportDate: e["expected-report-date"]?.stringValue,
                     estimated: Self.bool(e["estimated"]), lateFlag: Self.integer(e["late-flag"]),
                     quarterEndDate: e["quarter-end-date"]?.stringValue, actualEPS: Self.decimal(e["actual-eps"]),
                     consensusEstimate: Self.decimal(e["consensus-estimate"]), timeOfDay: e["time-of-day"]?.stringValue,
                     updatedAt: Self.time(e["updated-at"]))
        }
        listedMarket = o["listed-market"]?.stringValue
        lendability = o["lendability"]?.stringValue
        borrowRate = Self.decimal(o["borrow-rate"])
        marketCap = Self.integer(o["market-cap"])
        priceEarningsRatio = Self.decimal(o["price-earnings-ratio"])
        earningsPerShare = Self.decimal(o["earnings-per-share"])
        createdAt = Self.time(o["created-at"])
        updatedAt = Self.time(o["updated-at"])
    }

    /// A decimal sent as a string (`"0.2241"`) or a number.
    static func decimal(_ v: JSONValue?) -> Double? {
        switch v {
        case .string(let s)?: return Double(s.trimmingCharacters(in: .whitespaces))
        case .number(let n)?: return n
        default: return nil
        }
    }

    static func integer(_ v: JSONValue?) -> Int64? {
        switch v {
        case .number(let n)?: return Int64(checking: n)
        case .string(let s)?: return Int64(s) ?? Double(s).flatMap { Int64(checking: $0) }
        default: return nil
        }
    }

    static func time(_ v: JSONValue?) -> Timestamp? { v?.stringValue.flatMap(Timestamp.init(iso8601:)) }

    static func bool(_ v: JSONValue?) -> Bool? {
        switch v {
        case .bool(let b)?: return b
        case .string(let s)?: return s == "true" ? true : (s == "false" ? false : nil)
        default: return nil
        }
    }
}

/// The result of one metrics request: what tastytrade knew, and which symbols it did not.
public struct MarketMetricsResponse: Sendable {
    /// Metrics by symbol.
    public var metrics: [String: MarketMetrics]
    /// Requested symbols the response left out (reported, not fatal).
    public var unknownSymbols: [String]
}
