import DXLink
import MarketData
import SluiceCore
import Testing

@Suite("DXLink session against the simulator over loopback WebSockets")
struct SessionLoopbackTests {
    func simulatorConfiguration() -> SimulatorConfiguration {
        var c = SimulatorConfiguration()
        c.token = "secret-token"
        c.rate = 2000
        return c
    }

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
