public import Logging
import MarketData
public import SluiceCore
import Metrics
import NIOCore
import NIOPosix
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
///
/// Each connection is three child tasks — the reader, the timer (keepalives, silence, handshake deadlines)
/// and the shutdown watcher; the first to finish ends the connection and cancels the others. The socket is
/// then closed: a Close frame is sent, the server's Close is awaited for at most
/// ``DXLinkClientConfiguration/closeWait``, and nothing else is ever written. The machine's
/// ``DXLinkClientStateMachine/Ending`` decides what follows: reconnect with backoff (with a fresh token after
/// an UNAUTHORIZED), or end the run when AUTH is refused even with a freshly fetched token.
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

    let stats = StatisticsBox()
    let inbox = SubscriptionInbox()

    /// The session's counts: relaxed atomics on the hot path (no lock, no metrics call per message); the
    /// session's reporter publishes them to swift-metrics once a second.
    final class StatisticsBox: Sendable {
        let connects = Atomic(0), disconnects = Atomic(0)
        let messagesIn = Atomic(0), bytesIn = Atomic(0), messagesOut = Atomic(0), bytesOut = Atomic(0)
        let dataFrames = Atomic(0), malformedMessages = Atomic(0), unknownMessages = Atomic(0), strayFrames = Atomic(0)
        let serverErrors = Mutex<[String: Int]>([:])

        var snapshot: DXLinkSessionStatistics {
            var s = DXLinkSessionStatistics()
            s.connects = connects.load(ordering: .relaxed)
            s.disconnects = disconnects.load(ordering: .relaxed)
            s.messagesIn = messagesIn.load(ordering: .relaxed)
            s.bytesIn = bytesIn.load(ordering: .relaxed)
            s.messagesOut = messagesOut.load(ordering: .relaxed)
            s.bytesOut = bytesOut.load(ordering: .relaxed)
            s.dataFrames = dataFrames.load(ordering: .relaxed)
            s.malformedMessages = malformedMessages.load(ordering: .relaxed)
            s.unknownMessages = unknownMessages.load(ordering: .relaxed)
            s.strayFrames = strayFrames.load(ordering: .relaxed)
            s.serverErrors = serverErrors.withLock { $0 }
            return s
        }
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
    public var statistics: DXLinkSessionStatistics { stats.snapshot }

    /// Changes the subscriptions of the running session, from any task: applied on the open connection at
    /// once with FEED_SUBSCRIPTION add/remove (no reconnect), and part of every later connection's
    /// subscriptions. Subscriptions of an event type no channel carries are ignored (list such types in
    /// ``DXLinkClientConfiguration/channelTypes``).
    public func changeSubscriptions(add: [FeedSubscription], remove: [FeedSubscription]) {
        guard !add.isEmpty || !remove.isEmpty else { return }
        inbox.post(SubscriptionInbox.Change(add: add, remove: remove))
    }

    /// Runs until `shutdown` is triggered (returns), or until the token is refused for good or reconnects
    /// are exhausted (throws ``DXLinkError``). Errors thrown by `emit` end the run at once and are rethrown.
    public func run(shutdown: ShutdownSignal, emit: @escaping @Sendable (DXLinkFrame) async throws -> Void) async throws {
        let metrics = SessionMetrics(label: metricsLabel)
        let stats = self.stats
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // The reporter: the hot path only counts; this publishes the counts once a second.
                while true {
                    try await Task.sleep(for: .seconds(1))
                    metrics.publish(stats.snapshot)
                }
            }
            defer {
                group.cancelAll()
                metrics.publish(stats.snapshot)
            }
            try await connections(shutdown: shutdown, metrics: metrics, emit: emit)
        }
    }

    private func connections(shutdown: ShutdownSignal, metrics: SessionMetrics, emit: @escaping @Sendable (DXLinkFrame) async throws -> Void) async throws {
        var machine = DXLinkClientStateMachine(configuration: configuration)
        var epoch: Int64 = 0
        var failures = 0
        var renew = false
        var rng = SystemRandomNumberGenerator()
        var downSince: Timestamp?
        func status(_ s: FeedStatus.State, _ reason: String? = nil) async throws {
            try await emit(DXLinkFrame(receiveTime: clock.now, epoch: epoch, content: .status(FeedStatus(state: s, time: clock.now, epoch: epoch, reason: reason))))
        }
        /// Waits out the backoff before the next attempt; `false` when shutdown comes first.
        func backOff(after reason: String, _ message: String) async throws -> Bool {
            failures += 1
            if let max = reconnect.maxAttempts, failures > max {
                try await status(.closed, "gave up after \(max) reconnect attempts")
                throw DXLinkError(.reconnectsExhausted, "gave up after \(max) reconnect attempts; last failure: \(reason)")
            }
            let delay = reconnect.delay(attempt: failures, using: &rng)
            logger.warning("\(message)", metadata: [
                "reason": "\(reason)", "attempt": "\(failures)", "delay": "\(DurationText.format(delay))",
                "token": "\(renew ? "fresh" : "same")",
            ])
            try await status(.reconnecting, "attempt \(failures) in \(DurationText.format(delay)) after: \(reason)")
            return try await clock.sleep(until: clock.now.advanced(by: delay), unless: shutdown)
        }
        while !shutdown.isRequested {
            let fetched: DXLinkEndpoint?
            do {
                fetched = try await endpoint(renew: renew, unless: shutdown)
            } catch {
                if shutdown.isRequested { break }
                guard tokens.isTemporary(error) else {
                    try await status(.closed, "\(error)")
                    throw error
                }
                // The token service is down for a moment (refused, 5xx, 429, a timeout): retry with the backoff.
                guard try await backOff(after: "\(error)", "could not get a DXLink token; retrying") else { break }
                continue
            }
            guard let endpoint = fetched else { break }
            // Changes asked for between connections are part of this one's first subscriptions.
            for change in inbox.take().changes { _ = machine.changeSubscriptions(add: change.add, remove: change.remove) }
            guard endpoint.url.hasPrefix("ws://") || endpoint.url.hasPrefix("wss://") else {
                let message = "'\(endpoint.url)' is not a ws:// or wss:// URL"
                try await status(.closed, message)
                throw DXLinkError(.invalidURL, message)
            }
            let fresh = renew
            renew = false
            epoch += 1
            try await status(.connecting, endpoint.url)
            let started = clock.now
            let ending = try await connect(endpoint, machine: &machine, epoch: epoch, shutdown: shutdown, metrics: metrics,
                                           downSince: downSince, emit: emit)
            stats.disconnects.add(1, ordering: .relaxed)
            metrics.uptime.recordNanoseconds(started.duration(to: clock.now).nanoseconds)
            guard let ending, !shutdown.isRequested else { break }
            try await status(.disconnected, ending.reason)
            if machine.reachedSubscribed { failures = 0; downSince = clock.now }
            downSince = downSince ?? clock.now
            switch ending {
            case .authRefused(let reason):
                guard tokens.canRenew, !fresh else {
                    let message = fresh
                        ? "the DXLink server refused a freshly fetched token too (\(reason))"
                        : "the DXLink server refused the token for \(endpoint.url) (\(reason)); check the token (API quote tokens expire after 24 hours) or configure tastytrade credentials so a fresh one is fetched"
                    try await status(.closed, message)
                    throw DXLinkError(.unauthorized, message)
                }
                renew = true
            case .unauthorized:
                renew = tokens.canRenew
            case .lost:
                break
            }
            guard try await backOff(after: ending.reason, "DXLink connection lost; reconnecting") else { break }
        }
        try await status(.closed, "shutdown")
    }

    /// The endpoint from the token provider, or `nil` when shutdown comes first (the fetch is cancelled).
    private func endpoint(renew: Bool, unless shutdown: ShutdownSignal) async throws -> DXLinkEndpoint? {
        let tokens = self.tokens
        return try await withThrowingTaskGroup(of: DXLinkEndpoint?.self) { group in
            group.addTask { try await tokens.endpoint(renew: renew) }
            group.addTask {
                await shutdown.wait()
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? WebSocketClientError { return "WebSocket error: \(e)" }
        if let e = error as? IOError {
            // NIO's own text nests parentheses ("connection reset (error set): … (errno: 111)").
            return "\(String(cString: strerror(e.errnoCode)).lowercased()) (errno \(e.errnoCode))"
        }
        return "\(error)"
    }

    /// One connection, from opening the socket to abandoning it. Returns why it ended (`nil`: shutdown).
    private func connect(_ endpoint: DXLinkEndpoint, machine: inout DXLinkClientStateMachine, epoch: Int64, shutdown: ShutdownSignal,
                         metrics: SessionMetrics, downSince: Timestamp?,
                         emit: @escaping @Sendable (DXLinkFrame) async throws -> Void) async throws -> DXLinkClientStateMachine.Ending? {
        machine.connecting()
        let live = LiveConnection(machine)
        var ws = WebSocketClientConfiguration(maxFrameSize: maxMessageBytes, closeTimeout: configuration.closeWait)
        ws.autoPing = .disabled
        let wsConfiguration = ws
        let logger = self.logger
        // The connection's own event loop: shutting it down is the one way to abandon a socket whatever
        // state it is in (an HTTP upgrade the server never answers, a close handshake it never completes).
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let clock = self.clock
        let openTimeout = configuration.actionTimeout
        // Once the connection has ended, the WebSocket library's close timeout (the close wait) abandons the
        // socket. Should its teardown still be running a second after that, its task is cancelled (the
        // library then closes the channel); shutting the loop down is the last resort, ten seconds later
        // (a loop shut down under a close in progress can strand the library's own awaits).
        let overdue = configuration.closeWait + .seconds(1)
        try await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask {
                try await withThrowingTaskGroup(of: Void.self) { connection in
                    connection.addTask {
                        do {
                            try await WebSocketClient.connect(url: endpoint.url, configuration: wsConfiguration, eventLoopGroup: loop, logger: logger) { inbound, outbound, _ in
                                live.opened.trigger()
                                defer { live.finished.trigger() }
                                let driver = ConnectionDriver(session: self, live: live, outbound: outbound, epoch: epoch, metrics: metrics,
                                                              downSince: downSince, emit: emit)
                                try await driver.serve(inbound, token: endpoint.token, url: endpoint.url, shutdown: shutdown)
                            }
                        } catch {
                            if live.downstreamFailure == nil { live.transportFailed(Self.describe(error)) }
                        }
                    }
                    connection.addTask { await live.abandoned.wait() }
                    try await connection.next()
                    connection.cancelAll()  // the teardown, when it is overdue; else the abandon watcher
                }
                return true
            }
            tasks.addTask {
                // The watchdog: the WebSocket opens within the handshake timeout (the library has no upgrade
                // timeout of its own), and a connection that has ended is gone soon after the close wait.
                // (An upgrade that completes as the timeout fires counts as opened.)
                let unopened = try await clock.sleep(until: clock.now.advanced(by: openTimeout), unless: live.opened) && !live.opened.isRequested
                // First the connection's task is cancelled, then, if it is still there after `grace`, the loop
                // goes (an abandoned task returning cancels this watchdog). Cancelling does not reach an HTTP
                // upgrade in progress, hence the short grace there.
                let grace: Duration
                if unopened {
                    live.end(.ended(transport: "the WebSocket did not open within \(DurationText.format(openTimeout))"))
                    grace = .seconds(1)
                } else {
                    await live.finished.wait()
                    try await clock.sleep(until: clock.now.advanced(by: overdue))
                    logger.debug("DXLink connection teardown overdue; cancelling it", metadata: ["epoch": "\(epoch)"])
                    grace = .seconds(10)
                }
                live.abandoned.trigger()
                try await clock.sleep(until: clock.now.advanced(by: grace))
                logger.debug("DXLink connection abandoned; shutting its event loop down", metadata: ["epoch": "\(epoch)", "opened": "\(!unopened)"])
                try? await loop.shutdownGracefully()
                return false
            }
            while let connectionDone = try await tasks.next() {
                if connectionDone { tasks.cancelAll(); break }
            }
        }
        try? await loop.shutdownGracefully()
        machine = live.machine.withLock { $0 }
        if let failure = live.downstreamFailure { throw failure }
        try Task.checkCancellation()
        if live.outcome == .shutdown { _ = machine.disconnected(transport: "shutdown"); return nil }
        return machine.disconnected(transport: live.outcome.transport ?? live.transportFailure ?? "the server closed the connection")
    }

    /// How a connection's child tasks ended.
    enum Outcome: Sendable, Equatable {
        /// Still running.
        case running
        /// Shutdown was requested.
        case shutdown
        /// The connection ended: by the machine's decision (`nil`), or with this transport failure.
        case ended(transport: String?)

        var transport: String? { if case .ended(let t) = self { t } else { nil } }
    }

    /// What the child tasks of one connection share.
    final class LiveConnection: Sendable {
        let machine: Mutex<DXLinkClientStateMachine>
        /// Triggered when the WebSocket is open (the upgrade succeeded).
        let opened = ShutdownSignal()
        /// Triggered when the connection's tasks have ended.
        let finished = ShutdownSignal()
        /// Triggered when the WebSocket library's teardown is overdue: its task is cancelled.
        let abandoned = ShutdownSignal()
        private let state = Mutex<(outcome: Outcome, downstream: (any Error)?, transport: String?)>((.running, nil, nil))
        private let timer = Mutex<(wake: Timestamp?, alarm: ShutdownSignal)>((nil, ShutdownSignal()))

        init(_ m: DXLinkClientStateMachine) { machine = Mutex(m) }

        var outcome: Outcome { state.withLock { $0.outcome } }
        var downstreamFailure: (any Error)? { state.withLock { $0.downstream } }
        var transportFailure: String? { state.withLock { $0.transport } }

        /// Records the error the WebSocket client ended with (connect refused, reset, …).
        func transportFailed(_ reason: String) { state.withLock { if $0.transport == nil { $0.transport = reason } } }

        /// Records how the connection ended (the first report wins).
        func end(_ o: Outcome) { state.withLock { if $0.outcome == .running { $0.outcome = o } } }
        /// Records that handing something downstream failed: the session ends with this error.
        func downstreamFailed(_ e: any Error) { state.withLock { if $0.downstream == nil { $0.downstream = e } } }

        /// Schedules the timer at the machine's next deadline; returns it and the alarm that wakes it early.
        func arm() -> (wake: Timestamp?, alarm: ShutdownSignal) {
            let wake = machine.withLock { $0.nextTick }
            return timer.withLock { t in
                t = (wake, ShutdownSignal())
                return t
            }
        }

        /// Wakes the timer when the machine's next deadline moved before the one it sleeps until (SETUP
        /// announced a shorter keepalive timeout, AUTH started a handshake step, …).
        func rearm(for next: Timestamp?) {
            let alarm = timer.withLock { t -> ShutdownSignal? in
                guard let next, let wake = t.wake, next < wake else { return nil }
                t.wake = next
                return t.alarm
            }
            alarm?.trigger()
        }
    }
}

/// The reader, timer and shutdown watcher of one open WebSocket.
private struct ConnectionDriver: Sendable {
    /// The ERROR codes the protocol defines; anything else is counted as `OTHER`.
    static let serverErrorCodes: Set<String> = ["UNSUPPORTED_PROTOCOL", "TIMEOUT", "UNAUTHORIZED", "INVALID_MESSAGE", "BAD_ACTION", "UNKNOWN"]
    let session: DXLinkSession
    let live: DXLinkSession.LiveConnection
    let outbound: WebSocketOutboundWriter
    let epoch: Int64
    let metrics: SessionMetrics
    let downSince: Timestamp?
    let emit: @Sendable (DXLinkFrame) async throws -> Void

    var clock: any StageClock { session.clock }
    var stats: DXLinkSession.StatisticsBox { session.stats }

    /// Runs the connection until one of its tasks ends it; the caller (the WebSocket library) then closes it.
    func serve(_ inbound: WebSocketInboundStream, token: String, url: String, shutdown: ShutdownSignal) async throws {
        stats.connects.add(1, ordering: .relaxed)
        session.logger.info("DXLink connected", metadata: ["url": "\(url)", "epoch": "\(epoch)"])
        if let outcome = try await perform(live.machine.withLock { $0.connected(token: token, now: clock.now) }) {
            live.end(outcome)
            return
        }
        let outcome = try await withThrowingTaskGroup(of: DXLinkSession.Outcome.self) { group in
            group.addTask { try await read(inbound) }
            group.addTask { try await keepTime() }
            group.addTask { try await applyChanges() }
            group.addTask {
                await shutdown.wait()
                return shutdown.isRequested ? .shutdown : .running
            }
            let first = try await group.next() ?? .running
            group.cancelAll()
            return first
        }
        live.end(outcome)
    }

    /// Hands `frame` downstream; a failure there ends the session, not just the connection.
    private func deliver(_ frame: DXLinkFrame) async throws {
        do {
            try await emit(frame)
        } catch {
            live.downstreamFailed(error)
            throw error
        }
    }

    /// Carries out the machine's actions; returns an outcome when the connection must end.
    private func perform(_ actions: [DXLinkClientStateMachine.Action]) async throws -> DXLinkSession.Outcome? {
        for action in actions {
            switch action {
            case .send(let message):
                let text = message.text
                stats.messagesOut.add(1, ordering: .relaxed)
                stats.bytesOut.add(text.utf8.count, ordering: .relaxed)
                do {
                    try await outbound.write(.text(text))
                } catch {
                    return .ended(transport: "sending failed: \(DXLinkSession.describe(error))")
                }
            case .status(let state, let reason):
                let now = clock.now
                if state == .subscribed, let downSince {
                    metrics.reconnectLatency.recordNanoseconds(downSince.duration(to: now).nanoseconds)
                }
                try await deliver(DXLinkFrame(receiveTime: now, epoch: epoch, content: .status(FeedStatus(state: state, time: now, epoch: epoch, reason: reason))))
            case .layoutChanged(let layout):
                session.logger.debug("DXLink layout", metadata: ["layout": "\(layout)"])
            case .close:
                return .ended(transport: nil)
            case let .serverError(channel, code, message):
                stats.serverErrors.withLock { $0[code, default: 0] += 1 }
                // The label takes the protocol's codes only: a server cannot grow the metric without bound.
                let label = Self.serverErrorCodes.contains(code) ? code : "OTHER"
                Counter(label: "sluice_dxlink_server_errors_total", dimensions: [("stage", metrics.label), ("code", label)]).increment()
                session.logger.warning("DXLink server error", metadata: ["channel": "\(channel)", "code": "\(code)", "message": "\(message)"])
            case .unknownMessage(let type):
                stats.unknownMessages.add(1, ordering: .relaxed)
                session.logger.debug("DXLink message of unknown type ignored", metadata: ["type": "\(type)"])
            }
        }
        return nil
    }

    /// Subscription changes asked for while the connection is open: the machine decides what to send.
    private func applyChanges() async throws -> DXLinkSession.Outcome {
        while true {
            let (changes, next) = session.inbox.take()
            for change in changes {
                let actions = live.machine.withLock { $0.changeSubscriptions(add: change.add, remove: change.remove).actions }
                if let outcome = try await perform(actions) { return outcome }
            }
            await next.wait()
            // Cancelled: another task ended the connection (its outcome is the one that counts).
            if Task.isCancelled { return .running }
        }
    }

    /// Keepalives, silence and handshake deadlines: sleeps until the machine's next deadline, woken early
    /// when a message moves it.
    private func keepTime() async throws -> DXLinkSession.Outcome {
        while true {
            let (wake, alarm) = live.arm()
            guard let wake else { return .ended(transport: nil) }
            _ = try await clock.sleep(until: max(wake, clock.now.advanced(by: .milliseconds(1))), unless: alarm)
            let actions = live.machine.withLock { $0.tick(now: clock.now) }
            if let outcome = try await perform(actions) { return outcome }
        }
    }

    /// Reads messages until the connection ends.
    private func read(_ inbound: WebSocketInboundStream) async throws -> DXLinkSession.Outcome {
        var messages = inbound.messages(maxSize: session.maxMessageBytes).makeAsyncIterator()
        var candleDecoder = FeedDecoder()
        var candles: [MarketEvent] = []
        while true {
            let next: WebSocketMessage?
            do {
                next = try await messages.next()
            } catch {
                return .ended(transport: DXLinkSession.describe(error))
            }
            guard let message = next else { return .ended(transport: "the server closed the connection") }
            guard case .text(let text) = message else {
                stats.malformedMessages.add(1, ordering: .relaxed)
                continue
            }
            let now = clock.now
            let bytes = text.utf8.count
            stats.messagesIn.add(1, ordering: .relaxed)
            stats.bytesIn.add(bytes, ordering: .relaxed)
            let parsed: ServerMessage
            do {
                parsed = try ServerMessage.parse(text)
            } catch {
                stats.malformedMessages.add(1, ordering: .relaxed)
                session.logger.debug("DXLink message skipped", metadata: ["problem": "\(error)"])
                continue
            }
            guard case .feedData(let channel) = parsed else {
                let (actions, next) = live.machine.withLock { m in (m.received(parsed, now: now), m.nextTick) }
                live.rearm(for: next)
                if let outcome = try await perform(actions) { return outcome }
                continue
            }
            let layout = live.machine.withLock { m in
                _ = m.received(parsed, now: now)
                return m.layout(channel: channel)
            }
            guard let layout else {
                stats.strayFrames.add(1, ordering: .relaxed)
                continue
            }
            var delivered: [(symbol: String, time: Int64, flags: EventFlags)] = []
            if layout.eventFields["Candle"] != nil {
                candles.removeAll(keepingCapacity: true)
                candleDecoder.decode(text, layout: layout, into: &candles)
                for case .candle(let c) in candles {
                    delivered.append((c.eventSymbol, c.time.millisecondsSinceEpoch, EventFlags(rawValue: c.eventFlags)))
                }
            }
            stats.dataFrames.add(1, ordering: .relaxed)
            live.machine.withLock { $0.deliveryStarted() }
            try await deliver(DXLinkFrame(receiveTime: now, epoch: epoch, content: .data(text, layout)))
            live.machine.withLock { m in
                m.deliveryFinished(now: clock.now)
                m.candlesDelivered(delivered)
            }
        }
    }
}

/// The swift-metrics instruments of one session.
final class SessionMetrics: Sendable {
    let label: String
    let connects: Counter
    let disconnects: Counter
    let messagesIn: Counter
    let messagesOut: Counter
    let bytesIn: Counter
    let bytesOut: Counter
    let reconnectLatency: Metrics.Timer
    let uptime: Metrics.Timer

    /// What was published last, so that each publication adds the difference.
    private let published = Mutex(DXLinkSessionStatistics())

    /// Adds to the counters what happened since the last publication.
    func publish(_ now: DXLinkSessionStatistics) {
        let last = published.withLock { p in
            defer { p = now }
            return p
        }
        for (counter, value, before) in [(connects, now.connects, last.connects), (disconnects, now.disconnects, last.disconnects),
                                         (messagesIn, now.messagesIn, last.messagesIn), (messagesOut, now.messagesOut, last.messagesOut),
                                         (bytesIn, now.bytesIn, last.bytesIn), (bytesOut, now.bytesOut, last.bytesOut)]
            where value > before {
            counter.increment(by: value - before)
        }
    }

    init(label: String, factory: any MetricsFactory = MetricsSystem.factory) {
        self.label = label
        let d = [("stage", label)]
        connects = Counter(label: "sluice_dxlink_connects_total", dimensions: d, factory: factory)
        disconnects = Counter(label: "sluice_dxlink_disconnects_total", dimensions: d, factory: factory)
        messagesIn = Counter(label: "sluice_dxlink_messages_in_total", dimensions: d, factory: factory)
        messagesOut = Counter(label: "sluice_dxlink_messages_out_total", dimensions: d, factory: factory)
        bytesIn = Counter(label: "sluice_dxlink_bytes_in_total", dimensions: d, factory: factory)
        bytesOut = Counter(label: "sluice_dxlink_bytes_out_total", dimensions: d, factory: factory)
        reconnectLatency = Metrics.Timer(label: "sluice_dxlink_reconnect_latency_seconds", dimensions: d, factory: factory)
        uptime = Metrics.Timer(label: "sluice_dxlink_connection_uptime_seconds", dimensions: d, factory: factory)
    }
}
