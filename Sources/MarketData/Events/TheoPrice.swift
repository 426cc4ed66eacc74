public import SluiceCore

/// A theoretical option price from a pricing model.
///
/// DXLink event type `TheoPrice`; as a record its type is `theo_price` and its columns are the fields below in
/// snake_case (`eventSymbol` is `symbol`), after `event_type`.
public struct TheoPrice: MarketEventPayload, Hashable {
    /// The event type's name on the wire.
    public static let eventType = "TheoPrice"
    /// The fields, in the order the client requests them by default.
    public static let fields: [EventField] = [
        EventField("eventSymbol", "symbol", .string),
        EventField("eventTime", "event_time", .time),
        EventField("eventFlags", "event_flags", .int),
        EventField("index", "index", .int),
        EventField("time", "time", .time),
        EventField("sequence", "sequence", .int),
        EventField("price", "price", .double),
        EventField("underlyingPrice", "underlying_price", .double),
        EventField("delta", "delta", .double),
        EventField("gamma", "gamma", .double),
        EventField("dividend", "dividend", .double),
        EventField("interest", "interest", .double),
    ]
    /// The record schema shared by every `TheoPrice`.
    public static let recordSchema = EventField.schema(recordType: "theo_price", fields: fields)

    /// The symbol as subscribed (for candles, with the candle attributes, e.g. `SPY{=5m}`).
    public var eventSymbol: String
    /// When the event was created upstream (often zero from tastytrade).
    public var eventTime: Timestamp
    /// Snapshot and transaction flags of indexed events; see ``EventFlags``.
    public var eventFlags: Int64
    /// The event's index within its symbol (for time series: time and sequence packed into 64 bits).
    public var index: Int64
    /// The time of the event.
    public var time: Timestamp
    /// The sequence number within the same millisecond.
    public var sequence: Int64
    /// The price.
    public var price: Double
    /// The underlying's price used.
    public var underlyingPrice: Double
    /// Delta.
    public var delta: Double
    /// Gamma.
    public var gamma: Double
    /// The dividend used.
    public var dividend: Double
    /// The interest rate used.
    public var interest: Double

    /// Creates an event for `symbol` with every other field empty (NaN, zero or nil).
    public init(eventSymbol: String) {
        self.eventSymbol = eventSymbol
        self.eventTime = Timestamp(nanosecondsSinceEpoch: 0)
        self.eventFlags = 0
        self.index = 0
        self.time = Timestamp(nanosecondsSinceEpoch: 0)
        self.sequence = 0
        self.price = .nan
        self.underlyingPrice = .nan
        self.delta = .nan
        self.gamma = .nan
        self.dividend = .nan
        self.interest = .nan
    }

    /// Creates an event from decoded slots, in the order of ``fields``.
    public init(slots: borrowing EventSlots) {
        eventSymbol = slots.strings[0] ?? ""
        eventTime = Timestamp(millisecondsSinceEpoch: slots.ints[1])
        eventFlags = slots.ints[2]
        index = slots.ints[3]
        time = Timestamp(millisecondsSinceEpoch: slots.ints[4])
        sequence = slots.ints[5]
        price = slots.doubles[6]
        underlyingPrice = slots.doubles[7]
        delta = slots.doubles[8]
        gamma = slots.doubles[9]
        dividend = slots.doubles[10]
        interest = slots.doubles[11]
    }

    /// Writes the fields into `slots`, in the order of ``fields``.
    public func store(into slots: inout EventSlots) {
        slots.strings[0] = eventSymbol
        slots.ints[1] = eventTime.millisecondsSinceEpoch
        slots.ints[2] = eventFlags
        slots.ints[3] = index
        slots.ints[4] = time.millisecondsSinceEpoch
        slots.ints[5] = sequence
        slots.doubles[6] = price
        slots.doubles[7] = underlyingPrice
        slots.doubles[8] = delta
        slots.doubles[9] = gamma
        slots.doubles[10] = dividend
        slots.doubles[11] = interest
    }

    public var schema: RecordSchema { Self.recordSchema }
    public static var declaredFields: [Column]? { recordSchema.columns }
    public static var eventKinds: [String]? { [eventType] }

    public func value(at index: Int) -> FieldValue {
        switch index {
        case 0: return .string(Self.eventType)
        case 1: return .string(self.eventSymbol)
        case 2: return .time(self.eventTime)
        case 3: return .int(self.eventFlags)
        case 4: return .int(self.index)
        case 5: return .time(self.time)
        case 6: return .int(self.sequence)
        case 7: return .double(self.price)
        case 8: return .double(self.underlyingPrice)
        case 9: return .double(self.delta)
        case 10: return .double(self.gamma)
        case 11: return .double(self.dividend)
        case 12: return .double(self.interest)
        default: return .null
        }
    }
}
