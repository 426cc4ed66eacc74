import BuiltinStages
import DXLink
import DXLinkSimulator
import FaultProxy
import MarketData
import SluiceCore
import SluiceTesting
import Synchronization
import Testing

/// The feed never lies: a frozen, vanished or resetting server, a short server keepalive timeout, a
/// withdrawn authorization, a refused token and a connection dropped in the middle of history — each
/// over real loopback sockets, through a fault-injecting proxy where the fault is in the network.
@Suite("DXLink feed faults over loopback, through a fault-injecting proxy")
struct FeedFaultTests {
    func quotes() -> DXLinkClientConfiguration {
        DXLinkClientConfiguration(subscriptions: [FeedSubscription(type: "Quote", symbol: "AAPL")])
    }

    @Test("a frozen server is given up at silence_timeout: disconnected and reconnecting downstream, one Close and nothing after it, then a new connection")
    func frozenServer() async throws {
        try await DXLinkSimulator.withRunning(simulatorConfiguration()) { sim in
            try await FaultProxy.withRunning(upstreamPort: sim.port) { proxy in
                var config = quotes()
                config.silenceTimeout = .seconds(1)
                config.keepaliveInterval = .milliseconds(100)  // a client that keeps talking, to show it stops at Close
                config.closeWait = .milliseconds(200)
                let probe = SessionProbe(url: "ws://127.0.0.1:\(proxy.port)", configuration: config)
                let frames = try await probe.run { it in
                    var seen = await it.collect { _, seen in seen.filter { $0.dataText != nil }.count >= 3 }
                    proxy.set(.freeze)
                    seen += await it.collect(untilState: .reconnecting)
                    proxy.set(.pass)
                    seen += await it.collect(untilState: .subscribed)
                    return seen
                }
                let states = frames.compactMap(\.status)
                let down = states.first { $0.state == .disconnected }
                #expect(down?.reason == "server silent for more than 1s")
                #expect(down?.epoch == 1)
                // (On a loaded machine the first reconnect may itself time out: a later epoch is as good.)
                #expect(states.last?.state == .subscribed && (states.last?.epoch ?? 0) >= 2)
                // The first connection: its last frame is the one Close; the ERROR TIMEOUT just before it.
                let sent = clientFrames(proxy.clientBytes(connection: 0))
                #expect(sent.last?.opcode == 0x8)
                #expect(sent.filter { $0.opcode == 0x8 }.count == 1)
                let lastText = sent.last { $0.opcode == 0x1 }.map { String(decoding: $0.payload, as: UTF8.self) }
                #expect(lastText?.contains("\"error\":\"TIMEOUT\"") == true)
                let abandoned = try await eventually { proxy.connections >= 2 && proxy.openConnections <= 1 }
                #expect(abandoned)
            }
        }
    }

    @Test("a server that vanishes (everything blackholed, no RST) is detected the same way, and the run's last Feed event carries the last real epoch")
    func blackholedServer() async throws {
        try await DXLinkSimulator.withRunning(simulatorConfiguration()) { sim in
            try await FaultProxy.withRunning(upstreamPort: sim.port) { proxy in
                var config = quotes()
                config.silenceTimeout = .milliseconds(500)
                config.closeWait = .milliseconds(100)
                let probe = SessionProbe(url: "ws://127.0.0.1:\(proxy.port)", configuration: config)
                let frames = try await probe.run { it in
                    var seen = await it.collect(untilState: .subscribed)
                    proxy.set(.blackhole(afterBytes: 0))
                    seen += await it.collect(untilState: .reconnecting)
                    proxy.set(.pass)
                    seen += await it.collect(untilState: .subscribed)
                    probe.shutdown.trigger()
                    seen += await it.collect(untilState: .closed)
                    return seen
                }
                #expect(frames.compactMap(\.status).contains { $0.state == .disconnected && $0.reason == "server silent for more than 500ms" })
                let sent = clientFrames(proxy.clientBytes(connection: 0))
                #expect(sent.last?.opcode == 0x8)
                // After shutdown the session's final event is `closed`, with the epoch of the last connection.
                let lastConnection = frames.compactMap(\.status).last { $0.state == .connected }?.epoch
                #expect(frames.last?.status?.state == .closed && frames.last?.epoch == lastConnection && (lastConnection ?? 0) >= 2)
            }
        }
    }

    @Test("a server that accepts TCP but never answers the WebSocket upgrade is given up after the handshake timeout")
    func upgradeNeverAnswered() async throws {
        try await DXLinkSimulator.withRunning(simulatorConfiguration()) { sim in
            try await FaultProxy.withRunning(upstreamPort: sim.port) { proxy in
                var config = quotes()
                config.actionTimeout = .milliseconds(500)
                proxy.set(.freeze)
                let probe = SessionProbe(url: "ws://127.0.0.1:\(proxy.port)", configuration: config)
                let frames = try await probe.run { it in
                    var seen = await it.collect(untilState: .reconnecting)
                    proxy.set(.pass)
                    seen += await it.collect(untilState: .subscribed)
                    return seen
                }
                let down = frames.compactMap(\.status).first { $0.state == .disconnected }
                #expect(down?.reason == "the WebSocket did not open within 500ms")
                #expect(frames.compactMap(\.status).last?.state == .subscribed)
            }
        }
    }

    @Test("a TCP reset is reported as a reset, not as the server closing the connection")
    func reset() async throws {
        try await DXLinkSimulator.withRunning(simulatorConfiguration()) { sim in
            try await FaultProxy.withRunning(upstreamPort: sim.port) { proxy in
                let probe = SessionProbe(url: "ws://127.0.0.1:\(proxy.port)", configuration: quotes())
                let frames = try await probe.run { it in
                    var seen = await it.collect(untilState: .subscribed)
                    proxy.resetAll()
                    seen += await it.collect(untilState: .subscribed)
                    return seen
                }
                let down = frames.compactMap(\.status).first { $0.state == .disconnected }
                #expect(down?.reason == "connection reset by peer (errno 104)")
            }
        }
    }

    @Test("a server keepalive timeout of 2 s: KEEPALIVE every second from the start keeps one connection up")
    func shortServerKeepalive() async throws {
        // Client and server share a manual clock: every second of keepalive time is a step of the test.
        let clock = ManualClock()
        var simConfig = simulatorConfiguration()
        simConfig.maxEvents = 0
        simConfig.keepaliveTimeout = .seconds(2)
        simConfig.keepaliveInterval = .milliseconds(500)
        try await DXLinkSimulator.withRunning(simConfig, clock: clock) { sim in
            var config = quotes()  // keepalive 30 s configured: the server's 2 s timeout must win
            config.silenceTimeout = .seconds(60)  // this test is about the client's keepalives only
            let probe = SessionProbe(url: sim.url, configuration: config, clock: clock)
            let frames = try await probe.run { it in
                let seen = await it.collect(untilState: .subscribed)
                let start = clock.now, before = sim.statistics.keepalivesReceived  // (one comes with AUTH)
                for second in 1...6 {
                    // The client's keepalive timer waits on the clock; one second later it has sent KEEPALIVE.
                    let sent = try await advance(clock, by: .seconds(1)) { sim.statistics.keepalivesReceived >= before + second }
                    #expect(sent, "KEEPALIVE \(second) s into the connection: \(sim.statistics.keepalivesReceived - before) received, clock +\(start.duration(to: clock.now)), \(sim.statistics.connections) connections")
                    if !sent { break }
                }
                return seen
            }
            #expect(sim.statistics.connections == 1)
            #expect(!frames.contains { $0.status?.state == .disconnected })
            #expect(probe.session.statistics.disconnects == 1)  // the final, requested close only
        }
    }

    @Test("one ERROR UNAUTHORIZED mid-session is counted, and the session reconnects and authorizes again")
    func withdrawnAuthorization() async throws {
        var simConfig = simulatorConfiguration()
        simConfig.faults.unauthorizedAfter = 5
        simConfig.faults.connections = 1
        try await DXLinkSimulator.withRunning(simConfig) { sim in
            let probe = SessionProbe(url: sim.url, configuration: quotes())
            let frames = try await probe.run { it in await it.collect(untilState: .subscribed, count: 2) }
            let down = frames.compactMap(\.status).first { $0.state == .disconnected }
            #expect(down?.reason == "server error UNAUTHORIZED: simulated: authorization withdrawn")
            #expect(probe.session.statistics.serverErrors["UNAUTHORIZED"] == 1)
            #expect(sim.statistics.connections == 2)
            #expect(sim.statistics.messages[2]?.contains(.auth(token: "secret-token")) == true)
        }
    }

    /// Hands out numbered tokens and counts the fetches.
    final class NumberedTokens: DXLinkTokenProvider {
        let url: String
        let fetches = Mutex<[Bool]>([])
        init(url: String) { self.url = url }
        var canRenew: Bool { true }
        func endpoint(renew: Bool) async throws -> DXLinkEndpoint {
            let n = fetches.withLock { $0.append(renew); return $0.count }
            return DXLinkEndpoint(url: url, token: "token-number-\(n)")
        }
    }

    @Test("a token that is always refused: one fresh token after the first refusal, then one clear error (no token in it)")
    func alwaysRefused() async throws {
        var simConfig = simulatorConfiguration()
        simConfig.faults.refuseAllTokens = true
        try await DXLinkSimulator.withRunning(simConfig) { sim in
            let tokens = NumberedTokens(url: sim.url)
            let probe = SessionProbe(tokens: tokens, configuration: quotes())
            let error = await #expect(throws: DXLinkError.self) {
                try await probe.run { it in await it.collect(untilState: .closed) }
            }
            #expect(error?.code == .unauthorized)
            #expect(error?.description.contains("refused a freshly fetched token too") == true)
            #expect(error?.description.contains("token-number") == false)
            #expect(tokens.fetches.withLock { $0 } == [false, true])
            #expect(sim.statistics.connections == 2)
            #expect(sim.statistics.rejectedTokens == 2)
        }
    }

    @Test("a drop in the middle of a history snapshot: the next connection asks from the original `from`, and every candle is delivered exactly once")
    func historyNeverSkipped() async throws {
        var simConfig = simulatorConfiguration()
        simConfig.rate = 50
        simConfig.eventsPerFrame = 10
        simConfig.faults.dropInHistoryAfter = 50
        simConfig.faults.connections = 1
        try await DXLinkSimulator.withRunning(simConfig) { sim in
            let symbol = "SPY{=1m}"
            let from = Timestamp.now.millisecondsSinceEpoch - 180 * 60_000
            let probe = SessionProbe(url: sim.url, configuration: DXLinkClientConfiguration(subscriptions: [FeedSubscription(type: "Candle", symbol: symbol, fromTime: from)]))
            let frames = try await probe.run { it in
                await it.collect { frame, _ in
                    guard frame.epoch >= 2, case .data(let text, let layout) = frame.content else { return false }
                    var decoder = FeedDecoder()
                    var events: [MarketEvent] = []
                    decoder.decode(text, layout: layout, into: &events)
                    return events.contains { if case .candle(let c) = $0 { EventFlags(rawValue: c.eventFlags).contains(.snapshotEnd) } else { false } }
                }
            }
            #expect(sim.statistics.faults["drop_in_history"] == 1)
            let resubscribed = (sim.statistics.messages[2] ?? []).flatMap { m -> [FeedSubscription] in
                if case .feedSubscription(_, _, let add, _) = m { return add } else { return [] }
            }
            #expect(resubscribed.first?.fromTime == from)
            let times = assembled(frames).compactMap { e -> Int64? in if case .candle(let c) = e { c.time.millisecondsSinceEpoch } else { nil } }
            let first = (from + 59_999) / 60_000 * 60_000
            let newest = times.max() ?? 0
            #expect(times.count >= 180)
            #expect(times == Array(stride(from: first, through: newest, by: 60_000)))
        }
    }
}

/// Decodes and assembles frames as `dxlink_decode` does: snapshots held until complete, dropped when the
/// connection (epoch) changes.
func assembled(_ frames: [DXLinkFrame]) -> [MarketEvent] {
    var decoder = FeedDecoder()
    var assembler = SnapshotAssembler()
    var epoch: Int64 = 0
    var out: [MarketEvent] = []
    for frame in frames {
        if frame.epoch != epoch {
            epoch = frame.epoch
            _ = assembler.reset()
        }
        guard case .data(let text, let layout) = frame.content else { continue }
        var decoded: [MarketEvent] = []
        decoder.decode(text, layout: layout, into: &decoded)
        for e in decoded {
            if let type = e.type { assembler.add(e, type: type, to: &out) } else { out.append(e) }
        }
    }
    return out
}

@Suite("dxlink_decode counts what it drops, exactly")
struct DecodeCountTests {
    @Test("an unfinished snapshot of 50 candles dropped at a reconnect counts 50 skipped, one per event")
    func unfinishedSnapshotCountsPerEvent() async throws {
        let fields = MarketEventType.candle.fields.map(\.wireName)
        let layout = FeedLayout(id: 1, channel: 1, dataFormat: .compact, eventFields: ["Candle": fields])
        var encoder = FeedDataEncoder()
        let candles: [any MarketEventPayload] = (0..<50).map { i in
            var c = Candle(eventSymbol: "SPY{=1m}")
            c.time = Timestamp(millisecondsSinceEpoch: Int64(1_000_000 - i * 60_000))
            c.index = Int64(i)
            c.eventFlags = i == 0 ? EventFlags.snapshotBegin.rawValue : 0
            return c
        }
        let text = encoder.message(channel: 1, format: .compact, groups: [(fields, candles)])
        let now = Timestamp(millisecondsSinceEpoch: 0)
        let frames = [
            DXLinkFrame(receiveTime: now, epoch: 1, content: .data(text, layout)),
            DXLinkFrame(receiveTime: now, epoch: 2, content: .status(FeedStatus(state: .connecting, time: now, epoch: 2, reason: nil))),
        ]
        let config = try StageHarness.configuration(DXLinkDecodeStage.Configuration.self, json: "{}")
        let run = try await StageHarness.run(DXLinkDecodeStage.self, configuration: config, input: frames, batchSize: 1)
        #expect(run.counters.skipped.value == 50)
        #expect(!run.output.contains { if case .candle = $0 { true } else { false } })
    }
}
