public import MarketData
public import SluiceCore

/// What the `dxlink` source emits: a FEED_DATA message exactly as received, with the layout it must be
/// decoded with, or a change of the feed's state.
public struct DXLinkFrame: Record, Sendable {
    /// The frame's content.
    public enum Content: Sendable {
        /// A FEED_DATA message's text and the layout of its channel at the time it arrived.
        case data(String, FeedLayout)
        /// The feed's state changed.
        case status(FeedStatus)
        /// The source changed what it subscribes to.
        case universe([UniverseChange])
    }

    /// When the frame arrived.
    public var receiveTime: Timestamp
    /// The connection epoch: 1 for the first connection, one more for each reconnect.
    public var epoch: Int64
    /// The content.
    public var content: Content
    /// With a `subscribed` status or a universe change: every subscription of the source and when to call
    /// one silent, so the decoder can watch each for data (see ``SymbolWatch``).
    public var watch: SymbolWatch.Plan?

    /// Creates a frame.
    public init(receiveTime: Timestamp, epoch: Int64, content: Content, watch: SymbolWatch.Plan? = nil) {
        self.receiveTime = receiveTime
        self.epoch = epoch
        self.content = content
        self.watch = watch
    }

    static let frameSchema = RecordSchema(recordType: "dxlink_frame", columns: [
        Column("receive_time", .time), Column("epoch", .int), Column("channel", .int),
        Column("layout", .int), Column("state", .string), Column("text", .string),
    ])

    public var schema: RecordSchema { Self.frameSchema }
    public static var declaredFields: [Column]? { frameSchema.columns }
    public static var recordSchemas: [RecordSchema]? { [frameSchema] }

    public func value(at index: Int) -> FieldValue {
        switch (index, content) {
        case (0, _): return .time(receiveTime)
        case (1, _): return .int(epoch)
        case (2, .data(_, let layout)): return .int(Int64(layout.channel))
        case (3, .data(_, let layout)): return .int(Int64(layout.id))
        case (4, .status(let s)): return .string(s.state.rawValue)
        case (5, .data(let text, _)): return .string(text)
        case (5, .status(let s)): return s.reason.map(FieldValue.string) ?? .null
        case (4, .universe): return .string("universe")
        case (5, .universe(let changes)): return .string(changes.map { "\($0.change.rawValue) \($0.symbol)" }.joined(separator: ", "))
        default: return .null
        }
    }
}
