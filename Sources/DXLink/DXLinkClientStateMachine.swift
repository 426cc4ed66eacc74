public import MarketData
public import SluiceCore

/// The DXLink client protocol as a pure, synchronous state machine: it is told what happened (connected,
/// a message arrived, time passed, disconnected) and answers with what to do (send a message, report a
/// state, close the connection). No sockets, no clocks, no tasks — the driver owns those.
///
/// ```
/// idle ─connected→ settingUp ─AUTH_STATE UNAUTHORIZED→ authorizing ─AUTHORIZED→ openingChannels
///   ↑                                                                               │ all CHANNEL_OPENED
///   └──────────────── disconnected (any state; reconnect is the driver's job) ─── subscribed
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
        /// The server rejected the token; nothing more until a new connection with a new token.
        case rejected
    }

    /// What the driver must do.
    public enum Action: Sendable, Hashable {
        /// Send this message.
        case send(ClientMessage)
        /// Report a feed state change downstream.
        case status(FeedStatus.State, reason: String?)
        /// A channel's layout changed; data frames on it decode with this one from now on.
        case layoutChanged(FeedLayout)
        /// Close the connection; the driver reconnects with backoff.
        case disconnect(reason: String)
        /// The token was rejected: get a new one (or give up if none can be had), then reconnect.
        case tokenRejected(reason: String)
        /// The server reported an error that does not end the session (logged and counted).
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
    private var channels: [Int: Channel] = [:]
    private var nextLayoutID = 1
    private var lastInbound = Timestamp(nanosecondsSinceEpoch: 0)
    private var lastKeepaliveSent = Timestamp(nanosecondsSinceEpoch: 0)
    private var stepDeadline: Timestamp?
    private var stepName = ""
    private var serverKeepaliveTimeout: Duration?
    private var token = ""
    /// The newest candle time seen per candle symbol (epoch ms), for resuming history after a reconnect.
    public private(set) var lastCandleTime: [String: Int64] = [:]

    /// A state machine for `configuration`.
    public init(configuration: DXLinkClientConfiguration) {
        self.configuration = configuration
    }

    /// The layout data on `channel` decodes with.
    public func layout(channel: Int) -> FeedLayout? { channels[channel]?.layout }

    /// The subscriptions that would be sent now: candle `fromTime`s advanced to the newest candle seen.
    public var currentSubscriptions: [FeedSubscription] {
        configuration.subscriptions.map { s in
            guard s.fromTime != nil, let last = lastCandleTime[s.symbol] else { return s }
            var resumed = s
            resumed.fromTime = max(s.fromTime ?? 0, last)
            return resumed
        }
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

    /// The WebSocket is open: start the handshake.
    public mutating func connected(token: String, now: Timestamp) -> [Action] {
        self.token = token
        state = .settingUp
        channels = [:]
        serverKeepaliveTimeout = nil
        lastInbound = now
        lastKeepaliveSent = now
        expect("SETUP and AUTH_STATE", now: now)
        let c = configuration
        return [.status(.connected, reason: nil),
                .send(.setup(version: c.version, keepaliveTimeout: c.announcedKeepaliveTimeout, acceptKeepaliveTimeout: c.announcedKeepaliveTimeout))]
    }

    /// A candle arrived: remember its time so that a reconnect resumes history from it.
    public mutating func candleSeen(symbol: String, time: Int64) {
        if time > lastCandleTime[symbol] ?? .min { lastCandleTime[symbol] = time }
    }

    /// Creates a fresh machine that keeps `previous`'s candle times (after a token change).
    public init(configuration: DXLinkClientConfiguration, resuming previous: DXLinkClientStateMachine) {
        self.init(configuration: configuration)
        lastCandleTime = previous.lastCandleTime
        nextLayoutID = previous.nextLayoutID
    }

    /// The driver was blocked handing data downstream and reads again: silence counts from now, since
    /// nothing could be read meanwhile.
    public mutating func readingResumed(now: Timestamp) {
        if now > lastInbound { lastInbound = now }
    }

    /// The connection is gone.
    public mutating func disconnected() {
        if state != .rejected { state = .idle }
        channels = [:]
        stepDeadline = nil
    }

    private mutating func expect(_ step: String, now: Timestamp) {
        stepName = step
        stepDeadline = now.advanced(by: configuration.actionTimeout)
    }

    /// Time passed: send a KEEPALIVE when one is due, and detect a silent server or a stalled handshake.
    public mutating func tick(now: Timestamp) -> [Action] {
        guard state != .idle, state != .rejected else { return [] }
        if lastInbound.duration(to: now) > silenceTimeout {
            return [.send(.error(channel: 0, error: "TIMEOUT", message: "nothing received for \(DurationText.format(silenceTimeout))")),
                    .disconnect(reason: "server silent for more than \(DurationText.format(silenceTimeout))")]
        }
        if let deadline = stepDeadline, now >= deadline {
            return [.disconnect(reason: "timed out after \(DurationText.format(configuration.actionTimeout)) waiting for \(stepName)")]
        }
        if state != .settingUp, lastKeepaliveSent.duration(to: now) >= keepaliveInterval {
            lastKeepaliveSent = now
            return [.send(.keepalive)]
        }
        return []
    }

    /// The earliest time ``tick(now:)`` may have something to do.
    public var nextTick: Timestamp {
        var t = lastInbound.advanced(by: silenceTimeout)
        if state != .settingUp { t = min(t, lastKeepaliveSent.advanced(by: keepaliveInterval)) }
        if let d = stepDeadline { t = min(t, d) }
        return t
    }

    /// A message arrived.
    public mutating func received(_ message: ServerMessage, now: Timestamp) -> [Action] {
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
            return [.send(.channelRequest(channel: n, contract: configuration.contract))]
        case let .feedConfig(n, _, format, fields):
            return feedConfig(n, format: format, fields: fields)
        case let .error(channel, code, text):
            if code == "UNAUTHORIZED" && channel == 0 {
                state = .rejected
                return [.tokenRejected(reason: "server error UNAUTHORIZED: \(text)")]
            }
            if channel == 0 && (code == "TIMEOUT" || code == "UNSUPPORTED_PROTOCOL") {
                return [.serverError(channel: channel, code: code, message: text), .disconnect(reason: "server error \(code): \(text)")]
            }
            return [.serverError(channel: channel, code: code, message: text)]
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
                actions.append(.send(.channelRequest(channel: n, contract: configuration.contract)))
            }
            if channels.isEmpty { state = .subscribed; stepDeadline = nil; actions.append(.status(.subscribed, reason: nil)) }
            else { expect("CHANNEL_OPENED", now: now) }
            return actions
        case (.authorizing, false), (.openingChannels, false), (.subscribed, false):
            state = .rejected
            stepDeadline = nil
            return [.tokenRejected(reason: "the server answered AUTH with AUTH_STATE UNAUTHORIZED")]
        default:
            return []
        }
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
            state = .subscribed
            stepDeadline = nil
            actions.append(.status(.subscribed, reason: nil))
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
