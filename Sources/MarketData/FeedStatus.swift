public import SluiceCore

/// The state of a market-data feed, sent downstream in-band whenever it changes, so that later stages can
/// tell a quiet market from a dead feed.
public struct FeedStatus: StatusRecord, Hashable {
    /// The feed's connection states.
    public enum State: String, Sendable, Hashable, CaseIterable {
        /// Opening the connection.
        case connecting
        /// The WebSocket is open and the protocol handshake has started.
        case connected
        /// The server accepted the token.
        case authorized
        /// Every subscription has been sent; data flows.
        case subscribed
        /// The connection was lost (or the server fell silent).
        case disconnected
        /// Waiting to reconnect.
        case reconnecting
        /// Closed for good (shutdown, or a token the server rejects).
        case closed
    }

    /// The event kind of feed status records.
    public static let eventType = "Feed"
    /// The new state.
    public var state: State
    /// When the state changed.
    public var time: Timestamp
    /// The connection epoch: 1 for the first connection, incremented on each reconnect.
    public var epoch: Int64
    /// Why, for `disconnected`, `reconnecting` and `closed`.
    public var reason: String?

    /// Creates a feed status.
    public init(state: State, time: Timestamp, epoch: Int64, reason: String? = nil) {
        self.state = state
        self.time = time
        self.epoch = epoch
        self.reason = reason
    }

    /// The record schema of feed status records.
    public static let schema = RecordSchema(recordType: "feed", columns: [
        Column("event_type", .string), Column("state", .string), Column("time", .time),
        Column("epoch", .int), Column("reason", .string),
    ])

    public func value(at index: Int) -> FieldValue {
        switch index {
        case 0: return .string(Self.eventType)
        case 1: return .string(state.rawValue)
        case 2: return .time(time)
        case 3: return .int(epoch)
        case 4: return reason.map(FieldValue.string) ?? .null
        default: return .null
        }
    }
}
