public import MarketData
public import SluiceCore

/// The DXLink client protocol as a pure, synchronous state machine: it is told what happened (connected,
/// a message arrived, time passed, disconnected) and answers with what to do (send a message, report a
/// state, close the connection). No sockets, no clocks, no tasks — the driver owns those.
///
/// ```
/// idle ─connected→ settingUp ─AUTH_STATE UNAUTHORIZED→ authorizing ─AUTHORIZED→ openingChannels
///   ↑                                                                               │ all CHANNEL_OPENED
///   │                        closing ←─ close(ending): silence, timeout, ERROR ─── subscribed
///   └──────────────── disconnected (any state; reconnect is the driver's job) ──────┘
/// ```
public struct DXLinkClientStateMachine: Sendable {
    /// Where the session is.
    public enum State: Sendable, Hashable {
        /// Not connected.
        case idle
        /// SETUP sent; waiting for the server's first AUTH_STATE.
        case settingUp
        /// AUTH sent; waiting for AUTHORIZED.
        case authorizing
        /// Authorized; channels requested, waiting for them to open.
        case openingChannels
        /// Every channel open and every subscription sent.
        case subscribed
        /// The machine decided to close the connection (see ``ending``): nothing more is sent or read.
        case closing
    }

    /// Why a connection ended, and so what the driver does next.
    public enum Ending: Sendable, Hashable {
        /// Lost or closed for a reason a reconnect can fix: reconnect with backoff.
        case lost(reason: String)
        /// The server withdrew the authorization of a running session (ERROR or AUTH_STATE UNAUTHORIZED
        /// after AUTHORIZED, or before AUTH was sent): reconnect with backoff, with a fresh token where one
        /// can be had.
        case unauthorized(reason: String)
        /// The server refused the token in answer to AUTH: a fresh token once; refused again, the end.
        case authRefused(reason: String)

        /// What happened, for the feed state and the logs.
        public var reason: String {
            switch self {
            case .lost(let r), .unauthorized(let r), .authRefused(let r): r
            }
        }
    }

    /// What the driver must do.
    public enum Action: Sendable, Hashable {
        /// Send this message.
        case send(ClientMessage)
        /// Report a feed state change downstream.
        case status(FeedStatus.State, reason: String?)
        /// A channel's layout changed; data frames on it decode with this one from now on.
        case layoutChanged(FeedLayout)
        /// Close the connection at once, for this reason; nothing may be sent after this action.
        case close(Ending)
        /// The server reported an error (every ERROR is counted and logged; some also close).
        case serverError(channel: Int, code: String, message: String)
        /// A message of an unknown type arrived (ignored and counted).
        case unknownMessage(type: String)
    }

    struct Channel {
        var types: [String]
        var open = false
        var layout: FeedLayout?
        var requestedAt: Timestamp
    }

    /// The configuration.
    public let configuration: DXLinkClientConfiguration
    /// The current state.
    public private(set) var state: State = .idle
    /// Why the current (or last) connection ends, once decided.
    public private(set) var ending: Ending?
    /// Whether the current (or last) connection reached ``State/subscribed``.
    public private(set) var reachedSubscribed = false
    /// Where each candle series resumes: only candles the pipeline has been given move it.
    public private(set) var candleResumePoints = CandleResumePoints()
    /// What the session subscribes to: the configuration's subscriptions, with every change since.
    public private(set) var subscriptions: [FeedSubscription]
    private var channels: [Int: Channel] = [:]
    private var nextLayoutID = 1
    private var lastInbound = Timestamp(nanosecondsSinceEpoch: 0)
    private var lastKeepaliveSent = Timestamp(nanosecondsSinceEpoch: 0)
    private var stepDeadline: Timestamp?
    private var stepName = ""
    private var serverKeepaliveTimeout: Duration?
    private var token = ""
    private var delivering = false

    /// A state machine for `configuration`.
    public init(configuration: DXLinkClientConfiguration) {
        self.configuration = configuration
        self.subscriptions = configuration.subscriptions
    }

    /// The layout data on `channel` decodes with.
    public func layout(channel: Int) -> FeedLayout? { channels[channel]?.layout }

    /// The subscriptions that would be sent now: candle `fromTime`s advanced to the newest candle delivered.
    public var currentSubscriptions: [FeedSubscription] {
        subscriptions.map { s in
            guard s.fromTime != nil, let last = candleResumePoints.resumeTime(symbol: s.symbol) else { return s }
            var resumed = s
            resumed.fromTime = max(s.fromTime ?? 0, last)
            return resumed
        }
    }

    /// Changes what the session subscribes to, now and on every later connection: `remove` first, then
    /// `add` (a subscription already present, or of a type no channel carries, is not added again; one
    /// not present is not removed). On open channels the difference is sent at once, as FEED_SUBSCRIPTION
    /// messages without `reset` — the removals, then the additions, each in batches under the byte limit —
    /// with no reconnect. Returns the changes that took effect and the messages to send.
    public mutating func changeSubscriptions(add: [FeedSubscription], remove: [FeedSubscription])
        -> (added: [FeedSubscription], removed: [FeedSubscription], actions: [Action]) {
        func key(_ s: FeedSubscription) -> String { s.type + "\u{0}" + s.symbol }
        let removing = Set(remove.map(key))
        var removed: [FeedSubscription] = []
        subscriptions.removeAll { s in
            guard removing.contains(key(s)) else { return false }
            removed.append(s)
            return true
        }
        let carried = Set(configuration.channelPlan.flatMap(\.types))
        var present = Set(subscriptions.map(key))
        var added: [FeedSubscription] = []
        for s in add where carried.contains(s.type) && present.insert(key(s)).inserted {
            added.append(s)
        }
        subscriptions += added
        guard isOpen else { return (added, removed, []) }
        var actions: [Action] = []
        for n in channels.keys.sorted() {
            guard let ch = channels[n], ch.open else { continue }  // a channel still opening subscribes everything when it opens
            let limit = configuration.subscriptionBatchBytes
            for batch in SubscriptionBatcher.batches(removed.filter { ch.types.contains($0.type) }, channel: n, limit: limit) {
                actions.append(.send(.feedSubscription(channel: n, reset: false, add: [], remove: batch)))
            }
            for batch in SubscriptionBatcher.batches(added.filter { ch.types.contains($0.type) }, channel: n, limit: limit) {
                actions.append(.send(.feedSubscription(channel: n, reset: false, add: batch, remove: [])))
            }
        }
        return (added, removed, actions)
    }

    /// The interval between KEEPALIVEs: the configured one, at most half the server's timeout.
    public var keepaliveInterval: Duration {
        guard let server = serverKeepaliveTimeout else { return configuration.keepaliveInterval }
        return min(configuration.keepaliveInterval, server / 2)
    }

    /// How long the server may be silent.
    public var silenceTimeout: Duration {
        configuration.silenceTimeout ?? serverKeepaliveTimeout ?? .seconds(60)
    }

    /// A new connection is being opened: what the last one decided is forgotten.
    public mutating func connecting() {
        ending = nil
        reachedSubscribed = false
    }

    /// The WebSocket is open: start the handshake. Silence counts, and the keepalive timer runs, from now.
    public mutating func connected(token: String, now: Timestamp) -> [Action] {
        self.token = token
        state = .settingUp
        ending = nil
        reachedSubscribed = false
        delivering = false
        channels = [:]
        serverKeepaliveTimeout = nil
        lastInbound = now
        lastKeepaliveSent = now
        candleResumePoints.connectionStarted()
        expect("SETUP and AUTH_STATE", now: now)
        let c = configuration
        return [.status(.connected, reason: nil),
                .send(.setup(version: c.version, keepaliveTimeout: c.announcedKeepaliveTimeout, acceptKeepaliveTimeout: c.announcedKeepaliveTimeout))]
    }

    /// Candles of a frame were handed downstream (the hand-off completed): they may move the resume points.
    public mutating func candlesDelivered(_ candles: [(symbol: String, time: Int64, flags: EventFlags)]) {
        for c in candles { candleResumePoints.delivered(symbol: c.symbol, time: c.time, flags: c.flags) }
    }

    /// The driver starts handing a frame downstream; while it is blocked there it cannot read, so silence
    /// is not counted until ``deliveryFinished(now:)``.
    public mutating func deliveryStarted() { delivering = true }

    /// The hand-off downstream completed: silence counts from now.
    public mutating func deliveryFinished(now: Timestamp) {
        delivering = false
        if now > lastInbound { lastInbound = now }
    }

    /// The connection is gone: why (the machine's own decision, or `transport` if it had made none).
    public mutating func disconnected(transport: String) -> Ending {
        let result = ending ?? .lost(reason: transport)
        ending = result
        state = .idle
        channels = [:]
        stepDeadline = nil
        delivering = false
        return result
    }

    private mutating func expect(_ step: String, now: Timestamp) {
        stepName = step
        stepDeadline = now.advanced(by: configuration.actionTimeout)
    }

    private mutating func close(_ e: Ending) -> Action {
        state = .closing
        ending = e
        stepDeadline = nil
        return .close(e)
    }

    private var isOpen: Bool { state != .idle && state != .closing }

    /// Time passed: send a KEEPALIVE when one is due, and detect a silent server or a stalled handshake.
    public mutating func tick(now: Timestamp) -> [Action] {
        guard isOpen else { return [] }
        if delivering, now > lastInbound { lastInbound = now }
        if lastInbound.duration(to: now) > silenceTimeout {
            let silence = DurationText.format(silenceTimeout)
            return [.send(.error(channel: 0, error: "TIMEOUT", message: "nothing received for \(silence)")),
                    close(.lost(reason: "server silent for more than \(silence)"))]
        }
        if let deadline = stepDeadline, now >= deadline {
            return [close(.lost(reason: "timed out after \(DurationText.format(configuration.actionTimeout)) waiting for \(stepName)"))]
        }
        if lastKeepaliveSent.duration(to: now) >= keepaliveInterval {
            lastKeepaliveSent = now
            return [.send(.keepalive)]
        }
        return []
    }

    /// The earliest time ``tick(now:)`` may have something to do (`nil`: nothing, the connection is over).
    public var nextTick: Timestamp? {
        guard isOpen else { return nil }
        var t = min(lastInbound.advanced(by: silenceTimeout), lastKeepaliveSent.advanced(by: keepaliveInterval))
        if let d = stepDeadline { t = min(t, d) }
        return t
    }

    /// A message arrived.
    public mutating func received(_ message: ServerMessage, now: Timestamp) -> [Action] {
        guard isOpen else { return [] }
        lastInbound = now
        switch message {
        case .setup(let timeout, _):
            if let timeout, let d = Duration.checkedSeconds(timeout), d > .zero { serverKeepaliveTimeout = d }
            return []
        case .authState(let authorized):
            return authState(authorized: authorized, now: now)
        case .keepalive, .feedData:
            return []
        case .channelOpened(let n):
            return channelOpened(n, now: now)
        case .channelClosed(let n):
            guard var ch = channels[n] else { return [] }
            // Closed by the server while still wanted: ask again.
            ch.open = false
            ch.requestedAt = now
            channels[n] = ch
            if state == .subscribed { state = .openingChannels }
            expect("CHANNEL_OPENED on channel \(n)", now: now)
            return [.send(.channelRequest(channel: n, contract: configuration.contract(channel: n).rawValue))]
        case let .feedConfig(n, _, format, fields):
            return feedConfig(n, format: format, fields: fields)
        case let .error(channel, code, text):
            let report = Action.serverError(channel: channel, code: code, message: text)
            if code == "UNAUTHORIZED" {
                let reason = "server error UNAUTHORIZED: \(text)"
                return [report, close(state == .authorizing ? .authRefused(reason: reason) : .unauthorized(reason: reason))]
            }
            if channel == 0 && (code == "TIMEOUT" || code == "UNSUPPORTED_PROTOCOL") {
                return [report, close(.lost(reason: "server error \(code): \(text)"))]
            }
            return [report]
        case .unknown(let type):
            return [.unknownMessage(type: type)]
        }
    }

    private mutating func authState(authorized: Bool, now: Timestamp) -> [Action] {
        switch (state, authorized) {
        case (.settingUp, false):
            state = .authorizing
            expect("AUTH_STATE AUTHORIZED", now: now)
            return [.send(.auth(token: token))]
        case (.settingUp, true), (.authorizing, true):
            state = .openingChannels
            var actions: [Action] = [.status(.authorized, reason: nil), .send(.keepalive)]
            lastKeepaliveSent = now
            for (n, types) in configuration.channelPlan {
                channels[n] = Channel(types: types, requestedAt: now)
                actions.append(.send(.channelRequest(channel: n, contract: configuration.contract(channel: n).rawValue)))
            }
            if channels.isEmpty { subscribedNow(&actions) } else { expect("CHANNEL_OPENED", now: now) }
            return actions
        case (.authorizing, false):
            return [close(.authRefused(reason: "the server answered AUTH with AUTH_STATE UNAUTHORIZED"))]
        case (.openingChannels, false), (.subscribed, false):
            return [close(.unauthorized(reason: "the server withdrew the authorization (AUTH_STATE UNAUTHORIZED)"))]
        default:
            return []
        }
    }

    private mutating func subscribedNow(_ actions: inout [Action]) {
        state = .subscribed
        reachedSubscribed = true
        stepDeadline = nil
        actions.append(.status(.subscribed, reason: nil))
    }

    private mutating func channelOpened(_ n: Int, now: Timestamp) -> [Action] {
        guard var ch = channels[n], !ch.open else { return [] }
        ch.open = true
        let c = configuration
        var fields: [String: [String]] = [:]
        for t in ch.types { fields[t] = c.fields(for: t) }
        let layout = FeedLayout(id: nextLayoutID, channel: n, dataFormat: c.dataFormat, eventFields: fields)
        nextLayoutID += 1
        ch.layout = layout
        channels[n] = ch
        var actions: [Action] = [
            .send(.feedSetup(channel: n, aggregationPeriod: c.aggregationPeriod, dataFormat: c.dataFormat.rawValue, eventFields: fields)),
            .layoutChanged(layout),
        ]
        let subs = currentSubscriptions.filter { ch.types.contains($0.type) }
        for (i, batch) in SubscriptionBatcher.batches(subs, channel: n, limit: c.subscriptionBatchBytes).enumerated() {
            actions.append(.send(.feedSubscription(channel: n, reset: i == 0, add: batch, remove: [])))
        }
        if channels.values.allSatisfy(\.open) {
            subscribedNow(&actions)
        } else {
            expect("CHANNEL_OPENED", now: now)
        }
        return actions
    }

    private mutating func feedConfig(_ n: Int, format: String?, fields: [String: [String]]?) -> [Action] {
        guard var ch = channels[n], let old = ch.layout else { return [] }
        var merged = old.eventFields
        for (t, list) in fields ?? [:] { merged[t] = list }
        let newFormat = format.flatMap(DataFormat.init(rawValue:)) ?? old.dataFormat
        guard merged != old.eventFields || newFormat != old.dataFormat else { return [] }
        let layout = FeedLayout(id: nextLayoutID, channel: n, dataFormat: newFormat, eventFields: merged)
        nextLayoutID += 1
        ch.layout = layout
        channels[n] = ch
        return [.layoutChanged(layout)]
    }
}

/// Splits subscriptions into FEED_SUBSCRIPTION messages no longer than a byte limit.
public enum SubscriptionBatcher {
    /// The subscriptions in batches whose messages (with envelope) stay within `limit` bytes; a single
    /// subscription longer than the limit goes alone.
    public static func batches(_ subscriptions: [FeedSubscription], channel: Int, limit: Int) -> [[FeedSubscription]] {
        let envelope = ClientMessage.feedSubscription(channel: channel, reset: true, add: [], remove: []).text.utf8.count + 10
        var result: [[FeedSubscription]] = []
        var current: [FeedSubscription] = []
        var size = envelope
        for s in subscriptions {
            var w = JSONWriter()
            s.write(to: &w)
            let n = w.bytes.count + 1
            if !current.isEmpty && size + n > limit {
                result.append(current)
                current = []
                size = envelope
            }
            current.append(s)
            size += n
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}
