public import SluiceCore

/// A synthetic trade-and-quote event, as `generate` emits it: a seeded random walk per symbol.
public struct Tick: Record, Hashable {
    /// The symbol.
    public var symbol: String
    /// The event's position in the generated stream, from 0.
    public var sequence: Int64
    /// The event time.
    public var time: Timestamp
    /// The last trade price.
    public var price: Double
    /// The last trade size.
    public var size: Int64
    /// The bid price.
    public var bid: Double
    /// The ask price.
    public var ask: Double

    /// Creates a tick.
    public init(symbol: String, sequence: Int64, time: Timestamp, price: Double, size: Int64, bid: Double, ask: Double) {
        self.symbol = symbol
        self.sequence = sequence
        self.time = time
        self.price = price
        self.size = size
        self.bid = bid
        self.ask = ask
    }

    static let tickSchema = RecordSchema(recordType: "tick", columns: [
        Column("symbol", .string), Column("sequence", .int), Column("time", .time), Column("price", .double),
        Column("size", .int), Column("bid", .double), Column("ask", .double),
    ])

    public var schema: RecordSchema { Self.tickSchema }
    public static var declaredFields: [Column]? { tickSchema.columns }
    public static var recordSchemas: [RecordSchema]? { [tickSchema] }

    public func value(at index: Int) -> FieldValue {
        switch index {
        case 0: return .string(symbol)
        case 1: return .int(sequence)
        case 2: return .time(time)
        case 3: return .double(price)
        case 4: return .int(size)
        case 5: return .double(bid)
        case 6: return .double(ask)
        default: return .null
        }
    }
}
