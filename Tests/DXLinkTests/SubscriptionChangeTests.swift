import DXLink
import DXLinkSimulator
import MarketData
import SluiceCore
import SluiceTesting
import Testing

/// Changing what a running session subscribes to: on the machine (what is sent, and when), and over
/// loopback (the server sees add and remove on the same connection, and data follows).
@Suite("Subscriptions changed while the session runs")
struct SubscriptionChangeTests {
    let t0 = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)

    func sent(_ actions: [DXLinkClientStateMachine.Action]) -> [ClientMessage] {
        actions.compactMap { if case .send(let m) = $0 { return m } else { return nil } }
    }

    func quote(_ s: String) -> FeedSubscription { FeedSubscription(type: "Quote", symbol: s) }

    /// A machine subscribed to `config` (every channel open).
    func subscribed(_ config: DXLinkClientConfiguration) -> DXLinkClientStateMachine {
        var m = DXLinkClientStateMachine(configuration: config)
        _ = m.connected(token: "tok", now: t0)
        _ = m.received(.authState(authorized: true), now: t0)
        for (n, _) in config.channelPlan { _ = m.received(.channelOpened(channel: n), now: t0) }
        return m
    }

    @Test("on a subscribed connection: the removals, then the additions, without reset, on the channel of each type")
    func sentAtOnce() {
        var config = DXLinkClientConfiguration(subscriptions: [quote("A"), quote("B"), FeedSubscription(type: "Trade", symbol: "A")])
        config.channelLayout = .perType
        var m = subscribed(config)
        #expect(m.state == .subscribed)
        let change = m.changeSubscriptions(add: [quote("C"), FeedSubscription(type: "Trade", symbol: "C"), quote("A")], remove: [quote("B"), quote("Z")])
        #expect(change.added == [quote("C"), FeedSubscription(type: "Trade", symbol: "C")], "A is already there")
        #expect(change.removed == [quote("B")], "Z never was")
        #expect(sent(change.actions) == [
            .feedSubscription(channel: 7, reset: false, add: [], remove: [quote("B")]),
            .feedSubscription(channel: 7, reset: false, add: [quote("C")], remove: []),
            .feedSubscription(channel: 15, reset: false, add: [FeedSubscription(type: "Trade", symbol: "C")], remove: []),
        ])
        #expect(m.state == .subscribed, "no reconnect, no new handshake")
        #expect(m.subscriptions.map(\.symbol) == ["A", "A", "C", "C"])
    }

    @Test("while not connected a change only updates the set, and the next connection subscribes the new set")
    func betweenConnections() {
        var m = DXLinkClientStateMachine(configuration: DXLinkClientConfiguration(subscriptions: [quote("A"), quote("B")]))
        let change = m.changeSubscriptions(add: [quote("C")], remove: [quote("A")])
        #expect(change.actions.isEmpty)
        _ = m.connected(token: "tok", now: t0)
        _ = m.received(.authState(authorized: true), now: t0)
        let opened = sent(m.received(.channelOpened(channel: 7), now: t0))
        #expect(opened.contains(.feedSubscription(channel: 7, reset: true, add: [quote("B"), quote("C")], remove: [])))
    }

    @Test("a type no channel carries is not added (channel_types opens channels for types with no subscription yet)")
    func uncarriedTypes() {
        var m = subscribed(DXLinkClientConfiguration(subscriptions: [quote("A")]))
        #expect(m.changeSubscriptions(add: [FeedSubscription(type: "Greeks", symbol: "A")], remove: []).added.isEmpty)
        var config = DXLinkClientConfiguration(subscriptions: [])
        config.channelTypes = ["Quote", "Greeks"]
        var empty = subscribed(config)
        #expect(empty.state == .subscribed)
        let change = empty.changeSubscriptions(add: [FeedSubscription(type: "Greeks", symbol: "A")], remove: [])
        #expect(sent(change.actions) == [.feedSubscription(channel: 3, reset: false, add: [FeedSubscription(type: "Greeks", symbol: "A")], remove: [])])
    }

    @Test("20 000 additions go in messages under the byte limit")
    func batched() {
        var config = DXLinkClientConfiguration(subscriptions: [quote("A")])
        config.subscriptionBatchBytes = 8192
        var m = subscribed(config)
        let many = (0..<20_000).map { quote(".SPXW261218C\(1000 + $0)") }
        let messages = sent(m.changeSubscriptions(add: many, remove: []).actions)
        #expect(messages.count > 1)
        #expect(messages.allSatisfy { $0.text.utf8.count <= 8192 })
        let added = messages.flatMap { m -> [FeedSubscription] in if case .feedSubscription(_, _, let add, _) = m { add } else { [] } }
        #expect(added == many)
    }

    @Test("over loopback: the server gets remove and add on the first connection, the added symbol's data arrives, the removed one's stops")
    func loopback() async throws {
        try await DXLinkSimulator.withRunning(simulatorConfiguration()) { sim in
            let probe = SessionProbe(url: sim.url, configuration: DXLinkClientConfiguration(subscriptions: [quote("AAPL"), quote("MSFT")]))
            let frames = try await probe.run { it in
                var seen = await it.collect(untilState: .subscribed)
                seen += await it.collect { _, s in s.contains { $0.dataText?.contains("MSFT") == true } }
                probe.session.changeSubscriptions(add: [quote("SPY")], remove: [quote("MSFT")])
                seen += await it.collect { _, s in s.contains { $0.dataText?.contains("SPY") == true } }
                return seen
            }
            #expect(sim.statistics.connections == 1)
            let subscriptionMessages = (sim.statistics.messages[1] ?? []).compactMap { m -> String? in
                if case .feedSubscription(_, let reset, let add, let remove) = m {
                    return "reset=\(reset) add=\(add.map(\.symbol)) remove=\(remove.map(\.symbol))"
                }
                return nil
            }
            #expect(subscriptionMessages == ["reset=true add=[\"AAPL\", \"MSFT\"] remove=[]", "reset=false add=[] remove=[\"MSFT\"]", "reset=false add=[\"SPY\"] remove=[]"])
            // After the first SPY frame, no MSFT (the removal went first, on the same socket).
            let afterSPY = frames.drop { $0.dataText?.contains("SPY") != true }
            #expect(!afterSPY.contains { $0.dataText?.contains("MSFT") == true })
        }
    }
}
