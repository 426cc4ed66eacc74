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

    func ending(_ actions: [DXLinkClientStateMachine.Action]) -> DXLinkClientStateMachine.Ending? {
        for case .close(let e) in actions { return e }
        return nil
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

    @Test("UNAUTHORIZED in answer to AUTH is a refused token, reported once — never a second AUTH")
    func rejected() {
        var m = DXLinkClientStateMachine(configuration: DXLinkClientConfiguration(subscriptions: []))
        _ = m.connected(token: "bad", now: at(0))
        _ = m.received(.authState(authorized: false), now: at(0))
        let actions = m.received(.authState(authorized: false), now: at(0))
        #expect(sent(actions).isEmpty)
        #expect(ending(actions) == .authRefused(reason: "the server answered AUTH with AUTH_STATE UNAUTHORIZED"))
        #expect(m.state == .closing)
        #expect(m.received(.authState(authorized: false), now: at(0)).isEmpty)
    }

    @Test("an ERROR UNAUTHORIZED in a running session is counted and reconnects (not a refused token); AUTH_STATE UNAUTHORIZED there too")
    func withdrawn() {
        let config = DXLinkClientConfiguration(subscriptions: [FeedSubscription(type: "Quote", symbol: "A")])
        var m = authorized(config)
        _ = m.received(.channelOpened(channel: 7), now: at(0))
        let actions = m.received(.error(channel: 0, error: "UNAUTHORIZED", message: "session expired"), now: at(5))
        #expect(actions.first == .serverError(channel: 0, code: "UNAUTHORIZED", message: "session expired"))
        #expect(ending(actions) == .unauthorized(reason: "server error UNAUTHORIZED: session expired"))
        #expect(m.reachedSubscribed)

        var n = authorized(config)
        #expect(ending(n.received(.authState(authorized: false), now: at(1))) == .unauthorized(reason: "the server withdrew the authorization (AUTH_STATE UNAUTHORIZED)"))
    }

    @Test("once the machine decides to close, it sends nothing more, reads nothing more and has no deadline")
    func nothingAfterClose() {
        var m = authorized(DXLinkClientConfiguration(subscriptions: []))
        let actions = m.tick(now: at(61))
        #expect(sent(actions) == [.error(channel: 0, error: "TIMEOUT", message: "nothing received for 1m")])
        #expect(ending(actions) == .lost(reason: "server silent for more than 1m"))
        #expect(m.nextTick == nil)
        #expect(m.tick(now: at(200)).isEmpty)
        #expect(m.received(.keepalive, now: at(201)).isEmpty)
        #expect(m.disconnected(transport: "the server closed the connection") == .lost(reason: "server silent for more than 1m"))
        #expect(m.state == .idle)
    }

    @Test("KEEPALIVE from the first second: the timer runs from the socket's opening, and SETUP's shorter timeout moves it earlier")
    func keepaliveFromStart() {
        var config = DXLinkClientConfiguration(subscriptions: [])
        config.keepaliveInterval = .seconds(3)
        var m = DXLinkClientStateMachine(configuration: config)
        _ = m.connected(token: "t", now: at(0))
        #expect(m.nextTick == at(3))
        #expect(sent(m.tick(now: at(3))) == [.keepalive])
        _ = m.received(.setup(keepaliveTimeout: 2, version: "x"), now: at(3.5))
        #expect(m.keepaliveInterval == .seconds(1))
        #expect(m.silenceTimeout == .seconds(2))
        #expect(m.nextTick == at(4))
        #expect(sent(m.tick(now: at(4))) == [.keepalive])
    }

    @Test("while a frame is being handed downstream, silence is not counted: the reader could not read")
    func deliveryPausesSilence() {
        var m = authorized(DXLinkClientConfiguration(subscriptions: []))
        m.deliveryStarted()
        #expect(ending(m.tick(now: at(100))) == nil)
        m.deliveryFinished(now: at(130))
        #expect(ending(m.tick(now: at(189))) == nil)
        #expect(ending(m.tick(now: at(191))) == .lost(reason: "server silent for more than 1m"))
    }

    @Test("the candle channel asks for the HISTORY contract, live channels for AUTO; a shared layout gives candles their own channel")
    func contracts() {
        var config = DXLinkClientConfiguration(subscriptions: [FeedSubscription(type: "Quote", symbol: "A"), FeedSubscription(type: "Candle", symbol: "A{=1m}", fromTime: 0)])
        var m = DXLinkClientStateMachine(configuration: config)
        _ = m.connected(token: "t", now: at(0))
        _ = m.received(.authState(authorized: false), now: at(0))
        #expect(sent(m.received(.authState(authorized: true), now: at(0))) == [.keepalive, .channelRequest(channel: 1, contract: "HISTORY"), .channelRequest(channel: 7, contract: "AUTO")])
        config.channelLayout = .shared
        #expect(config.channelPlan.map(\.channel) == [1, 3])
        #expect(config.contract(channel: 1) == .auto && config.contract(channel: 3) == .history)
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
        #expect(ending(m.tick(now: at(69))) == nil)
        #expect(ending(m.tick(now: at(70.5))) == .lost(reason: "server silent for more than 1m"))
    }

    @Test("a handshake step that never completes times out")
    func stepTimeout() {
        var m = DXLinkClientStateMachine(configuration: DXLinkClientConfiguration(subscriptions: []))
        _ = m.connected(token: "t", now: at(0))
        #expect(m.tick(now: at(9)).isEmpty)
        #expect(ending(m.tick(now: at(10))) == .lost(reason: "timed out after 10s waiting for SETUP and AUTH_STATE"))
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

    @Test("candle history resumes only from candles delivered in a completed snapshot or live after it, never from an unfinished snapshot")
    func candleResume() {
        let symbol = "SPY{=1m}"
        let sub = FeedSubscription(type: "Candle", symbol: symbol, fromTime: 1000)
        var m = DXLinkClientStateMachine(configuration: DXLinkClientConfiguration(subscriptions: [sub]))
        _ = m.connected(token: "t", now: at(0))
        // Newest first; the connection drops before SNAPSHOT_END.
        m.candlesDelivered([(symbol, 180_000, [.snapshotBegin]), (symbol, 120_000, [])])
        #expect(m.currentSubscriptions == [sub])
        _ = m.disconnected(transport: "reset")
        _ = m.connected(token: "t", now: at(1))
        #expect(m.currentSubscriptions == [sub])
        // The next connection completes its snapshot: resume from its newest candle.
        m.candlesDelivered([(symbol, 180_000, [.snapshotBegin]), (symbol, 120_000, []), (symbol, 60_000, [.snapshotEnd])])
        #expect(m.currentSubscriptions == [FeedSubscription(type: "Candle", symbol: symbol, fromTime: 180_000)])
        // Live updates move it on; an empty-snapshot marker (REMOVE_EVENT) never does.
        m.candlesDelivered([(symbol, 240_000, [])])
        m.candlesDelivered([(symbol, 900_000, [.snapshotBegin, .snapshotEnd, .removeEvent])])
        #expect(m.currentSubscriptions == [FeedSubscription(type: "Candle", symbol: symbol, fromTime: 240_000)])
        // A transaction counts once it ends.
        m.candlesDelivered([(symbol, 300_000, [.txPending])])
        #expect(m.candleResumePoints.resumeTime(symbol: symbol) == 240_000)
        m.candlesDelivered([(symbol, 300_000, [])])
        #expect(m.candleResumePoints.resumeTime(symbol: symbol) == 300_000)
    }

    @Test("ERROR: TIMEOUT on the connection reconnects, UNAUTHORIZED reconnects for a new AUTH, others are reported and the session goes on")
    func errors() {
        var m = authorized(DXLinkClientConfiguration(subscriptions: []))
        #expect(ending(m.received(.error(channel: 0, error: "TIMEOUT", message: ""), now: at(1))) == .lost(reason: "server error TIMEOUT: "))
        m = authorized(DXLinkClientConfiguration(subscriptions: []))
        #expect(m.received(.error(channel: 3, error: "BAD_ACTION", message: "x"), now: at(1)) == [.serverError(channel: 3, code: "BAD_ACTION", message: "x")])
        #expect(m.received(.unknown(type: "WHAT"), now: at(1)) == [.unknownMessage(type: "WHAT")])
        #expect(ending(m.received(.error(channel: 0, error: "UNAUTHORIZED", message: "expired"), now: at(1))) == .unauthorized(reason: "server error UNAUTHORIZED: expired"))
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
