public import SluiceCore

/// The session's open, high, low, close and open interest.
///
/// DXLink event type `Summary`; as a record its type is `summary` and its columns are the fields below in
/// snake_case (`eventSymbol` is `symbol`), after `event_type`.
public struct Summary: MarketEventPayload, Hashable {
    /// The event type's name on the wire.
    public static let eventType = "Summary"
    /// The fields, in the order the client requests them by default.
    public static let fields: [EventField] = [
        EventField("eventSymbol", "symbol", .string),
        EventField("eventTime", "event_time", .time),
        EventField("dayId", "day_id", .int),
        EventField("dayOpenPrice", "day_open_price", .double),
        EventField("dayHighPrice", "day_high_price", .double),
        EventField("dayLowPrice", "day_low_price", .double),
        EventField("dayClosePrice", "day_close_price", .double),
        EventField("dayClosePriceType", "day_close_price_type", .string),
        EventField("prevDayId", "prev_day_id", .int),
        EventField("prevDayClosePrice", "prev_day_close_price", .double),
        EventField("prevDayClosePriceType", "prev_day_close_price_type", .string),
        EventField("prevDayVolume", "prev_day_volume", .double),
        EventField("openInterest", "open_interest", .int),
    ]
    /// The record schema shared by every `Summary`.
    public static let recordSchema = EventField.schema(recordType: "summary", fields: fields)

    /// The symbol as subscribed (for candles, with the candle attributes, e.g. `SPY{=5m}`).
    public var eventSymbol: String
    /// When the event was created upstream (often zero from tastytrade).
    public var eventTime: Timestamp
    /// The trading day, as days since 1970-01-01.
    public var dayId: Int64
    /// Today's open.
    public var dayOpenPrice: Double
    /// Today's high.
    public var dayHighPrice: Double
    /// Today's low.
    public var dayLowPrice: Double
    /// Today's close (NaN until the close).
    public var dayClosePrice: Double
    /// How final today's close is: `REGULAR`, `INDICATIVE`, `PRELIMINARY` or `FINAL`.
    public var dayClosePriceType: String
    /// The previous trading day, as days since 1970-01-01.
    public var prevDayId: Int64
    /// The previous day's close.
    public var prevDayClosePrice: Double
    /// How final the previous close is.
    public var prevDayClosePriceType: String
    /// The previous day's volume.
    public var prevDayVolume: Double
    /// The open interest.
    public var openInterest: Int64

    /// Creates an event for `symbol` with every other field empty (NaN, zero or nil).
    public init(eventSymbol: String) {
        self.eventSymbol = eventSymbol
        self.eventTime = Timestamp(nanosecondsSinceEpoch: 0)
        self.dayId = 0
        self.dayOpenPrice = .nan
        self.dayHighPrice = .nan
        self.dayLowPrice = .nan
        self.dayClosePrice = .nan
        self.dayClosePriceType = ""
        self.prevDayId = 0
        self.prevDayClosePrice = .nan
        self.prevDayClosePriceType = ""
        self.prevDayVolume = .nan
        self.openInterest = 0
    }

    /// Creates an event from decoded slots, in the order of ``fields``.
    public init(slots: borrowing EventSlots) {
        eventSymbol = slots.strings[0] ?? ""
        eventTime = Timestamp(millisecondsSinceEpoch: slots.ints[1])
        dayId = slots.ints[2]
        dayOpenPrice = slots.doubles[3]
        dayHighPrice = slots.doubles[4]
        dayLowPrice = slots.doubles[5]
        dayClosePrice = slots.doubles[6]
        dayClosePriceType = slots.strings[7] ?? ""
        prevDayId = slots.ints[8]
        prevDayClosePrice = slots.doubles[9]
        prevDayClosePriceType = slots.strings[10] ?? ""
        prevDayVolume = slots.doubles[11]
        openInterest = slots.ints[12]
    }

    /// Writes the fields into `slots`, in the order of ``fields``.
    public func store(into slots: inout EventSlots) {
        slots.strings[0] = eventSymbol
        slots.ints[1] = eventTime.millisecondsSinceEpoch
        slots.ints[2] = dayId
        slots.doubles[3] = dayOpenPrice
        slots.doubles[4] = dayHighPrice
        slots.doubles[5] = dayLowPrice
        slots.doubles[6] = dayClosePrice
        slots.strings[7] = dayClosePriceType
        slots.ints[8] = prevDayId
        slots.doubles[9] = prevDayClosePrice
        slots.strings[10] = prevDayClosePriceType
        slots.doubles[11] = prevDayVolume
        slots.ints[12] = openInterest
    }

    public var schema: RecordSchema { Self.recordSchema }
    public static var declaredFields: [Column]? { recordSchema.columns }
    public static var eventKinds: [String]? { [eventType] }

    public func value(at index: Int) -> FieldValue {
        switch index {
        case 0: return .string(Self.eventType)
        case 1: return .string(self.eventSymbol)
        case 2: return .time(self.eventTime)
        case 3: return .int(self.dayId)
        case 4: return .double(self.dayOpenPrice)
        case 5: return .double(self.dayHighPrice)
        case 6: return .double(self.dayLowPrice)
        case 7: return .double(self.dayClosePrice)
        case 8: return .string(self.dayClosePriceType)
        case 9: return .int(self.prevDayId)
        case 10: return .double(self.prevDayClosePrice)
        case 11: return .string(self.prevDayClosePriceType)
        case 12: return .double(self.prevDayVolume)
        case 13: return .int(self.openInterest)
        default: return .null
        }
    }
}
