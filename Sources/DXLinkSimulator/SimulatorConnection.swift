import DXLink
import MarketData
import NIOCore
import NIOWebSocket
import SluiceCore
import Synchronization

/// One client connection to the simulator: the server side of the protocol, plus the data producer.
struct SimulatorConnection: Sendable {
    let simulator: DXLinkSimulator
    let number: Int

    struct Channel {
        var format: DataFormat = .full
        var fields: [String: [String]] = [:]
        var subscriptions: [FeedSubscription] = []
        var contract = "AUTO"

        func fields(for type: String) -> [String] {
            fields[type] ?? MarketEventType(rawValue: type)?.fields.map(\.wireName) ?? ["eventSymbol"]
        }
    }

    struct Session {
        var authorized = false
        var authFailures = 0
        var channels: [Int: Channel] = [:]
        var lastInbound: Timestamp
        var lastOutbound: Timestamp
        var dataFrames = 0
        var silent = false
        var cursor = 0
        /// Live events served per symbol, for symbols with an event limit.
        var servedPerSymbol: [String: Int] = [:]
        var market: SyntheticMarket
        var encoder = FeedDataEncoder()
    }

    final class Shared: Sendable {
        let session: Mutex<Session>
        init(_ s: sending Session) { session = Mutex(s) }
    }

    private var configuration: SimulatorConfiguration { simulator.configuration }
    private var faulty: Bool { configuration.faults.connections.map { number <= $0 } ?? true }

    /// The live events `symbol` gets on this connection (`nil`: no limit); a candle symbol has its base's.
    private func eventLimit(_ symbol: String) -> Int? {
        let limits = configuration.faults.symbolEventLimits
        guard faulty, !limits.isEmpty else { return nil }
        return limits[symbol] ?? CandleSymbol(symbol).flatMap { limits[$0.base] }
    }

    func serve(_ ws: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) async {
        let channel = ws.channel
        let shared = Shared(Session(lastInbound: simulator.clock.now, lastOutbound: simulator.clock.now, market: SyntheticMarket(seed: configuration.seed)))
        await withTaskCancellationHandler {
            try? await ws.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await produce(shared, outbound, channel) }
                    var pending = ByteBuffer()
                    for try await frame in inbound {
                        switch frame.opcode {
                        case .text, .continuation:
                            var data = frame.unmaskedData
                            pending.writeBuffer(&data)
                            guard frame.fin else { continue }
                            let text = String(buffer: pending)
                            pending.clear()
                            try await handle(text, shared, outbound, channel)
                        case .ping:
                            try await outbound.write(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
                        case .connectionClose:
                            try? await outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: ByteBuffer(bytes: [0x03, 0xE8])))
                            group.cancelAll()
                            return
                        default:
                            continue
                        }
                    }
                    group.cancelAll()
                }
            }
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    private func send(_ text: String, _ shared: Shared, _ outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) async throws {
        let silent = shared.session.withLock { s in
            if !s.silent { s.lastOutbound = simulator.clock.now }
            return s.silent
        }
        guard !silent else { return }
        try await outbound.write(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)))
    }

    private func record(_ f: (inout SimulatorStatistics) -> Void) {
        simulator.state.statistics.withLock { f(&$0) }
    }

    // MARK: Client messages

    private func handle(_ text: String, _ shared: Shared, _ outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>, _ channel: any NIOCore.Channel) async throws {
        let now = simulator.clock.now
        shared.session.withLock { $0.lastInbound = now }
        record { $0.largestClientMessage = max($0.largestClientMessage, text.utf8.count) }
        guard let object = (try? JSONDocument(parsing: text))?.root.objectValue else {
            try await send(ClientMessage.error(channel: 0, error: "INVALID_MESSAGE", message: "not a JSON object").text, shared, outbound)
            return
        }
        guard let message = ClientMessage.parse(object) else {
            try await send(ClientMessage.error(channel: 0, error: "BAD_ACTION", message: "unsupported message type").text, shared, outbound)
            return
        }
        record { $0.messages[number, default: []].append(message) }
        switch message {
        case .setup:
            let timeout = configuration.keepaliveTimeout.components.seconds
            try await send("{\"type\":\"SETUP\",\"channel\":0,\"keepaliveTimeout\":\(timeout),\"acceptKeepaliveTimeout\":\(timeout),\"version\":\"1.0-sluice-simulator\"}", shared, outbound)
            let open = configuration.token == nil
            if open { shared.session.withLock { $0.authorized = true } }
            try await send("{\"type\":\"AUTH_STATE\",\"channel\":0,\"state\":\"\(open ? "AUTHORIZED" : "UNAUTHORIZED")\"}", shared, outbound)
        case .auth(let token):
            let refused = faulty && configuration.faults.refuseAllTokens
            if !refused && (configuration.token == nil || configuration.token == token) {
                shared.session.withLock { $0.authorized = true }
                try await send("{\"type\":\"AUTH_STATE\",\"channel\":0,\"state\":\"AUTHORIZED\",\"userId\":\"simulated\"}", shared, outbound)
            } else {
                record { $0.rejectedTokens += 1 }
                let failures = shared.session.withLock { $0.authorized = false; $0.authFailures += 1; return $0.authFailures }
                try await send("{\"type\":\"AUTH_STATE\",\"channel\":0,\"state\":\"UNAUTHORIZED\"}", shared, outbound)
                if failures >= 3 { try? await channel.close() }
            }
        case .keepalive:
            record { $0.keepalivesReceived += 1 }
        case let .channelRequest(n, contract):
            guard shared.session.withLock({ $0.authorized }) else {
                try await send(ClientMessage.error(channel: n, error: "UNAUTHORIZED", message: "channel request before authorization").text, shared, outbound)
                return
            }
            shared.session.withLock { s in
                var ch = s.channels[n] ?? Channel()
                ch.contract = contract
                s.channels[n] = ch
            }
            try await send("{\"type\":\"CHANNEL_OPENED\",\"channel\":\(n),\"service\":\"FEED\",\"parameters\":{\"contract\":\"\(contract)\",\"subFormat\":\"LIST\"}}", shared, outbound)
        case .channelCancel(let n):
            shared.session.withLock { _ = $0.channels.removeValue(forKey: n) }
            try await send("{\"type\":\"CHANNEL_CLOSED\",\"channel\":\(n)}", shared, outbound)
        case let .feedSetup(n, period, format, fields):
            let reply: String? = shared.session.withLock { s in
                guard var ch = s.channels[n] else { return nil }
                if let format, let f = DataFormat(rawValue: format) { ch.format = f }
                var effective: [String: [String]] = [:]
                for (type, list) in fields {
                    guard let known = MarketEventType(rawValue: type) else { continue }
                    var names = Set(known.fields.map(\.wireName))
                    names.insert("eventType")
                    if names.contains("vwap") { names.insert("VWAP") }
                    let kept = list.filter(names.contains)
                    ch.fields[type] = kept
                    effective[type] = kept
                }
                s.channels[n] = ch
                var w = JSONWriter()
                w.raw("{\"type\":\"FEED_CONFIG\",\"channel\":")
                w.integer(Int64(n))
                w.raw(",\"aggregationPeriod\":")
                w.number(period ?? 0.1)
                w.raw(",\"dataFormat\":")
                w.string(ch.format.rawValue)
                if !effective.isEmpty {
                    w.raw(",\"eventFields\":")
                    w.write(.object(JSONObject(effective.keys.sorted().map { ($0, JSONValue.array(effective[$0]!.map(JSONValue.string))) })))
                }
                w.raw("}")
                return w.string
            }
            if let reply {
                try await send(reply, shared, outbound)
            } else {
                try await send(ClientMessage.error(channel: n, error: "BAD_ACTION", message: "channel \(n) is not open").text, shared, outbound)
            }
        case let .feedSubscription(n, reset, add, remove):
            let known = shared.session.withLock { s -> Bool in
                guard var ch = s.channels[n] else { return false }
                if reset { ch.subscriptions = [] }
                ch.subscriptions.removeAll { r in remove.contains { $0.type == r.type && $0.symbol == r.symbol } }
                s.channels[n] = ch
                return true
            }
            guard known else {
                try await send(ClientMessage.error(channel: n, error: "BAD_ACTION", message: "channel \(n) is not open").text, shared, outbound)
                return
            }
            for sub in add {
                if sub.type == "Candle", let from = sub.fromTime, eventLimit(sub.symbol) != 0 {
                    try await sendHistory(sub.symbol, from: from, channel: n, shared, outbound, channel)
                }
                shared.session.withLock { s in
                    s.channels[n]?.subscriptions.removeAll { $0.type == sub.type && $0.symbol == sub.symbol }
                    s.channels[n]?.subscriptions.append(sub)
                }
            }
        case .error:
            break
        }
    }

    private func sendHistory(_ symbol: String, from: Int64, channel n: Int, _ shared: Shared, _ outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>,
                             _ channel: any NIOCore.Channel) async throws {
        let now = Timestamp.now.millisecondsSinceEpoch
        let frames: [(text: String, candles: Int)] = shared.session.withLock { s in
            guard let ch = s.channels[n] else { return [] }
            let candles = s.market.history(symbol: symbol, fromMs: from, nowMs: now, limit: configuration.maxHistoryCandles)
            let fields = ch.fields(for: "Candle")
            var out: [(String, Int)] = []
            var i = 0
            while i < candles.count {
                let chunk = Array(candles[i..<min(candles.count, i + configuration.eventsPerFrame)])
                out.append((s.encoder.message(channel: n, format: ch.format, groups: [(fields, chunk)]), chunk.count))
                i += chunk.count
            }
            return out
        }
        let total = frames.reduce(0) { $0 + $1.candles }
        var sent = 0
        for frame in frames {
            try await send(frame.text, shared, outbound)
            sent += frame.candles
            record { $0.eventsSent["Candle|\(symbol)", default: 0] += frame.candles; $0.dataFrames += 1 }
            if faulty, let after = configuration.faults.dropInHistoryAfter, sent >= after, sent < total {
                record { $0.faults["drop_in_history", default: 0] += 1 }
                try? await channel.close()
                throw CancellationError()
            }
        }
    }

    // MARK: Data

    private func produce(_ shared: Shared, _ outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>, _ channel: any NIOCore.Channel) async throws {
        let start = ContinuousClock.now
        var sentLive = 0
        while true {
            try Task.checkCancellation()
            let now = simulator.clock.now
            let (silent, idleIn, idleOut) = shared.session.withLock { s in (s.silent, s.lastInbound.duration(to: now), s.lastOutbound.duration(to: now)) }
            if idleIn > configuration.keepaliveTimeout {
                try? await send(ClientMessage.error(channel: 0, error: "TIMEOUT", message: "no keepalive for \(configuration.keepaliveTimeout)").text, shared, outbound)
                try? await channel.close()
                return
            }
            if silent {
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            if idleOut >= configuration.keepaliveInterval {
                record { $0.keepalivesSent += 1 }
                try await send("{\"type\":\"KEEPALIVE\",\"channel\":0}", shared, outbound)
            }
            var n = configuration.eventsPerFrame
            if let rate = configuration.rate {
                let elapsed = start.duration(to: .now)
                let due = Int(elapsed.seconds * rate) - sentLive
                if due <= 0 {
                    try await Task.sleep(for: .milliseconds(rate >= 100 ? 10 : max(1, Int(1000 / rate))))
                    continue
                }
                n = min(due, configuration.eventsPerFrame * 8)
            }
            let hasSubscriptions = shared.session.withLock { s in s.channels.values.contains { !$0.subscriptions.isEmpty } }
            guard hasSubscriptions else {
                try await Task.sleep(for: .milliseconds(10))
                sentLive += n
                continue
            }
            let granted = simulator.state.take(n)
            guard granted > 0 else {
                try await Task.sleep(for: .milliseconds(10))
                sentLive += n
                continue
            }
            let frames = makeFrames(granted, shared)
            for (text, counts) in frames {
                try await send(text, shared, outbound)
                record { st in
                    st.dataFrames += 1
                    for (k, v) in counts { st.eventsSent[k, default: 0] += v }
                }
                if try await injectFaults(shared, outbound, channel) { return }
            }
            sentLive += granted
        }
    }

    /// `n` events round-robin over every subscription, as one frame per channel (several type groups per
    /// frame on a shared channel), each at most `eventsPerFrame` events.
    private func makeFrames(_ n: Int, _ shared: Shared) -> [(String, [String: Int])] {
        shared.session.withLock { s in
            let all = s.channels.keys.sorted().flatMap { c in s.channels[c]!.subscriptions.map { (c, $0) } }
            guard !all.isEmpty else { return [] }
            let now = simulator.clock.now.millisecondsSinceEpoch
            var byChannel: [Int: [(String, [any MarketEventPayload])]] = [:]
            var sentPerSubscription = [Int](repeating: 0, count: all.count)
            for _ in 0..<n {
                let k = s.cursor % all.count
                let (c, sub) = all[k]
                s.cursor += 1
                if let limit = eventLimit(sub.symbol) {
                    guard s.servedPerSymbol[sub.symbol, default: 0] < limit else { continue }
                    s.servedPerSymbol[sub.symbol, default: 0] += 1
                }
                guard let event = s.market.next(sub, nowMs: now) else { continue }
                sentPerSubscription[k] += 1
                var groups = byChannel[c] ?? []
                if let i = groups.firstIndex(where: { $0.0 == sub.type }) { groups[i].1.append(event) } else { groups.append((sub.type, [event])) }
                byChannel[c] = groups
            }
            var frames: [(String, [String: Int])] = []
            for c in byChannel.keys.sorted() {
                guard let ch = s.channels[c] else { continue }
                let groups = byChannel[c]!.map { (fields: ch.fields(for: $0.0), events: $0.1) }
                var counts: [String: Int] = [:]
                for (k, (channel, sub)) in all.enumerated() where channel == c && sentPerSubscription[k] > 0 {
                    counts["\(sub.type)|\(sub.symbol)", default: 0] += sentPerSubscription[k]
                }
                frames.append((s.encoder.message(channel: c, format: ch.format, groups: groups), counts))
            }
            return frames
        }
    }

    /// Applies the configured faults after a data frame; true when the connection was dropped.
    private func injectFaults(_ shared: Shared, _ outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>, _ channel: any NIOCore.Channel) async throws -> Bool {
        guard faulty else { return false }
        let frames = shared.session.withLock { s in s.dataFrames += 1; return s.dataFrames }
        let f = configuration.faults
        func due(_ every: Int?) -> Bool { every.map { $0 > 0 && frames % $0 == 0 } ?? false }
        if due(f.malformedEvery) {
            record { $0.faults["malformed", default: 0] += 1 }
            let broken = (frames / max(1, f.malformedEvery ?? 1)) % 2 == 0
                ? "{\"type\":\"FEED_DATA\",\"channel\":1,\"data\":[\"Quote\",[\"BROKEN\",1.0,"
                : "{\"type\":\"FEED_DATA\",\"channel\":1,\"data\":[\"Quote\",[\"BROKEN\",\"NaN\",17]]}"
            try await send(broken, shared, outbound)
        }
        if due(f.errorEvery) {
            record { $0.faults["error", default: 0] += 1 }
            try await send(ClientMessage.error(channel: 0, error: "UNKNOWN", message: "simulated error").text, shared, outbound)
        }
        if due(f.unknownEvery) {
            record { $0.faults["unknown", default: 0] += 1 }
            try await send("{\"type\":\"SIMULATED_UNKNOWN\",\"channel\":0}", shared, outbound)
        }
        if let after = f.unauthorizedAfter, frames == after {
            record { $0.faults["unauthorized", default: 0] += 1 }
            try await send(ClientMessage.error(channel: 0, error: "UNAUTHORIZED", message: "simulated: authorization withdrawn").text, shared, outbound)
        }
        if let after = f.silentAfter, frames == after {
            record { $0.faults["silent", default: 0] += 1 }
            shared.session.withLock { $0.silent = true }
        }
        if due(f.dropEvery) {
            record { $0.faults["drop", default: 0] += 1 }
            try? await channel.close()
            return true
        }
        return false
    }
}
