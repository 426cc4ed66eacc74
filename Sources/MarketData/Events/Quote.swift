public import SluiceCore

/// A best bid and offer.
///
/// DXLink event type `Quote`; as a record its type is `quote` and its columns are the fields below in
/// snake_case (`eventSymbol` is `symbol`), after `event_type`.
public struct Quote: MarketEventPayload, Hashable {
    /// The event type's name on the wire.
    public static let eventType = "Quote"
    /// The fields, in the order the client requests them by default.
    public static let fields: [EventField] = [
        EventField("eventSymbol", "symbol", .string),
        EventField("eventTime", "event_time", .time),
        EventField("sequence", "sequence", .int),
        EventField("timeNanoPart", "time_nano_part", .int),
        EventField("bidTime", "bid_time", .time),
        EventField("bidExchangeCode", "bid_exchange_code", .string),
        EventField("askTime", "ask_time", .time),
        EventField("askExchangeCode", "ask_exchange_code", .string),
        EventField("bidPrice", "bid_price", .double),
        EventField("askPrice", "ask_price", .double),
        EventField("bidSize", "bid_size", .double),
        EventField("askSize", "ask_size", .double),
    ]
    /// The record schema shared by every `Quote`.
    public static let recordSchema = EventField.schema(recordType: "quote", fields: fields)

    /// The symbol as subscribed (for candles, with the candle attributes, e.g. `SPY{=5m}`).
    public var eventSymbol: String
    /// When the event was created upstream (often zero from tastytrade).
    public var eventTime: Timestamp
    /// The sequence number within the same millisecond.
    public var sequence: Int64
    /// Nanoseconds to add to `time` (or the bid/ask times).
    public var timeNanoPart: Int64
    /// When the bid last changed.
    public var bidTime: Timestamp
    /// The exchange of the best bid (one character).
    public var bidExchangeCode: String
    /// When the ask last changed.
    public var askTime: Timestamp
    /// The exchange of the best ask (one character).
    public var askExchangeCode: String
    /// The best bid price.
    public var bidPrice: Double
    /// The best ask price.
    public var askPrice: Double
    /// The size at the best bid.
    public var bidSize: Double
    /// The size at the best ask.
    public var askSize: Double

    /// Creates an event for `symbol` with every other field empty (NaN, zero or nil).
    public init(eventSymbol: String) {
        self.eventSymbol = eventSymbol
        self.eventTime = Timestamp(nanosecondsSinceEpoch: 0)
        self.sequence = 0
        self.timeNanoPart = 0
        self.bidTime = Timestamp(nanosecondsSinceEpoch: 0)
        self.bidExchangeCode = ""
        self.askTime = Timestamp(nanosecondsSinceEpoch: 0)
        self.askExchangeCode = ""
        self.bidPrice = .nan
        self.askPrice = .nan
        self.bidSize = .nan
        self.askSize = .nan
    }

    /// Creates an event from decoded slots, in the order of ``fields``.
    public init(slots: borrowing EventSlots) {
        eventSymbol = slots.strings[0] ?? ""
        eventTime = Timestamp(millisecondsSinceEpoch: slots.ints[1])
        sequence = slots.ints[2]
        timeNanoPart = slots.ints[3]
        bidTime = Timestamp(millisecondsSinceEpoch: slots.ints[4])
        bidExchangeCode = slots.strings[5] ?? ""
        askTime = Timestamp(millisecondsSinceEpoch: slots.ints[6])
        askExchangeCode = slots.strings[7] ?? ""
        bidPrice = slots.doubles[8]
        askPrice = slots.doubles[9]
        bidSize = slots.doubles[10]
        askSize = slots.doubles[11]
    }

    /// Writes the fields into `slots`, in the order of ``fields``.
    public func store(into slots: inout EventSlots) {
        slots.strings[0] = eventSymbol
        slots.ints[1] = eventTime.millisecondsSinceEpoch
        slots.ints[2] = sequence
        slots.ints[3] = timeNanoPart
        slots.ints[4] = bidTime.millisecondsSinceEpoch
        slots.strings[5] = bidExchangeCode
        slots.ints[6] = askTime.millisecondsSinceEpoch
        slots.strings[7] = askExchangeCode
        slots.doubles[8] = bidPrice
        slots.doubles[9] = askPrice
        slots.doubles[10] = bidSize
        slots.doubles[11] = askSize
    }

    public var schema: RecordSchema { Self.recordSchema }
    public static var declaredFields: [Column]? { recordSchema.columns }
    public static var eventKinds: [String]? { [eventType] }

    public func value(at index: Int) -> FieldValue {
        switch index {
        case 0: return .string(Self.eventType)
        case 1: return .string(self.eventSymbol)
        case 2: return .time(self.eventTime)
        case 3: return .int(self.sequence)
        case 4: return .int(self.timeNanoPart)
        case 5: return .time(self.bidTime)
        case 6: return .string(self.bidExchangeCode)
        case 7: return .time(self.askTime)
        case 8: return .string(self.askExchangeCode)
        case 9: return .double(self.bidPrice)
        case 10: return .double(self.askPrice)
        case 11: return .double(self.bidSize)
        case 12: return .double(self.askSize)
        default: return .null
        }
    }
}
