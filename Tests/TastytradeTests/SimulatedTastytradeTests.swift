@testable import DXLinkSimulator
import BuiltinStages
import Foundation
import MarketData
import SluiceCore
import SluiceTesting
@testable import Tastytrade
import Testing

/// The offline tastytrade: the REST calls a pipeline makes, answered by the simulator in tastytrade's
/// shapes, through the real client, with prices from the same market as its DXLink feed.
@Suite("The simulated tastytrade REST API")
struct SimulatedTastytradeTests {
    /// Monday 2026-12-07 15:00 UTC (10:00 New York).
    static let monday = Timestamp(millisecondsSinceEpoch: 1_796_601_600_000 + 15 * 3_600_000)

    func withClient<T: Sendable>(at time: Timestamp = monday, _ configure: (inout SimulatorConfiguration) -> Void = { _ in },
                                 _ body: @Sendable (TastytradeClient, DXLinkSimulator, ManualClock) async throws -> T) async throws -> T {
        let clock = ManualClock(now: time)
        var c = SimulatorConfiguration()
        c.token = "quote-token"
        configure(&c)
        return try await DXLinkSimulator.withRunning(c, clock: clock) { sim in
            var configuration = TastytradeConfiguration(baseURL: sim.restURL, credentials: TastytradeCredentials(clientSecret: "secret", refreshToken: "refresh"))
            configuration.rateLimit = 1000
            configuration.retry = RetryPolicy(maxAttempts: 1)  // a retry would wait on the manual clock
            configuration.timeout = .seconds(300)  // an SPX chain on a loaded machine
            return try await body(TastytradeClient(configuration: configuration, clock: clock), sim, clock)
        }
    }

    @Test("OAuth, then a quote token whose dxlink-url is the simulator's own WebSocket")
    func quoteToken() async throws {
        try await withClient { client, sim, _ in
            let token = try await client.quoteToken()
            #expect(token.token == "quote-token" && token.dxlinkURL == sim.url && token.level == "api")
            #expect(client.accessTokenRefreshes == 1)
        }
    }

    @Test("wrong OAuth credentials are refused with 401 (when the simulator is given credentials)")
    func refusedCredentials() async throws {
        try await withClient({ $0.credentials = .init(clientSecret: "other", refreshToken: "refresh") }) { client, _, _ in
            await #expect { try await client.quoteToken() } throws: { ($0 as? TastytradeError)?.kind == .unauthorized }
        }
    }

    @Test("the SPX chain has two roots, SPX (AM monthlies) and SPXW (PM dailies), each strike's streamer symbol on its own root, centred where the simulated index trades")
    func spxChain() async throws {
        try await withClient { client, _, _ in
            let chains = try await client.optionChains(underlying: "SPX")
            #expect(chains.map(\.root) == ["SPX", "SPXW"])
            let spxw = try #require(chains.last)
            let days = spxw.expirations.prefix(5).map { CalendarDate(Self.monday).days(to: $0.date) }
            #expect(days == [0, 1, 2, 3, 4], "dailies from today")
            let monthly = try #require(chains[0].expirations.first)
            #expect(monthly.settlement == "AM" && monthly.date.weekday == 5 && (15...21).contains(monthly.date.parts.day))
            for e in spxw.expirations.prefix(3) {
                for strike in e.strikes {
                    let call = try #require(strike.callStreamerSymbol.flatMap(OptionSymbol.init(streamer:)))
                    #expect(call.root == "SPXW" && call.expiration == e.date && call.strike == strike.price && call.kind == .call)
                    #expect(strike.call.flatMap(OptionSymbol.init(occ:)) == call)
                }
            }
            let contracts = chains.reduce(0) { $0 + $1.expirations.reduce(0) { $0 + 2 * $1.strikes.count } }
            #expect((10_000...60_000).contains(contracts), "an SPX-sized chain: \(contracts) contracts")
            // The middle of today's strikes is where SPX opened today.
            let spot = SyntheticMarket(seed: 42).spot("SPX", atMs: CalendarDate(Self.monday).start.millisecondsSinceEpoch)
            let today = spxw.expirations[0].strikes.map(\.price)
            #expect(abs((today.first! + today.last!) / 2 - spot) < 30, "strikes \(today.first!)–\(today.last!) around \(spot)")
        }
    }

    @Test("BRK/B's options have the root BRKB; an underlying without options is a not_found error")
    func rootsAndUnknowns() async throws {
        try await withClient { client, _, _ in
            let brk = try await client.optionChains(underlying: "BRK/B")
            #expect(brk.map(\.root) == ["BRKB"] && brk[0].underlying == "BRK/B")
            await #expect { try await client.optionChains(underlying: "NOPE") } throws: { ($0 as? TastytradeError)?.kind == .notFound }
            #expect(try await client.futures(product: "XX").isEmpty)
        }
    }

    @Test("futures: the active month moves to the next contract four business days before ES expires (2026-12-14), and front and next pick as documented")
    func futuresRoll() async throws {
        let friday = Timestamp(millisecondsSinceEpoch: 1_797_120_000_000 - 2 * 86_400_000 + 12 * 3_600_000)  // 2026-12-11 12:00 UTC
        try await withClient(at: friday) { client, _, clock in
            let before = try await client.futures(product: "/ES")
            #expect(before.map(\.symbol) == ["/ESZ6", "/ESH7", "/ESM7", "/ESU7", "/ESZ7"])
            #expect(before[0].streamerSymbol == "/ESZ26:XCME" && before[0].expirationDate.description == "2026-12-18")
            #expect(FutureContract.pick(.active, from: before, today: CalendarDate(friday))?.symbol == "/ESZ6")
            #expect(before[0].rollTargetSymbol == "/ESH7")
            clock.advance(by: .seconds(3 * 86_400))  // Monday 2026-12-14
            let after = try await client.futures(product: "ES")
            let monday = CalendarDate(clock.now)
            #expect(FutureContract.pick(.active, from: after, today: monday)?.streamerSymbol == "/ESH27:XCME")
            #expect(FutureContract.pick(.front, from: after, today: monday)?.symbol == "/ESZ6", "the expiring contract is still the front")
            #expect(FutureContract.pick(.next, from: after, today: monday)?.symbol == "/ESM7")
        }
    }

    @Test("the ES futures-option chain: weekly EW roots and the quarterly ES root, each expiration on the future it delivers")
    func futuresOptionChain() async throws {
        try await withClient { client, _, _ in
            let chains = try await client.futuresOptionChains(product: "/ES")
            #expect(chains.contains { $0.root == "ES" } && chains.contains { $0.root.hasPrefix("EW") })
            for chain in chains {
                for e in chain.expirations {
                    #expect(e.underlyingStreamerSymbol.hasPrefix("/ES") && e.underlyingStreamerSymbol.hasSuffix(":XCME"))
                    let symbol = try #require(e.strikes.first?.callStreamerSymbol)
                    #expect(symbol.hasPrefix("./\(chain.root)") && symbol.hasSuffix(":XCME"), "\(symbol)")
                    #expect(SimulatedOption(symbol)?.underlying == e.underlyingStreamerSymbol)
                }
            }
        }
    }

    @Test("search matches tickers and names; equities resolve to streamer symbols; unknown symbols are left out")
    func searchAndResolve() async throws {
        try await withClient { client, _, _ in
            #expect(try await client.searchSymbols("APPLE").map(\.symbol) == ["AAPL", "APLE"])
            #expect(try await client.searchSymbols("AP").map(\.symbol).contains("AAPL"))
            #expect(try await client.searchSymbols("ZZZZZ").isEmpty)
            let equities = try await client.equities(["SPY", "BRK/B", "NOPE"])
            #expect(equities.map { "\($0.symbol)=\($0.streamerSymbol)" } == ["SPY=SPY", "BRK/B=BRK/B"])
        }
    }

    @Test("REST quotes and market metrics come from the same market as the feed")
    func quotesAndMetrics() async throws {
        try await withClient { client, _, _ in
            let quotes = try await client.quotes([("index", ["SPX"]), ("equity", ["AAPL", "NOPE"])])
            #expect(Set(quotes.map(\.symbol)) == ["SPX", "AAPL"])
            let spx = try #require(quotes.first { $0.symbol == "SPX" }?.price)
            let path = SyntheticMarket(seed: 42).spot("SPX", atMs: Self.monday.millisecondsSinceEpoch)
            #expect(abs(spx - path) / path < 0.002, "\(spx) against the path's \(path)")
            let metrics = try await client.marketMetrics(["SPY", "NOPE"])
            #expect(metrics.unknownSymbols == ["NOPE"])
            let spy = try #require(metrics.metrics["SPY"])
            #expect((0...1).contains(spy.impliedVolatilityIndexRank ?? -1) && (spy.historicalVolatility30Day ?? 0) > 0)
            await #expect { try await client.quotes([("equity", (0...100).map { "S\($0)" })]) } throws: { ($0 as? TastytradeError)?.kind == .client }
        }
    }

    @Test("a request without an access token is refused; a failing API answers 500 until it recovers")
    func authorizationAndFaults() async throws {
        try await withClient({ $0.faults.restFailures = ["/option-chains": 2] }) { _, sim, _ async throws in
            // Two 500s are retried by the client's policy (with its real backoff); the third attempt succeeds.
            var configuration = TastytradeConfiguration(baseURL: sim.restURL, credentials: TastytradeCredentials(clientSecret: "secret", refreshToken: "refresh"))
            configuration.retry = RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(5))
            let client = TastytradeClient(configuration: configuration)
            #expect(try await client.optionChains(underlying: "SPY").count == 1)
            #expect(sim.restRequests >= 4, "OAuth, two failures, one answer")
            #expect(sim.rest.respond(method: "GET", uri: "/option-chains/SPY/nested", authorization: nil, body: "").status == 401)
            #expect(sim.rest.respond(method: "GET", uri: "/option-chains/SPY/nested", authorization: "Bearer forged", body: "").status == 401)
        }
    }

    @Test("hostile chain and futures bodies: mutated responses never crash the parsers; what they accept is well formed", arguments: 0..<4)
    func hostileBodies(seed: UInt64) async throws {
        try await withClient { _, sim, _ in
            let token = "Bearer " + (try #require((try JSONDocument(parsing: sim.rest.respond(method: "POST", uri: "/oauth/token", authorization: nil,
                body: #"{"grant_type":"refresh_token","refresh_token":"r","client_secret":"s"}"#).body).root.objectValue?["access_token"]?.stringValue)))
            let chain = Array(sim.rest.respond(method: "GET", uri: "/option-chains/AAPL/nested", authorization: token, body: "").body.utf8)
            let futures = Array(sim.rest.respond(method: "GET", uri: "/instruments/futures?product-code[]=ES", authorization: token, body: "").body.utf8)
            let futuresChain = Array(sim.rest.respond(method: "GET", uri: "/futures-option-chains/ES/nested", authorization: token, body: "").body.utf8)
            var rng = SplitMix64(seed: seed)
            let bytes = Array(#"{}[],:"0123456789.-eE tfn\"#.utf8)
            for (name, original) in [("chain", chain), ("futures", futures), ("futures chain", futuresChain)] {
                for _ in 0..<150 {
                    var body = original
                    for _ in 0..<(1 + rng.next() % 8) {
                        let i = Int(rng.next() % UInt64(body.count))
                        switch rng.next() % 3 {
                        case 0: body[i] = bytes[Int(rng.next() % UInt64(bytes.count))]
                        case 1: body.remove(at: i)
                        default: body.insert(bytes[Int(rng.next() % UInt64(bytes.count))], at: i)
                        }
                    }
                    guard let json = try? JSONDocument(parsing: String(decoding: body, as: UTF8.self)).root else { continue }
                    switch name {
                    case "chain":
                        if let chains = try? OptionChain.nested(json, underlying: "AAPL") {
                            #expect(chains.allSatisfy { $0.expirations.allSatisfy { $0.strikes.allSatisfy { $0.price > 0 && $0.price.isFinite } } })
                        }
                    case "futures":
                        for item in json.objectValue?["data"]?.objectValue?["items"]?.arrayValue ?? [] {
                            if let o = item.objectValue, let f = try? FutureContract(json: o, index: 0) { #expect(!f.streamerSymbol.isEmpty) }
                        }
                    default:
                        if let chains = try? OptionChain.futuresNested(json, product: "ES") {
                            #expect(chains.allSatisfy { !$0.root.isEmpty })
                        }
                    }
                }
            }
        }
    }

    @Test("the resolver asks once per kind of symbol, not once per symbol, and keeps the input order")
    func resolverBatches() async throws {
        try await withClient { client, sim, clock in
            let inputs = ["SPY", "AAPL", "NOPE", "/ESZ6", "/ESH7", "MSFT", ".SPXW261218C5700", "QQQ", "/ES"]
            let resolved = try await SymbolResolver(client: client, today: CalendarDate(clock.now)).resolve(inputs)
            #expect(resolved.map(\.input) == inputs)
            #expect(resolved.map { $0.streamerSymbol ?? "-" } == ["SPY", "AAPL", "-", "/ESZ26:XCME", "/ESH27:XCME", "MSFT", ".SPXW261218C5700", "QQQ", "/ESZ26:XCME"])
            #expect(sim.restRequests == 4, "OAuth, one equities request, one contracts request, one product request")
        }
    }
}
