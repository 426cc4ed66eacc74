import BuiltinStages
import DXLink
import DXLinkSimulator
import Foundation
import HTTPTestServer
import SluiceCore
import SluiceRuntime
import SluiceTesting
import Synchronization
import Tastytrade
import Testing

/// `dxlink` with tastytrade credentials against `server` → `dxlink_decode` → `collect` ("out").
func quotesThroughTastytrade(_ server: LoopbackHTTPServer) -> TestPipeline {
    TestPipeline("""
    {"name": "tt", "stages": [
      {"id": "feed", "kind": "dxlink", "config": {
         "tastytrade": {"base_url": "\(server.url)", "client_secret": "${SECRET}", "refresh_token": "${REFRESH}"},
         "symbols": ["SPY"], "events": ["Quote"],
         "reconnect": {"initial_delay": "1ms", "max_delay": "10ms"}}},
      {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
      {"id": "out", "kind": "collect", "from": "decode"}
    ]}
    """, registry: { var r = StageRegistry.marketData; r.register(CollectSink<FieldRecord>.self); return r }(),
       environment: ["SECRET": secret, "REFRESH": refreshToken])
}

@Suite("dxlink with tastytrade credentials")
struct DXLinkTastytradeTests {
    @Test("the source gets its URL and token from /api-quote-tokens, and a fresh token when the server rejects one")
    func quoteTokenRenewal() async throws {
        var simulator = SimulatorConfiguration()
        simulator.token = "quote-token-2"
        simulator.rate = 500
        try await DXLinkSimulator.withRunning(simulator) { sim in
            let fake = FakeTastytrade()
            let issued = ModeBox(mode: 0)
            try await LoopbackHTTPServer.withRunning(respond: { r, n in
                fake.respond(r, n) { request in
                    issued.set(issued.value + 1)
                    return .init(body: #"{"data":{"token":"quote-token-\#(issued.value)","dxlink-url":"\#(sim.url)","level":"api"}}"#)
                }
            }) { server in
                let run = try await quotesThroughTastytrade(server).run { try await $0.shutdown(afterStage: "out", received: 20) }
                let quotes = run.rows("out").filter { $0["event_type"] == .string("Quote") }
                #expect(!quotes.isEmpty, "connected with the renewed token and streamed")
                #expect(server.requests.filter { $0.uri == "/api-quote-tokens" }.count == 2, "one token, rejected, then a fresh one")
                #expect(sim.statistics.rejectedTokens == 1)
            }
        }
    }

    @Test("the token service down for a moment (503) is retried with the reconnect backoff, not the end of the feed")
    func tokenServiceOutage() async throws {
        var simulator = SimulatorConfiguration()
        simulator.token = "quote-token"
        simulator.rate = 500
        try await DXLinkSimulator.withRunning(simulator) { sim in
            let fake = FakeTastytrade()
            try await LoopbackHTTPServer.withRunning(respond: { r, n in
                fake.respond(r, n) { request in
                    // The first four quote-token requests fail (two attempts of the client each, twice).
                    n <= 5 ? .init(status: 503, body: #"{"error":{"code":"unavailable","message":"maintenance"}}"#)
                        : .init(body: #"{"data":{"token":"quote-token","dxlink-url":"\#(sim.url)","level":"api"}}"#)
                }
            }) { server in
                let run = try await quotesThroughTastytrade(server).run { try await $0.shutdown(afterStage: "out", received: 20) }
                let rows = run.rows("out")
                #expect(rows.contains { $0["event_type"] == .string("Quote") }, "streamed once the token service was back")
                #expect(rows.contains { $0["state"] == .string("reconnecting") })
                #expect(server.requests.filter { $0.uri == "/api-quote-tokens" }.count >= 5)
            }
        }
    }

    @Test("`duration` interrupts a token fetch the server never answers: the run ends on time, closed, no error")
    func durationInterruptsTokenFetch() async throws {
        let fake = FakeTastytrade()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in
            fake.respond(r, n) { _ in .init(body: "{}", delay: .seconds(60)) }
        }) { server in
            let run = try await TestPipeline("""
            {"name": "tt", "stages": [
              {"id": "feed", "kind": "dxlink", "config": {
                 "tastytrade": {"base_url": "\(server.url)", "client_secret": "s", "refresh_token": "r"},
                 "symbols": ["SPY"], "events": ["Quote"], "duration": "200ms"}},
              {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
              {"id": "out", "kind": "collect", "from": "decode"}
            ]}
            """, registry: { var r = StageRegistry.marketData; r.register(CollectSink<FieldRecord>.self); return r }()).run()
            #expect(run.report.stage("feed")?.errors == 0)
            #expect(run.rows("out").last?["state"] == .string("closed"))
            #expect(server.requests.contains { $0.uri == "/api-quote-tokens" }, "the fetch was under way")
        }
    }

    @Test("a dxlink stage takes one of url, tastytrade or simulate")
    func validation() throws {
        #expect(throws: ValidationFailure.self) {
            _ = try StageHarness.configuration(DXLinkSourceStage.Configuration.self, json: #"{"symbols": ["SPY"], "simulate": {}, "tastytrade": {"client_secret": "a", "refresh_token": "b"}}"#)
        }
        let ok = try StageHarness.configuration(DXLinkSourceStage.Configuration.self, json: #"{"symbols": ["SPY"], "tastytrade": {"client_secret": "a", "refresh_token": "b"}}"#)
        #expect(ok.tastytrade?.baseURL == TastytradeConfiguration.production)
    }
}

@Suite("market metrics in a live pipeline")
struct MetricsPipelineTests {
    @Test("trades from DXLink are enriched with metrics, screened on iv_rank, and alert on a crossing")
    func screener() async throws {
        var simulator = SimulatorConfiguration()
        simulator.token = "quote-token-1"
        simulator.rate = 500
        try await DXLinkSimulator.withRunning(simulator) { sim in
            let fake = FakeTastytrade()
            try await LoopbackHTTPServer.withRunning(respond: { r, n in
                fake.respond(r, n) { request in
                    if request.uri == "/api-quote-tokens" {
                        return .init(body: #"{"data":{"token":"quote-token-1","dxlink-url":"\#(sim.url)","level":"api"}}"#)
                    }
                    return .init(body: #"{"data":{"items":[{"symbol":"AAPL","implied-volatility-index-rank":"0.82","implied-volatility-percentile":"0.9"},{"symbol":"MSFT","implied-volatility-index-rank":"0.2"}]}}"#)
                }
            }) { server in
                var registry = StageRegistry.marketData
                registry.register(CollectSink<FieldRecord>.self)
                let run = try await TestPipeline("""
                {"name": "screen", "stages": [
                  {"id": "feed", "kind": "dxlink", "config": {
                     "tastytrade": {"base_url": "\(server.url)", "client_secret": "s", "refresh_token": "r"},
                     "symbols": ["AAPL", "MSFT", "ZZZ"], "events": ["Trade"]}},
                  {"id": "decode", "kind": "dxlink_decode", "from": "feed", "config": {"feed_status": false}},
                  {"id": "metrics", "kind": "market_metrics", "from": "decode",
                   "config": {"base_url": "\(server.url)", "client_secret": "s", "refresh_token": "r", "max_wait": "60s"}},
                  {"id": "high", "kind": "filter", "from": "metrics", "config": {"expression": "iv_rank > 0.5"}},
                  {"id": "out", "kind": "collect", "from": "high"},
                  {"id": "all", "kind": "collect", "from": "metrics"}
                ]}
                """, registry: registry).run { try await $0.shutdown(afterStage: "out", received: 5) }
                let high = run.rows("out")
                #expect(!high.isEmpty)
                #expect(high.allSatisfy { $0["symbol"] == .string("AAPL") && $0["iv_rank"] == .double(0.82) && $0["metrics_status"] == .string("fresh") })
                let all = run.rows("all")
                #expect(all.contains { $0["symbol"] == .string("ZZZ") && $0["metrics_status"] == .string("missing") })
                #expect(all.contains { $0["symbol"] == .string("MSFT") && $0["iv_rank"] == .double(0.2) })
                let requested = server.requests.filter { $0.uri.hasPrefix("/market-metrics") }
                    .flatMap { ($0.uri.components(separatedBy: "symbols=").last ?? "").split(separator: ",").map(String.init) }
                #expect(requested.sorted() == ["AAPL", "MSFT", "ZZZ"], "each symbol fetched once, then served from the cache")
            }
        }
    }
}
