public import Logging
import MarketData
public import SluiceCore
import Metrics
import NIOCore
import NIOWebSocket
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import WSClient

/// Counts of what a session did, for logs, reports and tests.
public struct DXLinkSessionStatistics: Sendable, Hashable {
    /// Connections opened.
    public var connects = 0
    /// Connections lost or closed.
    public var disconnects = 0
    /// Messages received.
    public var messagesIn = 0
    /// Bytes received.
    public var bytesIn = 0
    /// Messages sent.
    public var messagesOut = 0
    /// Bytes sent.
    public var bytesOut = 0
    /// FEED_DATA frames passed downstream.
    public var dataFrames = 0
    /// Messages that were not DXLink messages (skipped).
    public var malformedMessages = 0
    /// Messages of unknown types (ignored).
    public var unknownMessages = 0
    /// FEED_DATA on a channel that has no layout (ignored).
    public var strayFrames = 0
    /// ERROR messages by code.
    public var serverErrors: [String: Int] = [:]
    /// Creates empty statistics.
    public init() {}
}

/// Drives ``DXLinkClientStateMachine`` over real WebSocket connections: connects, reconnects with
/// backoff, sends keepalives, watches for a silent server, and hands every FEED_DATA frame and every state
/// change to `emit`.
public struct DXLinkSession: Sendable {
    /// The protocol configuration.
    public var configuration: DXLinkClientConfiguration
    /// Where the endpoint and token come from.
    public var tokens: any DXLinkTokenProvider
    /// The reconnect policy.
    public var reconnect: ReconnectPolicy
    /// The logger (the token never reaches it).
    public var logger: Logger
    /// The clock for keepalives, silence and backoff.
    public var clock: any StageClock
    /// Labels metrics with this id (the stage id).
    public var metricsLabel: String
    /// The largest inbound message accepted.
    public var maxMessageBytes = 16 << 20

    private let stats = StatisticsBox()

    final class StatisticsBox: Sendable {
        let value = Mutex(DXLinkSessionStatistics())
        func withLock<T>(_ body: (inout DXLinkSessionStatistics) -> T) -> T { value.withLock { body(&$0) } }
    }

    /// Creates a session.
    public init(configuration: DXLinkClientConfiguration, tokens: any DXLinkTokenProvider, reconnect: ReconnectPolicy = .init(),
                logger: Logger, clock: any StageClock = SystemClock(), metricsLabel: String = "dxlink") {
        self.configuration = configuration
        self.tokens = tokens
        self.reconnect = reconnect
        self.logger = logger
        self.clock = clock
        self.metricsLabel = metricsLabel
    }

    /// What the session has done so far.
    public var statistics: DXLinkSessionStatistics { stats.withLock { $0 } }

    enum Ending: Sendable {
        case shutdown
        case lost(String)
        case tokenRejected(String)
    }

    final class Connection: Sendable {
        let machine: Mutex<DXLinkClientStateMachine>
        let ending = Mutex<Ending?>(nil)
        let paused = Mutex(false)
        let subscribed = Mutex(false)
        init(_ m: DXLinkClientStateMachine) { machine = Mutex(m) }
        func end(_ e: Ending) { ending.withLock { if $0 == nil { $0 = e } } }
    }

    /// Runs until `shutdown` is triggered (returns) or the token is rejected for good or reconnects are
    /// exhausted (throws ``DXLinkError``).
    public func run(shutdown: ShutdownSignal, emit: @escaping @Sendable (DXLinkFrame) async throws -> Void) async throws {
        let metrics = SessionMetrics(label: metricsLabel)
        var machine = DXLinkClientStateMachine(configuration: configuration)
        var epoch: Int64 = 0
        var failures = 0
        var renew = false
        var rng = SystemRandomNumberGenerator()
        var downSince: Timestamp?
        func status(_ s: FeedStatus.State, _ reason: String? = nil) async throws {
            try await emit(DXLinkFrame(receiveTime: clock.now, epoch: epoch, content: .status(FeedStatus(state: s, time: clock.now, epoch: epoch, reason: reason))))
        }
        while !shutdown.isRequested {
            epoch += 1
            let endpoint: DXLinkEndpoint
            do {
                endpoint = try await tokens.endpoint(renew: renew)
            } catch {
                try await status(.closed, "\(error)")
                throw error
            }
            renew = false
            try await status(.connecting, endpoint.url)
            let connection = Connection(machine)
            let started = clock.now
            do {
                try await connect(endpoint, connection: connection, epoch: epoch, shutdown: shutdown, metrics: metrics,
                                  downSince: downSince, emit: emit)
                connection.end(.lost("the server closed the connection"))
            } catch {
                connection.end(.lost(Self.describe(error)))
            }
            machine = connection.machine.withLock { m in m.disconnected(); return m }
            stats.withLock { $0.disconnects += 1 }
            metrics.disconnects.increment()
            metrics.uptime.recordNanoseconds(started.duration(to: clock.now).nanoseconds)
            let ending = connection.ending.withLock { $0 } ?? .shutdown
            if shutdown.isRequested {
                try await status(.closed, "shutdown")
                return
            }
            downSince = downSince ?? clock.now
            switch ending {
            case .shutdown:
                try await status(.closed, "shutdown")
                return
            case .tokenRejected(let reason):
                logger.warning("DXLink token rejected; asking for a new one", metadata: ["reason": "\(reason)"])
                try await status(.disconnected, reason)
                renew = true
                machine = DXLinkClientStateMachine(configuration: configuration, resuming: machine)
                continue
            case .lost(let reason):
                try await status(.disconnected, reason)
                if connection.subscribed.withLock({ $0 }) { failures = 0; downSince = clock.now }
                failures += 1
                if let max = reconnect.maxAttempts, failures > max {
                    try await status(.closed, "gave up after \(max) reconnect attempts")
                    throw DXLinkError(.reconnectsExhausted, "gave up after \(max) reconnect attempts; last failure: \(reason)")
                }
                let delay = reconnect.delay(attempt: failures, using: &rng)
                logger.warning("DXLink connection lost; reconnecting", metadata: [
                    "reason": "\(reason)", "attempt": "\(failures)", "delay": "\(DurationText.format(delay))",
                ])
                try await status(.reconnecting, "attempt \(failures) in \(DurationText.format(delay)) after: \(reason)")
                guard try await clock.sleep(until: clock.now.advanced(by: delay), unless: shutdown) else {
                    try await status(.closed, "shutdown")
                    return
                }
            }
        }
        try await status(.closed, "shutdown")
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? WebSocketClientError { return "WebSocket error: \(e)" }
        if let e = error as? IOError {
            // NIO's own text nests parentheses ("connection reset (error set): … (errno: 111)").
            return "\(String(cString: strerror(e.errnoCode)).lowercased()) (errno \(e.errnoCode))"
        }
        return "\(error)"
    }

    private func connect(_ endpoint: DXLinkEndpoint, connection: Connection, epoch: Int64, shutdown: ShutdownSignal,
                         metrics: SessionMetrics, downSince: Timestamp?,
                         emit: @escaping @Sendable (DXLinkFrame) async throws -> Void) async throws {
        guard endpoint.url.hasPrefix("ws://") || endpoint.url.hasPrefix("wss://") else {
            throw DXLinkError(.invalidURL, "'\(endpoint.url)' is not a ws:// or wss:// URL")
        }
        let clock = self.clock
        let logger = self.logger
        let stats = self.stats
        let maxBytes = maxMessageBytes
        var wsConfiguration = WebSocketClientConfiguration(maxFrameSize: maxBytes, closeTimeout: .seconds(1))
        wsConfiguration.autoPing = .disabled
        try await WebSocketClient.connect(url: endpoint.url, configuration: wsConfiguration, logger: logger) { inbound, outbound, _ in
            @Sendable func perform(_ actions: [DXLinkClientStateMachine.Action]) async throws {
                for action in actions {
                    switch action {
                    case .send(let message):
                        let text = message.text
                        stats.withLock { $0.messagesOut += 1; $0.bytesOut += text.utf8.count }
                        metrics.messagesOut.increment()
                        metrics.bytesOut.increment(by: text.utf8.count)
                        try await outbound.write(.text(text))
                    case .status(let state, let reason):
                        if state == .subscribed {
                            connection.subscribed.withLock { $0 = true }
                            if let downSince {
                                metrics.reconnectLatency.recordNanoseconds(downSince.duration(to: clock.now).nanoseconds)
                            }
                        }
                        let now = clock.now
                        try await emit(DXLinkFrame(receiveTime: now, epoch: epoch, content: .status(FeedStatus(state: state, time: now, epoch: epoch, reason: reason))))
                    case .layoutChanged(let layout):
                        logger.debug("DXLink layout", metadata: ["layout": "\(layout)"])
                    case .disconnect(let reason):
                        connection.end(.lost(reason))
                        try? await outbound.close(.goingAway, reason: nil)
                    case .tokenRejected(let reason):
                        connection.end(.tokenRejected(reason))
                        try? await outbound.close(.normalClosure, reason: nil)
                    case let .serverError(channel, code, message):
                        stats.withLock { $0.serverErrors[code, default: 0] += 1 }
                        Counter(label: "sluice_dxlink_server_errors_total", dimensions: [("stage", metrics.label), ("code", code)]).increment()
                        logger.warning("DXLink server error", metadata: ["channel": "\(channel)", "code": "\(code)", "message": "\(message)"])
                    case .unknownMessage(let type):
                        stats.withLock { $0.unknownMessages += 1 }
                        logger.debug("DXLink message of unknown type ignored", metadata: ["type": "\(type)"])
                    }
                }
            }
            stats.withLock { $0.connects += 1 }
            metrics.connects.increment()
            logger.info("DXLink connected", metadata: ["url": "\(endpoint.url)", "epoch": "\(epoch)"])
            try await perform(connection.machine.withLock { $0.connected(token: endpoint.token, now: clock.now) })
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Keepalives, silence and handshake deadlines.
                    while !Task.isCancelled {
                        let wake = connection.machine.withLock { $0.nextTick }
                        try await clock.sleep(until: max(wake, clock.now.advanced(by: .milliseconds(5))))
                        let paused = connection.paused.withLock { $0 }
                        let actions = connection.machine.withLock { m in
                            if paused { m.readingResumed(now: clock.now) }
                            return m.tick(now: clock.now)
                        }
                        try await perform(actions)
                    }
                }
                group.addTask {
                    await shutdown.wait()
                    guard shutdown.isRequested else { return }  // cancelled: the connection ended first
                    connection.end(.shutdown)
                    try? await outbound.close(.normalClosure, reason: "shutdown")
                }
                var candleDecoder = FeedDecoder()
                var candles: [MarketEvent] = []
                for try await message in inbound.messages(maxSize: maxBytes) {
                    guard case .text(let text) = message else {
                        stats.withLock { $0.malformedMessages += 1 }
                        continue
                    }
                    let now = clock.now
                    let bytes = text.utf8.count
                    stats.withLock { $0.messagesIn += 1; $0.bytesIn += bytes }
                    metrics.messagesIn.increment()
                    metrics.bytesIn.increment(by: bytes)
                    let parsed: ServerMessage
                    do {
                        parsed = try ServerMessage.parse(text)
                    } catch {
                        stats.withLock { $0.malformedMessages += 1 }
                        logger.debug("DXLink message skipped", metadata: ["problem": "\(error)"])
                        continue
                    }
                    if case .feedData(let channel) = parsed {
                        let layout = connection.machine.withLock { m in
                            _ = m.received(parsed, now: now)
                            return m.layout(channel: channel)
                        }
                        guard let layout else {
                            stats.withLock { $0.strayFrames += 1 }
                            continue
                        }
                        if layout.eventFields["Candle"] != nil {
                            candles.removeAll(keepingCapacity: true)
                            candleDecoder.decode(text, layout: layout, into: &candles)
                            connection.machine.withLock { m in
                                for case .candle(let c) in candles { m.candleSeen(symbol: c.eventSymbol, time: c.time.millisecondsSinceEpoch) }
                            }
                        }
                        stats.withLock { $0.dataFrames += 1 }
                        connection.paused.withLock { $0 = true }
                        try await emit(DXLinkFrame(receiveTime: now, epoch: epoch, content: .data(text, layout)))
                        connection.paused.withLock { $0 = false }
                        connection.machine.withLock { $0.readingResumed(now: clock.now) }
                    } else {
                        try await perform(connection.machine.withLock { $0.received(parsed, now: now) })
                    }
                }
                group.cancelAll()
            }
        }
    }
}

/// The swift-metrics instruments of one session.
struct SessionMetrics: Sendable {
    let label: String
    let connects: Counter
    let disconnects: Counter
    let messagesIn: Counter
    let messagesOut: Counter
    let bytesIn: Counter
    let bytesOut: Counter
    let reconnectLatency: Metrics.Timer
    let uptime: Metrics.Timer

    init(label: String) {
        self.label = label
        let d = [("stage", label)]
        connects = Counter(label: "sluice_dxlink_connects_total", dimensions: d)
        disconnects = Counter(label: "sluice_dxlink_disconnects_total", dimensions: d)
        messagesIn = Counter(label: "sluice_dxlink_messages_in_total", dimensions: d)
        messagesOut = Counter(label: "sluice_dxlink_messages_out_total", dimensions: d)
        bytesIn = Counter(label: "sluice_dxlink_bytes_in_total", dimensions: d)
        bytesOut = Counter(label: "sluice_dxlink_bytes_out_total", dimensions: d)
        reconnectLatency = Metrics.Timer(label: "sluice_dxlink_reconnect_latency", dimensions: d)
        uptime = Metrics.Timer(label: "sluice_dxlink_connection_uptime", dimensions: d)
    }
}
