import DXLink
import MarketData
import SluiceCore
import Testing

@Suite("DXLink client state machine, without sockets")
struct ClientStateMachineTests {
    let t0 = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)

    func at(_ seconds: Double) -> Timestamp { t0.advanced(by: .milliseconds(Int64(seconds * 1000))) }

    func sent(_ actions: [DXLinkClientStateMachine.Action]) -> [ClientMessage] {
        actions.compactMap { if case .send(let m) = $0 { return m } else { return nil } }
    }

    func authorized(_ config: DXLinkClientConfiguration) -> DXLinkClientStateMachine {
        var m = DXLinkClientStateMachine(configuration: config)
        _ = m.connected(token: "tok", now: at(0))
        _ = m.received(.setup(keepaliveTimeout: 60, version: "x"), now: at(0))
        _ = m.received(.authState(authorized: false), now: at(0))
        _ = m.received(.authState(authorized: true), now: at(0))
        return m
    }

    @Test("the handshake: SETUP, then AUTH once after UNAUTHORIZED, then one CHANNEL_REQUEST per event type")
    func handshake() {
        var config = DXLinkClientConfiguration(subscriptions: [FeedSubscription(type: "Quote", symbol: "A"), FeedSubscription(type: "Trade", symbol: "A")])
        config.channelLayout = .perType
        var m = DXLinkClientStateMachine(configuration: config)
        #expect(sent(m.connected(token: "tok", now: at(0))).map(\.type) == ["SETUP"])
        #expect(sent(m.received(.authState(authorized: false), now: at(0))) == [.auth(token: "tok")])
        #expect(m.state == .authorizing)
        let opened = sent(m.received(.authState(authorized: true), now: at(0)))
        #expect(opened == [.keepalive, .channelRequest(channel: 7, contract: "AUTO"), .channelRequest(channel: 15, contract: "AUTO")])
        _ = m.received(.channelOpened(channel: 7), now: at(0))
        #expect(m.state == .openingChannels)
        let last = m.received(.channelOpened(channel: 15), now: at(0))
        #expect(m.state == .subscribed)
        #expect(last.contains(.status(.subscribed, reason: nil)))
    }

    @Test("a later UNAUTHORIZED is a rejected token, reported once — never a second AUTH")
    func rejected() {
        var m = DXLinkClientStateMachine(configuration: DXLinkClientConfiguration(subscriptions: []))
        _ = m.connected(token: "bad", now: at(0))
        _ = m.received(.authState(authorized: false), now: at(0))
        let actions = m.received(.authState(authorized: false), now: at(0))
        #expect(sent(actions).isEmpty)
        #expect(actions.contains { if case .tokenRejected = $0 { true } else { false } })
        #expect(m.received(.authState(authorized: false), now: at(0)).isEmpty)
    }

    @Test("KEEPALIVE every interval, capped at half the server's timeout")
    func keepalive() {
        var config = DXLinkClientConfiguration(subscriptions: [])
        config.keepaliveInterval = .seconds(40)
        var m = authorized(config)
        #expect(m.keepaliveInterval == .seconds(30))
        #expect(m.tick(now: at(29)).isEmpty)
        _ = m.received(.keepalive, now: at(29))
        #expect(sent(m.tick(now: at(30))) == [.keepalive])
        #expect(m.tick(now: at(31)).isEmpty)
    }

    @Test("a server silent past its keepalive timeout is a dead connection")
    func silence() {
        var m = authorized(DXLinkClientConfiguration(subscriptions: []))
        _ = m.received(.keepalive, now: at(10))
        #expect(!m.tick(now: at(69)).contains { if case .disconnect = $0 { true } else { false } })
        #expect(m.tick(now: at(70.5)).contains { if case .disconnect = $0 { true } else { false } })
    }

    @Test("a handshake step that never completes times out")
    func stepTimeout() {
        var m = DXLinkClientStateMachine(configuration: DXLinkClientConfiguration(subscriptions: []))
        _ = m.connected(token: "t", now: at(0))
        #expect(m.tick(now: at(9)).isEmpty)
        #expect(m.tick(now: at(10)).contains { if case .disconnect = $0 { true } else { false } })
    }

    @Test("FEED_CONFIG fields replace the requested ones in a new layout; an identical one changes nothing")
    func feedConfig() {
        var config = DXLinkClientConfiguration(subscriptions: [FeedSubscription(type: "Quote", symbol: "A")])
        config.eventFields = ["Quote": ["eventSymbol", "bidPrice", "bogus"]]
        var m = authorized(config)
        _ = m.received(.channelOpened(channel: 7), now: at(0))
        let first = m.layout(channel: 7)!
        #expect(first.eventFields["Quote"] == ["eventSymbol", "bidPrice", "bogus"])
        let changed = m.received(.feedConfig(channel: 7, aggregationPeriod: 0.1, dataFormat: "COMPACT", eventFields: ["Quote": ["eventSymbol", "bidPrice"]]), now: at(0))
        #expect(changed.count == 1)
        #expect(m.layout(channel: 7)!.eventFields["Quote"] == ["eventSymbol", "bidPrice"])
        #expect(m.layout(channel: 7)!.id != first.id)
        #expect(m.received(.feedConfig(channel: 7, aggregationPeriod: 0.1, dataFormat: "COMPACT", eventFields: nil), now: at(0)).isEmpty)
    }

    @Test("an unsolicited CHANNEL_CLOSED is answered by requesting the channel again")
    func channelClosed() {
        var m = authorized(DXLinkClientConfiguration(subscriptions: [FeedSubscription(type: "Quote", symbol: "A")]))
        _ = m.received(.channelOpened(channel: 7), now: at(0))
        #expect(sent(m.received(.channelClosed(channel: 7), now: at(1))) == [.channelRequest(channel: 7, contract: "AUTO")])
        #expect(m.state == .openingChannels)
    }

    @Test("after a reconnect, candle subscriptions resume from the newest candle seen")
    func candleResume() {
        let sub = FeedSubscription(type: "Candle", symbol: "SPY{=1m}", fromTime: 1000)
        var m = DXLinkClientStateMachine(configuration: DXLinkClientConfiguration(subscriptions: [sub]))
        m.candleSeen(symbol: "SPY{=1m}", time: 60_000)
        m.candleSeen(symbol: "SPY{=1m}", time: 5_000)
        #expect(m.currentSubscriptions == [FeedSubscription(type: "Candle", symbol: "SPY{=1m}", fromTime: 60_000)])
    }

    @Test("ERROR: TIMEOUT on the connection reconnects, UNAUTHORIZED rejects the token, others are reported and the session goes on")
    func errors() {
        var m = authorized(DXLinkClientConfiguration(subscriptions: []))
        #expect(m.received(.error(channel: 0, error: "TIMEOUT", message: ""), now: at(1)).contains { if case .disconnect = $0 { true } else { false } })
        #expect(m.received(.error(channel: 3, error: "BAD_ACTION", message: "x"), now: at(1)) == [.serverError(channel: 3, code: "BAD_ACTION", message: "x")])
        #expect(m.received(.unknown(type: "WHAT"), now: at(1)) == [.unknownMessage(type: "WHAT")])
        #expect(m.received(.error(channel: 0, error: "UNAUTHORIZED", message: "expired"), now: at(1)).contains { if case .tokenRejected = $0 { true } else { false } })
    }

    @Test("subscriptions are split into messages under the byte limit, none empty, none lost")
    func batching() {
        let subs = (0..<2000).map { FeedSubscription(type: "Quote", symbol: "SYMBOL\($0)") }
        let batches = SubscriptionBatcher.batches(subs, channel: 7, limit: 8192)
        #expect(batches.count > 1)
        #expect(batches.flatMap { $0 } == subs)
        for (i, b) in batches.enumerated() {
            let text = ClientMessage.feedSubscription(channel: 7, reset: i == 0, add: b, remove: []).text
            #expect(text.utf8.count <= 8192)
        }
    }
}
