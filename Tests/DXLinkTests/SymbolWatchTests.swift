import MarketData
import SluiceCore
import Testing

/// The subscription watch as a state machine: subscriptions, events and time in; `Symbol` changes out.
@Suite("SymbolWatch: no data, stale and fresh per subscription")
struct SymbolWatchTests {
    static func at(_ seconds: Double) -> Timestamp { Timestamp(nanosecondsSinceEpoch: 1_800_000_000_000_000_000 + Int64(seconds * 1e9)) }

    static func plan(_ symbols: [String], types: [MarketEventType] = [.quote], noData: Duration? = .seconds(30), stale: Duration? = nil) -> SymbolWatch.Plan {
        SymbolWatch.Plan(subscriptions: symbols.flatMap { s in types.map { SymbolWatch.Subscription(symbol: s, type: $0) } },
                         noDataAfter: noData, staleAfter: stale)
    }

    /// A watch and everything it reported.
    struct Run {
        var watch = SymbolWatch()
        var reported: [SymbolStatus] = []

        mutating func check(_ seconds: Double) -> [String] {
            var out: [SymbolStatus] = []
            watch.check(now: SymbolWatchTests.at(seconds), into: &out)
            reported += out
            return out.map { "\($0.symbol) \($0.watchedType) \($0.state.rawValue)" }
        }

        mutating func event(_ symbol: String, _ type: MarketEventType = .quote, at seconds: Double) {
            watch.observe(symbol: symbol, type: type, at: SymbolWatchTests.at(seconds))
        }
    }

    @Test("a subscription with no event is reported no_data once, when no_data_after has passed, and fresh when it finally delivers")
    func noDataOnceThenFresh() {
        var run = Run()
        run.watch.subscribed(Self.plan(["SPY", "NOPE"]), at: Self.at(0))
        run.event("SPY", at: 0.5)
        #expect(run.check(29.9) == [])
        #expect(run.check(30) == ["NOPE Quote no_data"])
        #expect(run.reported.last?.quietSeconds == 30)
        #expect(run.reported.last?.lastEventTime == nil)
        #expect(run.check(31) == [], "reported once, not at every check")
        #expect(run.check(600) == [])
        run.event("NOPE", at: 601)
        #expect(run.check(601.2) == ["NOPE Quote fresh"])
        #expect(run.reported.last?.lastEventTime == Self.at(601))
        #expect(run.watch.summary().counts == [.waiting: 0, .fresh: 2, .stale: 0, .noData: 0])
    }

    @Test("subscriptions that deliver are not reported (waiting → fresh is the normal case), and each event type is judged on its own")
    func perEventType() {
        var run = Run()
        run.watch.subscribed(Self.plan(["SPY", "AAPL"], types: [.quote, .greeks]), at: Self.at(0))
        run.event("SPY", .quote, at: 1)
        run.event("AAPL", .quote, at: 1)
        run.event("AAPL", .greeks, at: 2)
        #expect(run.check(2) == [])
        #expect(run.check(30) == ["SPY Greeks no_data"])
        let summary = run.watch.summary()
        #expect(summary.counts[.fresh] == 3)
        #expect(summary.noData == [SymbolWatch.Subscription(symbol: "SPY", type: .greeks)])
    }

    @Test("a ticking subscription quiet for stale_after while the feed is up is stale; it is fresh again at its next event")
    func staleThenFresh() {
        var run = Run()
        run.watch.subscribed(Self.plan(["SPY", "QQQ"], stale: .seconds(10)), at: Self.at(0))
        run.event("SPY", at: 1)
        run.event("QQQ", at: 1)
        #expect(run.check(2) == [])
        for t in stride(from: 2.0, through: 11, by: 1) { run.event("SPY", at: t) }
        #expect(run.check(10.9) == [])
        #expect(run.check(11) == ["QQQ Quote stale"])
        #expect(run.reported.last?.quietSeconds == 10)
        #expect(run.reported.last?.lastEventTime == Self.at(1))
        #expect(run.check(40) == ["SPY Quote stale"], "QQQ is not reported again")
        run.event("QQQ", at: 41)
        #expect(run.check(41) == ["QQQ Quote fresh"])
    }

    @Test("time while the feed is down is not held against a symbol: nothing is judged while down, and the quiet time restarts at the next subscribed")
    func feedDownPausesJudgement() {
        var run = Run()
        run.watch.subscribed(Self.plan(["SPY", "NOPE"], stale: .seconds(10)), at: Self.at(0))
        run.event("SPY", at: 1)
        run.watch.feedDown()
        #expect(run.check(100) == [], "nothing while the feed is down")
        run.watch.subscribed(Self.plan(["SPY", "NOPE"], stale: .seconds(10)), at: Self.at(100))
        #expect(run.check(105) == [])
        #expect(run.check(110) == ["SPY Quote stale"])
        #expect(run.check(130) == ["NOPE Quote no_data"])
    }

    @Test("a stale subscription stays stale across a reconnect until it delivers (a resubscription is not an event)")
    func staleAcrossReconnect() {
        var run = Run()
        let plan = Self.plan(["QQQ"], stale: .seconds(10))
        run.watch.subscribed(plan, at: Self.at(0))
        run.event("QQQ", at: 1)
        #expect(run.check(11) == ["QQQ Quote stale"])
        run.watch.feedDown()
        run.watch.subscribed(plan, at: Self.at(20))
        #expect(run.check(21) == [])
        #expect(run.check(40) == [])
        run.event("QQQ", at: 41)
        #expect(run.check(41) == ["QQQ Quote fresh"])
    }

    @Test("profiles and summaries are never stale (a server sends them once), but can be no_data")
    func rarelyUpdatedTypes() {
        var run = Run()
        run.watch.subscribed(Self.plan(["SPY", "NOPE"], types: [.profile, .summary], stale: .seconds(10)), at: Self.at(0))
        run.event("SPY", .profile, at: 1)
        run.event("SPY", .summary, at: 1)
        #expect(run.check(1000) == ["NOPE Profile no_data", "NOPE Summary no_data"])
    }

    @Test("no_data_after off: a silent subscription stays waiting; stale_after off: a quiet one stays fresh")
    func limitsOff() {
        var run = Run()
        run.watch.subscribed(Self.plan(["SPY", "NOPE"], noData: nil, stale: nil), at: Self.at(0))
        run.event("SPY", at: 1)
        #expect(run.check(1_000_000) == [])
        #expect(run.watch.summary().counts[.waiting] == 1)
        #expect(run.watch.summary().counts[.fresh] == 1)
    }

    @Test("events need watching only while a subscription has never delivered or staleness is on")
    func needsEvents() {
        var watch = SymbolWatch()
        #expect(!watch.needsEvents)
        watch.subscribed(Self.plan(["SPY", "QQQ"]), at: Self.at(0))
        #expect(watch.needsEvents)
        watch.observe(symbol: "SPY", type: .quote, at: Self.at(1))
        watch.observe(symbol: "SPY", type: .quote, at: Self.at(2))
        #expect(watch.needsEvents)
        watch.observe(symbol: "QQQ", type: .quote, at: Self.at(2))
        #expect(!watch.needsEvents)
        watch.subscribed(Self.plan(["SPY", "QQQ"], stale: .seconds(5)), at: Self.at(3))
        #expect(watch.needsEvents)
    }

    @Test("memory is fixed by the subscriptions: events for symbols never subscribed are ignored, not stored")
    func unsubscribedEventsIgnored() {
        var run = Run()
        run.watch.subscribed(Self.plan(["SPY"]), at: Self.at(0))
        for i in 0..<100_000 { run.event("X\(i)", at: 1) }
        run.event("SPY", .greeks, at: 1)  // a type never subscribed for SPY
        #expect(run.watch.count == 1)
        #expect(run.check(30) == ["SPY Quote no_data"])
    }

    @Test("a new plan keeps what the watch knew about the subscriptions it shares with the old one and forgets the rest")
    func planChange() {
        var run = Run()
        run.watch.subscribed(Self.plan(["SPY", "OLD"]), at: Self.at(0))
        run.event("SPY", at: 1)
        #expect(run.check(30) == ["OLD Quote no_data"])
        run.watch.subscribed(Self.plan(["SPY", "NEW", "SPY"]), at: Self.at(40))
        #expect(run.watch.count == 2, "duplicates count once")
        #expect(run.watch.needsEvents, "NEW has never delivered")
        #expect(run.check(69) == [])
        #expect(run.check(70) == ["NEW Quote no_data"])
        #expect(run.watch.summary().counts == [.waiting: 0, .fresh: 1, .stale: 0, .noData: 1])
    }

    @Test("100 000 symbols × 3 event types: every silent one is reported, and a summary lists at most `limit` per state")
    func largeUniverse() {
        var run = Run()
        let symbols = (0..<100_000).map { ".SPXW261218C\(4000 + $0)" }
        run.watch.subscribed(Self.plan(symbols, types: [.quote, .greeks, .trade]), at: Self.at(0))
        #expect(run.watch.count == 300_000)
        for (i, s) in symbols.enumerated() where i % 2 == 0 {
            run.event(s, .quote, at: 1); run.event(s, .greeks, at: 1); run.event(s, .trade, at: 1)
        }
        #expect(run.check(30).count == 150_000)
        let summary = run.watch.summary(limit: 100)
        #expect(summary.counts[.noData] == 150_000)
        #expect(summary.counts[.fresh] == 150_000)
        #expect(summary.noData.count == 100)
        #expect(summary.noData.first == SymbolWatch.Subscription(symbol: symbols[1], type: .quote))
    }

    @Test("random schedules: every report is a real change of state, the counts always add up, and nothing is reported while the feed is down", arguments: 0..<20)
    func randomSchedules(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let symbols = ["A", "B", "C", "D"]
        let plan = Self.plan(symbols, types: [.quote, .trade], noData: .seconds(5), stale: .seconds(3))
        var watch = SymbolWatch()
        var last: [String: SymbolStatus.State] = [:]
        var up = false
        var t = 0.0
        for _ in 0..<2000 {
            t += Double(rng.next() % 1000) / 1000
            switch rng.next() % 10 {
            case 0:
                watch.subscribed(plan, at: Self.at(t))
                up = true
            case 1:
                watch.feedDown()
                up = false
            case 2, 3, 4, 5:
                watch.observe(symbol: symbols[Int(rng.next() % 4)], type: rng.next() % 2 == 0 ? .quote : .trade, at: Self.at(t))
            default:
                var out: [SymbolStatus] = []
                watch.check(now: Self.at(t), into: &out)
                #expect(up || out.isEmpty)
                for s in out {
                    let key = "\(s.symbol) \(s.watchedType)"
                    #expect(s.state != .waiting)
                    #expect(s.state != last[key], "\(key) reported \(s.state) twice in a row")
                    if s.state == .fresh { #expect(last[key] == .stale || last[key] == .noData) }
                    last[key] = s.state
                }
                let counts = watch.summary().counts
                #expect(counts.values.reduce(0, +) == watch.count)
            }
        }
    }
}
