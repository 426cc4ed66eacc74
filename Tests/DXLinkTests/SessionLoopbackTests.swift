import DXLink
import DXLinkSimulator
import MarketData
import SluiceCore
import SluiceTesting
import Testing

@Suite("DXLink session against the simulator over loopback WebSockets")
struct SessionLoopbackTests {

    @Test("handshake negotiates fields: SETUP, AUTH, CHANNEL_REQUEST, FEED_SETUP, FEED_SUBSCRIPTION in order, data decodes")
    func handshake() async throws {
        try await DXLinkSimulator.withRunning(simulatorConfiguration()) { sim in
            var config = DXLinkClientConfiguration(subscriptions: ["AAPL", "MSFT"].map { FeedSubscription(type: "Quote", symbol: $0) })
            config.eventFields["Quote"] = ["eventSymbol", "bidPrice", "askPrice", "notAField"]
            let probe = SessionProbe(url: sim.url, configuration: config)
            let frames = try await probe.run { it in
                await it.collect { _, seen in seen.filter { $0.dataText != nil }.count >= 5 }
            }
            let states = frames.compactMap(\.status).map(\.state)
            #expect(Array(states.prefix(4)) == [.connecting, .connected, .authorized, .subscribed])
            let sent = sim.statistics.messages[1] ?? []
            let types = sent.map(\.type)
            #expect(Array(types.prefix(3)) == ["SETUP", "AUTH", "KEEPALIVE"])
            #expect(sent.contains(.auth(token: "secret-token")))
            #expect(sent.contains(.channelRequest(channel: 7, contract: "AUTO")))
            #expect(sent.contains(.feedSetup(channel: 7, aggregationPeriod: 0.1, dataFormat: "COMPACT",
                                             eventFields: ["Quote": ["eventSymbol", "bidPrice", "askPrice", "notAField"]])))
            // The server dropped the unknown field; FEED_CONFIG told the client, and frames decode with three fields.
            let data = frames.filter { $0.dataText != nil }
            guard case .data(_, let layout) = data.last!.content else { return }
            #expect(layout.eventFields["Quote"] == ["eventSymbol", "bidPrice", "askPrice"])
            let (events, stats) = decodeAll(data)
            #expect(stats.malformedFrames == 0 && stats.malformedEvents == 0)
            #expect(!events.isEmpty)
            for case .quote(let q) in events {
                #expect(["AAPL", "MSFT"].contains(q.eventSymbol))
                #expect(q.bidPrice < q.askPrice)
                #expect(q.bidSize.isNaN)
            }
        }
    }
}

extension SessionLoopbackTests {
    @Test("1 500 symbols are subscribed in several FEED_SUBSCRIPTION messages, each under the 8 KB limit")
    func subscriptionBatching() async throws {
        try await DXLinkSimulator.withRunning(simulatorConfiguration()) { sim in
            let symbols = (0..<1500).map { "SYM\($0)" }
            let probe = SessionProbe(url: sim.url, configuration: DXLinkClientConfiguration(subscriptions: symbols.map { FeedSubscription(type: "Quote", symbol: $0) }))
            _ = try await probe.run { it in await it.collect(untilState: .subscribed) }
            let arrived = try await eventually { sim.statistics.messages[1]?.filter { $0.type == "FEED_SUBSCRIPTION" }.count ?? 0 >= 2 }
            #expect(arrived)
            let subs = sim.statistics.messages[1]!.compactMap { m -> [FeedSubscription]? in
                if case .feedSubscription(_, _, let add, _) = m { return add } else { return nil }
            }
            #expect(subs.count > 1)
            #expect(subs.flatMap { $0 }.map(\.symbol) == symbols)
            #expect(sim.statistics.largestClientMessage <= 8192)
        }
    }

    @Test("keepalive both ways: the client sends KEEPALIVE on its timer, and server keepalives alone keep a quiet connection up")
    func keepaliveBothWays() async throws {
        // Client and server share a manual clock; each step is 100 ms of keepalive time.
        let clock = ManualClock()
        var simConfig = simulatorConfiguration()
        simConfig.maxEvents = 0
        simConfig.keepaliveInterval = .milliseconds(50)
        try await DXLinkSimulator.withRunning(simConfig, clock: clock) { sim in
            var config = DXLinkClientConfiguration(subscriptions: [FeedSubscription(type: "Quote", symbol: "AAPL")])
            config.keepaliveInterval = .milliseconds(100)
            config.silenceTimeout = .milliseconds(300)  // no data at all: only the server's keepalives keep it up
            let probe = SessionProbe(url: sim.url, configuration: config, clock: clock)
            let frames = try await probe.run { it in
                let frames = await it.collect(untilState: .subscribed)
                let before = sim.statistics.keepalivesReceived  // (one comes with AUTH)
                for step in 1...10 {
                    let heard = probe.session.statistics.messagesIn
                    // The client's KEEPALIVE is in, and the client has heard the server (a KEEPALIVE, once
                    // it has been idle for 50 ms) before the next step.
                    let kept = try await advance(clock, by: .milliseconds(100)) {
                        sim.statistics.keepalivesReceived >= before + step && probe.session.statistics.messagesIn > heard
                    }
                    #expect(kept, "keepalives both ways \(step * 100) ms into the connection: received \(sim.statistics.keepalivesReceived), sent \(sim.statistics.keepalivesSent), heard \(probe.session.statistics.messagesIn - heard), \(before) before")
                    if !kept { break }
                }
                return frames
            }
            #expect(sim.statistics.keepalivesSent >= 9, "the server's keepalives are all the client heard after the handshake")
            #expect(sim.statistics.connections == 1)
            #expect(probe.session.statistics.disconnects == 1)  // the final, requested close only
            #expect(!frames.contains { $0.status?.state == .disconnected })
        }
    }

    @Test("after a dropped connection the client reconnects, resubscribes everything and resumes candles from the last one seen")
    func reconnectAndBackfill() async throws {
        var simConfig = simulatorConfiguration()
        simConfig.faults.dropEvery = 15
        simConfig.faults.connections = 1
        try await DXLinkSimulator.withRunning(simConfig) { sim in
            let from = Timestamp.now.millisecondsSinceEpoch - 3_600_000
            let subs = [FeedSubscription(type: "Quote", symbol: "AAPL"), FeedSubscription(type: "Trade", symbol: "AAPL"),
                        FeedSubscription(type: "Candle", symbol: "SPY{=1m}", fromTime: from)]
            let probe = SessionProbe(url: sim.url, configuration: DXLinkClientConfiguration(subscriptions: subs))
            let frames = try await probe.run { it in await it.collect(untilState: .subscribed, count: 2) }
            let states = frames.compactMap(\.status).map(\.state)
            #expect(states.contains(.disconnected) && states.contains(.reconnecting))
            let lastCandle = decodeAll(frames.filter { $0.epoch == 1 }).events.compactMap { e -> Int64? in
                if case .candle(let c) = e { return c.time.millisecondsSinceEpoch } else { return nil }
            }.max()
            let second = sim.statistics.messages[2] ?? []
            let resubscribed = second.flatMap { m -> [FeedSubscription] in
                if case .feedSubscription(_, _, let add, _) = m { return add } else { return [] }
            }
            #expect(Set(resubscribed.map { "\($0.type)|\($0.symbol)" }) == ["Quote|AAPL", "Trade|AAPL", "Candle|SPY{=1m}"])
            let candle = resubscribed.first { $0.type == "Candle" }
            #expect(lastCandle != nil)
            #expect(candle?.fromTime == lastCandle)
            #expect(candle?.fromTime ?? 0 > from)
        }
    }

    @Test("a server that falls silent is detected within the silence timeout and the client reconnects")
    func silentServer() async throws {
        var simConfig = simulatorConfiguration()
        simConfig.faults.silentAfter = 3
        simConfig.faults.connections = 1
        try await DXLinkSimulator.withRunning(simConfig) { sim in
            var config = DXLinkClientConfiguration(subscriptions: [FeedSubscription(type: "Quote", symbol: "AAPL")])
            config.silenceTimeout = .seconds(1)
            let probe = SessionProbe(url: sim.url, configuration: config)
            let frames = try await probe.run { it in await it.collect(untilState: .subscribed, count: 2) }
            let disconnect = frames.compactMap(\.status).first { $0.state == .disconnected }
            #expect(disconnect?.reason?.contains("silent") == true)
            #expect(sim.statistics.connections == 2)
        }
    }

    @Test("malformed frames, unknown message types and ERROR messages are counted and the stream goes on")
    func faultsDoNotEndTheStream() async throws {
        var simConfig = simulatorConfiguration()
        simConfig.faults.malformedEvery = 3
        simConfig.faults.unknownEvery = 4
        simConfig.faults.errorEvery = 5
        try await DXLinkSimulator.withRunning(simConfig) { sim in
            var config = DXLinkClientConfiguration(subscriptions: [FeedSubscription(type: "Quote", symbol: "AAPL")])
            config.channelLayout = .shared
            let probe = SessionProbe(url: sim.url, configuration: config)
            let frames = try await probe.run { it in
                await it.collect { _, seen in seen.filter { $0.dataText != nil }.count >= 40 }
            }
            let (events, stats) = decodeAll(frames)
            #expect(stats.malformedFrames >= 2)
            #expect(events.count > 20)
            let s = probe.session.statistics
            #expect(s.unknownMessages >= 2)
            #expect(s.serverErrors["UNKNOWN", default: 0] >= 2)
            #expect(sim.statistics.connections == 1)
            #expect(!frames.contains { $0.status?.state == .disconnected })
        }
    }

    @Test("a wrong token gives one clear error: one AUTH, no retry loop, no token in the message")
    func wrongToken() async throws {
        try await DXLinkSimulator.withRunning(simulatorConfiguration()) { sim in
            let probe = SessionProbe(url: sim.url, token: "wrong-token-123", configuration: DXLinkClientConfiguration(subscriptions: [FeedSubscription(type: "Quote", symbol: "AAPL")]))
            let error = await #expect(throws: DXLinkError.self) {
                try await probe.run { it in await it.collect(untilState: .closed) }
            }
            #expect(error?.code == .unauthorized)
            #expect(error?.description.contains("wrong-token-123") == false)
            #expect(sim.statistics.rejectedTokens == 1)
            #expect(sim.statistics.connections == 1)
        }
    }

    @Test("lossless run: decoded events per type and symbol equal what the simulator sent", arguments: [DataFormat.compact, .full])
    func lossless(format: DataFormat) async throws {
        var simConfig = simulatorConfiguration()
        simConfig.rate = nil
        simConfig.maxEvents = 6000
        try await DXLinkSimulator.withRunning(simConfig) { sim in
            let types = MarketEventType.allCases.filter { $0 != .candle }.map(\.rawValue)
            var subs: [FeedSubscription] = []
            for symbol in ["AAPL", "SPY", ".SPY251219C500"] { for t in types { subs.append(FeedSubscription(type: t, symbol: symbol)) } }
            var config = DXLinkClientConfiguration(subscriptions: subs)
            config.dataFormat = format
            let probe = SessionProbe(url: sim.url, configuration: config)
            let (events, decoder) = try await probe.run { it in
                var decoder = FeedDecoder()
                var events: [MarketEvent] = []
                while events.count < 6000, let frame = await it.next() {
                    if case .data(let text, let layout) = frame.content { decoder.decode(text, layout: layout, into: &events) }
                }
                return (events, decoder)
            }
            #expect(decoder.statistics.malformedFrames == 0 && decoder.statistics.malformedEvents == 0)
            var got: [String: Int] = [:]
            for e in events { got["\(e.eventType)|\(e.symbol ?? "")", default: 0] += 1 }
            #expect(got == sim.statistics.eventsSent)
            #expect(got.values.reduce(0, +) == 6000)
        }
    }
}
