public import SluiceCore

/// Option-derived statistics for an underlying.
///
/// DXLink event type `Underlying`; as a record its type is `underlying` and its columns are the fields below in
/// snake_case (`eventSymbol` is `symbol`), after `event_type`.
public struct Underlying: MarketEventPayload, Hashable {
    /// The event type's name on the wire.
    public static let eventType = "Underlying"
    /// The fields, in the order the client requests them by default.
    public static let fields: [EventField] = [
        EventField("eventSymbol", "symbol", .string),
        EventField("eventTime", "event_time", .time),
        EventField("eventFlags", "event_flags", .int),
        EventField("index", "index", .int),
        EventField("time", "time", .time),
        EventField("sequence", "sequence", .int),
        EventField("volatility", "volatility", .double),
        EventField("frontVolatility", "front_volatility", .double),
        EventField("backVolatility", "back_volatility", .double),
        EventField("callVolume", "call_volume", .double),
        EventField("putVolume", "put_volume", .double),
        EventField("optionVolume", "option_volume", .double),
        EventField("putCallRatio", "put_call_ratio", .double),
    ]
    /// The record schema shared by every `Underlying`.
    public static let recordSchema = EventField.schema(recordType: "underlying", fields: fields)

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
    /// The implied volatility.
    public var volatility: Double
    /// Front-month implied volatility.
    public var frontVolatility: Double
    /// Back-month implied volatility.
    public var backVolatility: Double
    /// Call option volume.
    public var callVolume: Double
    /// Put option volume.
    public var putVolume: Double
    /// Total option volume.
    public var optionVolume: Double
    /// The put/call volume ratio.
    public var putCallRatio: Double

    /// Creates an event for `symbol` with every other field empty (NaN, zero or nil).
    public init(eventSymbol: String) {
        self.eventSymbol = eventSymbol
        self.eventTime = Timestamp(nanosecondsSinceEpoch: 0)
        self.eventFlags = 0
        self.index = 0
        self.time = Timestamp(nanosecondsSinceEpoch: 0)
        self.sequence = 0
        self.volatility = .nan
        self.frontVolatility = .nan
        self.backVolatility = .nan
        self.callVolume = .nan
        self.putVolume = .nan
        self.optionVolume = .nan
        self.putCallRatio = .nan
    }

    /// Creates an event from decoded slots, in the order of ``fields``.
    public init(slots: borrowing EventSlots) {
        eventSymbol = slots.strings[0] ?? ""
        eventTime = Timestamp(millisecondsSinceEpoch: slots.ints[1])
        eventFlags = slots.ints[2]
        index = slots.ints[3]
        time = Timestamp(millisecondsSinceEpoch: slots.ints[4])
        sequence = slots.ints[5]
        volatility = slots.doubles[6]
        frontVolatility = slots.doubles[7]
        backVolatility = slots.doubles[8]
        callVolume = slots.doubles[9]
        putVolume = slots.doubles[10]
        optionVolume = slots.doubles[11]
        putCallRatio = slots.doubles[12]
    }

    /// Writes the fields into `slots`, in the order of ``fields``.
    public func store(into slots: inout EventSlots) {
        slots.strings[0] = eventSymbol
        slots.ints[1] = eventTime.millisecondsSinceEpoch
        slots.ints[2] = eventFlags
        slots.ints[3] = index
        slots.ints[4] = time.millisecondsSinceEpoch
        slots.ints[5] = sequence
        slots.doubles[6] = volatility
        slots.doubles[7] = frontVolatility
        slots.doubles[8] = backVolatility
        slots.doubles[9] = callVolume
        slots.doubles[10] = putVolume
        slots.doubles[11] = optionVolume
        slots.doubles[12] = putCallRatio
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
        case 7: return .double(self.volatility)
        case 8: return .double(self.frontVolatility)
        case 9: return .double(self.backVolatility)
        case 10: return .double(self.callVolume)
        case 11: return .double(self.putVolume)
        case 12: return .double(self.optionVolume)
        case 13: return .double(self.putCallRatio)
        default: return .null
        }
    }
}
