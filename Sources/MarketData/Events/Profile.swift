public import SluiceCore

/// An instrument's description, status and reference figures.
///
/// DXLink event type `Profile`; as a record its type is `profile` and its columns are the fields below in
/// snake_case (`eventSymbol` is `symbol`), after `event_type`.
public struct Profile: MarketEventPayload, Hashable {
    /// The event type's name on the wire.
    public static let eventType = "Profile"
    /// The fields, in the order the client requests them by default.
    public static let fields: [EventField] = [
        EventField("eventSymbol", "symbol", .string),
        EventField("eventTime", "event_time", .time),
        EventField("description", "description", .string),
        EventField("shortSaleRestriction", "short_sale_restriction", .string),
        EventField("tradingStatus", "trading_status", .string),
        EventField("statusReason", "status_reason", .optionalString),
        EventField("haltStartTime", "halt_start_time", .time),
        EventField("haltEndTime", "halt_end_time", .time),
        EventField("highLimitPrice", "high_limit_price", .double),
        EventField("lowLimitPrice", "low_limit_price", .double),
        EventField("high52WeekPrice", "high_52_week_price", .double),
        EventField("low52WeekPrice", "low_52_week_price", .double),
        EventField("beta", "beta", .double),
        EventField("earningsPerShare", "earnings_per_share", .double),
        EventField("dividendFrequency", "dividend_frequency", .double),
        EventField("exDividendAmount", "ex_dividend_amount", .double),
        EventField("exDividendDayId", "ex_dividend_day_id", .int),
        EventField("shares", "shares", .double),
        EventField("freeFloat", "free_float", .double),
    ]
    /// The record schema shared by every `Profile`.
    public static let recordSchema = EventField.schema(recordType: "profile", fields: fields)

    /// The symbol as subscribed (for candles, with the candle attributes, e.g. `SPY{=5m}`).
    public var eventSymbol: String
    /// When the event was created upstream (often zero from tastytrade).
    public var eventTime: Timestamp
    /// The instrument's description.
    public var description: String
    /// Short-sale restriction: `ACTIVE`, `INACTIVE` or `UNDEFINED`.
    public var shortSaleRestriction: String
    /// Trading status: `ACTIVE`, `HALTED` or `UNDEFINED`.
    public var tradingStatus: String
    /// Why trading is halted, when it is.
    public var statusReason: String?
    /// When the halt started.
    public var haltStartTime: Timestamp
    /// When the halt ended.
    public var haltEndTime: Timestamp
    /// The upper price limit.
    public var highLimitPrice: Double
    /// The lower price limit.
    public var lowLimitPrice: Double
    /// The 52-week high.
    public var high52WeekPrice: Double
    /// The 52-week low.
    public var low52WeekPrice: Double
    /// Beta.
    public var beta: Double
    /// Earnings per share.
    public var earningsPerShare: Double
    /// Dividends per year.
    public var dividendFrequency: Double
    /// The last dividend amount.
    public var exDividendAmount: Double
    /// The last ex-dividend day, as days since 1970-01-01.
    public var exDividendDayId: Int64
    /// Shares outstanding.
    public var shares: Double
    /// Free float.
    public var freeFloat: Double

    /// Creates an event for `symbol` with every other field empty (NaN, zero or nil).
    public init(eventSymbol: String) {
        self.eventSymbol = eventSymbol
        self.eventTime = Timestamp(nanosecondsSinceEpoch: 0)
        self.description = ""
        self.shortSaleRestriction = ""
        self.tradingStatus = ""
        self.statusReason = nil
        self.haltStartTime = Timestamp(nanosecondsSinceEpoch: 0)
        self.haltEndTime = Timestamp(nanosecondsSinceEpoch: 0)
        self.highLimitPrice = .nan
        self.lowLimitPrice = .nan
        self.high52WeekPrice = .nan
        self.low52WeekPrice = .nan
        self.beta = .nan
        self.earningsPerShare = .nan
        self.dividendFrequency = .nan
        self.exDividendAmount = .nan
        self.exDividendDayId = 0
        self.shares = .nan
        self.freeFloat = .nan
    }

    /// Creates an event from decoded slots, in the order of ``fields``.
    public init(slots: borrowing EventSlots) {
        eventSymbol = slots.strings[0] ?? ""
        eventTime = Timestamp(millisecondsSinceEpoch: slots.ints[1])
        description = slots.strings[2] ?? ""
        shortSaleRestriction = slots.strings[3] ?? ""
        tradingStatus = slots.strings[4] ?? ""
        statusReason = slots.strings[5]
        haltStartTime = Timestamp(millisecondsSinceEpoch: slots.ints[6])
        haltEndTime = Timestamp(millisecondsSinceEpoch: slots.ints[7])
        highLimitPrice = slots.doubles[8]
        lowLimitPrice = slots.doubles[9]
        high52WeekPrice = slots.doubles[10]
        low52WeekPrice = slots.doubles[11]
        beta = slots.doubles[12]
        earningsPerShare = slots.doubles[13]
        dividendFrequency = slots.doubles[14]
        exDividendAmount = slots.doubles[15]
        exDividendDayId = slots.ints[16]
        shares = slots.doubles[17]
        freeFloat = slots.doubles[18]
    }

    /// Writes the fields into `slots`, in the order of ``fields``.
    public func store(into slots: inout EventSlots) {
        slots.strings[0] = eventSymbol
        slots.ints[1] = eventTime.millisecondsSinceEpoch
        slots.strings[2] = description
        slots.strings[3] = shortSaleRestriction
        slots.strings[4] = tradingStatus
        slots.strings[5] = statusReason
        slots.ints[6] = haltStartTime.millisecondsSinceEpoch
        slots.ints[7] = haltEndTime.millisecondsSinceEpoch
        slots.doubles[8] = highLimitPrice
        slots.doubles[9] = lowLimitPrice
        slots.doubles[10] = high52WeekPrice
        slots.doubles[11] = low52WeekPrice
        slots.doubles[12] = beta
        slots.doubles[13] = earningsPerShare
        slots.doubles[14] = dividendFrequency
        slots.doubles[15] = exDividendAmount
        slots.ints[16] = exDividendDayId
        slots.doubles[17] = shares
        slots.doubles[18] = freeFloat
    }

    public var schema: RecordSchema { Self.recordSchema }
    public static var declaredFields: [Column]? { recordSchema.columns }
    public static var eventKinds: [String]? { [eventType] }

    public func value(at index: Int) -> FieldValue {
        switch index {
        case 0: return .string(Self.eventType)
        case 1: return .string(self.eventSymbol)
        case 2: return .time(self.eventTime)
        case 3: return .string(self.description)
        case 4: return .string(self.shortSaleRestriction)
        case 5: return .string(self.tradingStatus)
        case 6: return self.statusReason.map(FieldValue.string) ?? .null
        case 7: return .time(self.haltStartTime)
        case 8: return .time(self.haltEndTime)
        case 9: return .double(self.highLimitPrice)
        case 10: return .double(self.lowLimitPrice)
        case 11: return .double(self.high52WeekPrice)
        case 12: return .double(self.low52WeekPrice)
        case 13: return .double(self.beta)
        case 14: return .double(self.earningsPerShare)
        case 15: return .double(self.dividendFrequency)
        case 16: return .double(self.exDividendAmount)
        case 17: return .int(self.exDividendDayId)
        case 18: return .double(self.shares)
        case 19: return .double(self.freeFloat)
        default: return .null
        }
    }
}
