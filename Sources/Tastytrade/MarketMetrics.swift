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
        public var visible: Bool?
        public var expectedReportDate: String?
        public var estimated: Bool?
        public var lateFlag: Int64?
        public var quarterEndDate: String?
        public var actualEPS: Double?
        public var consensusEstimate: Double?
        public var timeOfDay: String?
        public var updatedAt: Timestamp?
    }

    /// The running liquidity computation.
    public struct LiquidityRunningState: Sendable, Hashable {
        public var sum: Double?
        public var count: Int64?
        public var startedAt: Timestamp?
        public var updatedAt: Timestamp?
    }

    /// The implied volatility of one option expiration.
    public struct ExpirationIV: Sendable, Hashable {
        public var expirationDate: String?
        public var optionChainType: String?
        public var settlementType: String?
        public var impliedVolatility: Double?
    }

    public var symbol: String
    public var impliedVolatilityIndex: Double?
    public var impliedVolatilityIndex5DayChange: Double?
    public var impliedVolatilityIndexRank: Double?
    public var tosImpliedVolatilityIndexRank: Double?
    public var twImpliedVolatilityIndexRank: Double?
    public var tosImpliedVolatilityIndexRankUpdatedAt: Timestamp?
    public var impliedVolatilityIndexRankSource: String?
    public var impliedVolatilityPercentile: Double?
    public var impliedVolatilityUpdatedAt: Timestamp?
    public var impliedVolatility30Day: Double?
    public var historicalVolatility30Day: Double?
    public var historicalVolatility60Day: Double?
    public var historicalVolatility90Day: Double?
    public var ivHv30DayDifference: Double?
    public var liquidityValue: Double?
    public var liquidityRank: Double?
    public var liquidityRating: Int64?
    public var liquidityRunningState: LiquidityRunningState?
    public var optionExpirationImpliedVolatilities: [ExpirationIV]
    public var beta: Double?
    public var betaUpdatedAt: Timestamp?
    public var corrSpy3Month: Double?
    public var dividendRatePerShare: Double?
    public var annualDividendPerShare: Double?
    public var dividendYield: Double?
    public var dividendExDate: String?
    public var dividendNextDate: String?
    public var dividendPayDate: String?
    public var dividendUpdatedAt: Timestamp?
    public var earnings: Earnings?
    public var listedMarket: String?
    public var lendability: String?
    public var borrowRate: Double?
    public var marketCap: Int64?
    public var priceEarningsRatio: Double?
    public var earningsPerShare: Double?
    public var createdAt: Timestamp?
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
        case .number(let n)?: return n.isFinite ? Int64(n) : nil
        case .string(let s)?: return Int64(s) ?? Double(s).map { Int64($0) }
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
