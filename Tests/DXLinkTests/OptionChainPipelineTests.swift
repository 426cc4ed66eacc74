@testable import BuiltinStages
import DXLink
@testable import DXLinkSimulator
import Foundation
import MarketData
import SluiceCore
import SluiceRuntime
import SluiceTesting
import Tastytrade
import Testing

/// A `dxlink` source with `option_chains` and `futures`, against the offline tastytrade (REST and DXLink on
/// one loopback port) and a manual clock that moves the simulated market: what is subscribed on the
/// wire, and what the pipeline is told.
@Suite("Option chains and futures as live universes")
struct OptionChainPipelineTests {
    /// Monday 2026-12-07 15:00 UTC.
    static let monday = Timestamp(millisecondsSinceEpoch: 1_796_601_600_000 + 15 * 3_600_000)

    static func pipeline(_ sim: DXLinkSimulator, _ extra: String) -> TestPipeline {
        TestPipeline("""
        {"name": "chain", "stages": [
          {"id": "feed", "kind": "dxlink", "config": {
             "tastytrade": {"base_url": "\(sim.restURL)", "client_secret": "secret", "refresh_token": "refresh", "requests_per_second": 1000, "timeout": "300s"},
             \(extra), "no_data_after": "0s"}},
          {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
          {"id": "out", "kind": "collect", "from": "decode"}
        ]}
        """, registry: .marketData)
    }

    static func records() -> [MarketEvent] { (CollectStore.current?.records("out") ?? []).compactMap { $0 as? MarketEvent } }

    static func universe() -> [UniverseChange] {
        records().compactMap { if case .universe(let u) = $0 { u } else { nil } }
    }

    static func quoted(_ symbol: String) -> Bool {
        records().contains { if case .quote(let q) = $0 { q.eventSymbol == symbol } else { false } }
    }

    /// The subscriptions the simulator holds on connection 1, replayed from the client's FEED_SUBSCRIPTION messages.
    static func wire(_ sim: DXLinkSimulator) -> Set<String> {
        var live: [Int: Set<String>] = [:]
        for m in sim.statistics.messages[1] ?? [] {
            guard case .feedSubscription(let channel, let reset, let add, let remove) = m else { continue }
            if reset { live[channel] = [] }
            for r in remove { live[channel]?.remove("\(r.type) \(r.symbol)") }
            for a in add { live[channel, default: []].insert("\(a.type) \(a.symbol)") }
        }
        return live.values.reduce(into: Set<String>()) { $0.formUnion($1) }
    }

    /// The universe the records describe: every added pair not removed since.
    static func described() -> Set<String> {
        var live = Set<String>()
        for u in universe() {
            for type in u.eventTypes {
                if u.change == .added { live.insert("\(type) \(u.symbol)") } else { live.remove("\(type) \(u.symbol)") }
            }
        }
        return live
    }

    static func simulator() -> SimulatorConfiguration {
        var c = SimulatorConfiguration()
        c.token = "quote-token"
        c.rate = 2000
        return c
    }

    @Test("SPXW 0–2 DTE, 3 calls each side of the money: the window is subscribed centred on the index, and as SPX moves it re-centres on the same connection, adding and removing exactly the difference")
    func recentre() async throws {
        let clock = ManualClock(now: Self.monday)
        try await DXLinkSimulator.withRunning(Self.simulator(), clock: clock) { sim in
            let market = SyntheticMarket(seed: 42)
            // When, within the hour, SPX is four strikes (20 points) or more from where it is now.
            let start = Self.monday.millisecondsSinceEpoch
            let later = try #require(stride(from: Int64(20_000), to: 3_600_000, by: 20_000).first { abs(market.spot("SPX", atMs: start + $0) - market.spot("SPX", atMs: start)) > 20 })
            let logs = LogCapture()
            _ = try await Self.pipeline(sim, """
                "option_chains": [{"underlying": "SPX", "roots": ["SPXW"], "dte": {"min": 0, "max": 2}, "strikes_around_atm": 3,
                                   "types": ["call"], "events": ["Quote"], "recenter_strikes": 2}]
                """).run(clock: clock, logger: logs.logger()) { p in
                #expect(try await eventually { Self.universe().count { $0.reason == .chain && $0.symbol.hasPrefix(".SPXW") } == 21 })
                let first = Self.universe()
                #expect(first.first.map { "\($0.change) \($0.symbol) \($0.eventTypes) \($0.reason)" } == "added SPX [\"Quote\", \"Trade\"] chain")
                let chains = try await Self.chains(sim, clock)
                try Self.expectCentred(Self.described(), chains: chains, on: market.spot("SPX", atMs: clock.now.millisecondsSinceEpoch))
                #expect(try await eventually { Self.wire(sim) == Self.described() }, "\(logs.text.split(separator: "\n").filter { $0.contains("warning") || $0.contains("error") }.prefix(5)) described \(Self.described().sorted()) universe \(Self.universe().count) connections \(sim.statistics.connections) \(Self.wire(sim).symmetricDifference(Self.described()).sorted()) \((sim.statistics.messages[1] ?? []).map { "\($0)".prefix(300) })")
                // The index moves.
                try await Self.advance(clock, by: .milliseconds(later))
                #expect(try await eventually { Self.universe().contains { $0.reason == .recenter } })
                #expect(try await eventually {
                    (try? Self.expectCentred(Self.described(), chains: chains, on: market.spot("SPX", atMs: clock.now.millisecondsSinceEpoch), quiet: true)) != nil
                })
                #expect(try await eventually { Self.wire(sim) == Self.described() }, "the wire holds what the records say")
                let moved = Self.universe().filter { $0.reason == .recenter }
                #expect(moved.count { $0.change == .added } == moved.count { $0.change == .removed }, "the window keeps its size")
                p.requestShutdown()
            }
            #expect(sim.statistics.connections == 1, "re-centring never reconnects: \(logs.text.split(separator: "\n").filter { $0.contains("warning") || $0.contains("error") }.prefix(5))")
        }
    }

    /// The chain as the test's own client sees it.
    static func chains(_ sim: DXLinkSimulator, _ clock: ManualClock) async throws -> [OptionChain] {
        var c = TastytradeConfiguration(baseURL: sim.restURL, credentials: TastytradeCredentials(clientSecret: "s", refreshToken: "r"))
        c.retry = RetryPolicy(maxAttempts: 1)
        c.timeout = .seconds(300)
        return try await TastytradeClient(configuration: c, clock: clock).optionChains(underlying: "SPX")
    }

    /// Each expiration of the window holds 7 consecutive listed strikes whose middle one is within a strike
    /// of the one nearest `spot` (the source centres on live quotes, which stray a little from the path).
    static func expectCentred(_ universe: Set<String>, chains: [OptionChain], on spot: Double, quiet: Bool = false) throws {
        let contracts = universe.filter { $0.hasPrefix("Quote .SPXW") }.compactMap { OptionSymbol(streamer: String($0.dropFirst(6))) }
        let byDate = Dictionary(grouping: contracts, by: \.expiration)
        guard byDate.count == 3 else { if quiet { throw Mismatch() }; Issue.record("expirations: \(byDate.keys.sorted())"); return }
        let spxw = try #require(chains.first { $0.root == "SPXW" })
        for (date, options) in byDate {
            let strikes = try #require(spxw.expirations.first { $0.date == date }?.strikes)
            let indices = options.compactMap { o in strikes.firstIndex { $0.price == o.strike } }.sorted()
            let ok = indices.count == 7 && indices.last! - indices.first! == 6 && abs(indices[3] - ChainWindow.nearest(strikes, to: spot)) <= 1
            if !ok {
                if quiet { throw Mismatch() }
                Issue.record("\(date): strikes \(indices.map { strikes[$0].price }) around \(spot)")
            }
        }
    }

    struct Mismatch: Error {}

    /// Moves `clock` on by `total` in 10-second steps, each once fresh data has arrived, so the feed is
    /// never silent for long on the manual clock (the simulator sends in real time).
    static func advance(_ clock: ManualClock, by total: Duration) async throws {
        var left = total
        while left > .zero {
            let step = min(left, .seconds(10))
            let seen = records().count
            clock.advance(by: step)
            left -= step
            _ = try await eventually { records().count > seen }
        }
    }


    @Test("futures by product: /ES resolves to the active month, and rolls live when tastytrade's active month moves (Monday of expiry week)")
    func roll() async throws {
        let sunday = Timestamp(millisecondsSinceEpoch: 1_797_120_000_000 + 86_400_000 - 90_000)  // 2026-12-13 23:58:30 UTC
        let clock = ManualClock(now: sunday)
        try await DXLinkSimulator.withRunning(Self.simulator(), clock: clock) { sim in
            let logs = LogCapture()
            _ = try await Self.pipeline(sim, """
                "futures": [{"product": "ES", "month": "active", "events": ["Quote"], "refresh": "30s"}]
                """).run(clock: clock, logger: logs.logger()) { p async throws in
                #expect(try await eventually { Self.quoted("/ESZ26:XCME") })
                try await Self.advance(clock, by: .seconds(120))  // past midnight into Monday 2026-12-14
                // The next look-up comes within one `refresh` of clock time: keep the clock moving (10× real time).
                #expect(try await eventually {
                    clock.advance(by: .milliseconds(20))
                    return Self.quoted("/ESH27:XCME")
                })
                #expect(Self.universe().map { "\($0.change) \($0.symbol) \($0.reason)" } == [
                    "added /ESZ26:XCME chain", "removed /ESZ26:XCME roll", "added /ESH27:XCME roll",
                ])
                p.requestShutdown()
            }
            #expect(Self.wire(sim) == ["Quote /ESH27:XCME"])
            #expect(sim.statistics.connections == 1, "\(logs.text)")
            #expect(logs.text.contains("futures rolled") && logs.text.contains("/ESH27:XCME"))
        }
    }

    @Test("an unknown underlying, root or product is one clear error naming it", arguments: [
        ("\"option_chains\": [{\"underlying\": \"NOPE\", \"dte\": {\"max\": 7}}]", "unknown underlying \"NOPE\""),
        ("\"option_chains\": [{\"underlying\": \"SPX\", \"roots\": [\"SPXX\"], \"dte\": {\"max\": 7}}]", "SPX has no root SPXX; its roots are SPX, SPXW"),
        ("\"futures\": [{\"product\": \"XX\"}]", "no contract of product \"XX\""),
    ])
    func unknown(extra: String, message: String) async throws {
        try await DXLinkSimulator.withRunning(Self.simulator()) { sim in
            await #expect {
                try await Self.pipeline(sim, extra).run()
            } throws: { error in
                let failure = error as? PipelineFailure
                return failure?.stageID == "feed" && (failure?.cause as? StageError)?.code == .unknownSymbol && "\(error)".contains(message)
            }
        }
    }

    @Test("REST failures at start are retried with backoff: the chain is subscribed once the API recovers")
    func retriedAtStart() async throws {
        var c = Self.simulator()
        c.faults.restFailures = ["/option-chains": 6]  // more than one request's own retries
        let clock = ManualClock(now: Self.monday)
        try await DXLinkSimulator.withRunning(c, clock: clock) { sim in
            let logs = LogCapture()
            _ = try await Self.pipeline(sim, """
                "option_chains": [{"underlying": "SPY", "dte": {"max": 1}, "strikes_around_atm": 1, "events": ["Quote"]}]
                """).run(clock: clock, logger: logs.logger()) { p async throws in
                #expect(try await eventually {
                    clock.advance(by: .seconds(1))
                    return Self.universe().contains { $0.symbol.hasPrefix(".SPY") }
                })
                #expect(logs.text.contains("could not fetch the option chain; retrying"))
                p.requestShutdown()
            }
        }
    }
}
