import MarketData
public import SluiceCore

/// How a DXLink client spreads event types over FEED channels.
public enum ChannelLayout: String, Hashable, ConfigOption {
    /// One channel per event type, numbered as the tastytrade Python SDK does (Candle 1, Greeks 3, …).
    case perType = "per_type"
    /// Every live event type on one channel (as tastytrade's web platform does); candles on a second, with the history contract.
    case shared
}

/// The contract a FEED channel is opened with: how the server delivers events on it.
public enum FeedContract: String, Hashable, ConfigOption {
    /// The server chooses per event type (the default for live events).
    case auto = "AUTO"
    /// The latest value per symbol, conflated.
    case ticker = "TICKER"
    /// Every event, unconflated.
    case stream = "STREAM"
    /// Snapshots with history (candles with `fromTime`).
    case history = "HISTORY"
}

/// Everything a DXLink session needs besides the endpoint and token.
public struct DXLinkClientConfiguration: Sendable {
    /// What to subscribe to. Candle subscriptions carry a `fromTime`.
    public var subscriptions: [FeedSubscription]
    /// Event types to open channels for even with no subscription of that type yet, so that
    /// subscriptions of them can be added while the session runs.
    public var channelTypes: [String] = []
    /// How event types are spread over channels.
    public var channelLayout: ChannelLayout = .perType
    /// The FEED contract of channels carrying live events.
    public var contract: FeedContract = .auto
    /// The FEED contract of the channel carrying candles (history with `fromTime`). tastytrade users report
    /// that history arrives on `HISTORY` and not always on `AUTO`, so `HISTORY` is the default.
    public var historyContract: FeedContract = .history
    /// The aggregation period the client accepts, in seconds (`nil`: the server's default).
    public var aggregationPeriod: Double? = 0.1
    /// The data format to request.
    public var dataFormat: DataFormat = .compact
    /// Field lists per event type that replace the defaults.
    public var eventFields: [String: [String]] = [:]
    /// How often to send KEEPALIVE (capped at half the server's timeout).
    public var keepaliveInterval: Duration = .seconds(30)
    /// How long the server may stay silent before the connection counts as dead (`nil`: the server's own
    /// `keepaliveTimeout`, 60 s if it sends none).
    public var silenceTimeout: Duration?
    /// After deciding to close, how long to wait for the server's Close frame before abandoning the socket.
    public var closeWait: Duration = .seconds(1)
    /// How long to wait for each handshake step (SETUP, AUTH_STATE, CHANNEL_OPENED).
    public var actionTimeout: Duration = .seconds(10)
    /// The most bytes in one FEED_SUBSCRIPTION message.
    public var subscriptionBatchBytes: Int = 8192
    /// The keepalive timeout announced in SETUP, in seconds.
    public var announcedKeepaliveTimeout: Double = 60
    /// The `version` sent in SETUP (tastytrade's web platform and the Python SDK send this one).
    public var version: String = "0.1-DXF-JS/0.3.0"

    /// A configuration for `subscriptions`, everything else default.
    public init(subscriptions: [FeedSubscription]) {
        self.subscriptions = subscriptions
    }

    /// The fields requested for `type`: the override, or every field Sluice models.
    public func fields(for type: String) -> [String] {
        if let override = eventFields[type] { return override }
        return MarketEventType(rawValue: type)?.fields.map(\.wireName) ?? ["eventSymbol", "eventTime"]
    }

    /// The contract to request for `channel`: ``historyContract`` for the candle channel, ``contract`` for
    /// the others.
    public func contract(channel: Int) -> FeedContract {
        channelPlan.first { $0.channel == channel }?.types == ["Candle"] ? historyContract : contract
    }

    /// The channels to open and the event types each carries, in ascending channel order. Candles always
    /// get a channel of their own (its contract is ``historyContract``).
    public var channelPlan: [(channel: Int, types: [String])] {
        var types: [String] = []
        for t in subscriptions.map(\.type) + channelTypes where !types.contains(t) { types.append(t) }
        switch channelLayout {
        case .shared:
            let live = types.filter { $0 != "Candle" }
            var plan: [(channel: Int, types: [String])] = live.isEmpty ? [] : [(1, live)]
            if types.contains("Candle") { plan.append((3, ["Candle"])) }
            return plan
        case .perType:
            let fixed = ["Candle", "Greeks", "Profile", "Quote", "Summary", "TheoPrice", "TimeAndSale", "Trade", "Underlying", "TradeETH"]
            var next = 1 + 2 * fixed.count
            var plan: [(channel: Int, types: [String])] = []
            for t in types {
                if let i = fixed.firstIndex(of: t) {
                    plan.append((1 + 2 * i, [t]))
                } else {
                    plan.append((next, [t]))
                    next += 2
                }
            }
            return plan.sorted { $0.channel < $1.channel }
        }
    }
}
