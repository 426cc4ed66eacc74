import BuiltinStages
import DXLink
import DXLinkSimulator
import MarketData
import MetricsTestKit
import SluiceCore
import SluiceRuntime
import SluiceTesting
import Testing

/// The subscription watch end to end: a real simulator on loopback that serves one symbol, stops serving
/// another after five events and never serves a third, a real `dxlink → dxlink_decode` pipeline, and a
/// manual clock shared by both so that "30 s of silence" is a step of the test, not a wait.
@Suite("No data and stale symbols, over loopback")
struct SymbolWatchPipelineTests {
    static func symbolRecords() -> [SymbolStatus] {
        (CollectStore.current?.records("out") ?? []).compactMap { ($0 as? MarketEvent).flatMap { if case .symbol(let s) = $0 { s } else { nil } } }
    }

    static func quotes(_ symbol: String) -> Int {
        (CollectStore.current?.records("out") ?? []).count { ($0 as? MarketEvent).map { if case .quote(let q) = $0 { q.eventSymbol == symbol } else { false } } ?? false }
    }

    @Test("a symbol the server never serves is no_data after no_data_after, one that stops is stale after stale_after, one that ticks is never reported; each is logged, in /health and in /metrics")
    func noDataAndStale() async throws {
        let clock = ManualClock()
        var simulation = simulatorConfiguration()
        simulation.faults.symbolEventLimits = ["QUIET": 5, "NOPE": 0]
        let logs = LogCapture()
        let metrics = TestMetrics()
        try await DXLinkSimulator.withRunning(simulation, clock: clock) { sim in
            let pipeline = TestPipeline("""
            {"name": "watch", "stages": [
              {"id": "feed", "kind": "dxlink", "config": {"url": "\(sim.url)", "token": "secret-token",
                 "symbols": ["AAPL", "QUIET", "NOPE"], "events": ["Quote"], "no_data_after": "10s", "stale_after": "20s"}},
              {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
              {"id": "out", "kind": "collect", "from": "decode"}
            ]}
            """, registry: .marketData)
            let result = try await pipeline.run(clock: clock, logger: logs.logger(), metricsFactory: metrics) { p in
                // Everything QUIET will ever get on this connection, and AAPL ticking.
                #expect(try await eventually { Self.quotes("QUIET") == 5 && Self.quotes("AAPL") > 0 })
                // 10 s on, NOPE has had nothing at all.
                clock.advance(by: .seconds(10))
                #expect(try await eventually { Self.symbolRecords().count == 1 })
                #expect(Self.symbolRecords().map { "\($0.symbol) \($0.state.rawValue)" } == ["NOPE no_data"])
                // An AAPL quote the simulator sent after the clock moved, so AAPL's latest is "now".
                let sentBefore = sim.statistics.eventsSent["Quote|AAPL"] ?? 0
                #expect(try await eventually { Self.quotes("AAPL") > sentBefore })
                // 11 s more: QUIET has been quiet 21 s (over stale_after), AAPL at most 11 s.
                clock.advance(by: .seconds(11))
                #expect(try await eventually { Self.symbolRecords().count == 2 })
                let health = p.health()
                let symbols = try #require(health.stages.first { $0.id == "decode" }?.symbols)
                #expect(symbols.watched == 3)
                #expect(symbols.counts == ["waiting": 0, "fresh": 1, "stale": 1, "no_data": 1])
                #expect(symbols.noData == ["NOPE Quote"])
                #expect(symbols.stale == ["QUIET Quote"])
                #expect(health.ready, "a silent symbol is not a reason to take the process out of service")
                p.requestShutdown()
            }
            let reported = result.records("out").compactMap { ($0 as? MarketEvent).flatMap { if case .symbol(let s) = $0 { s } else { nil } } }
            #expect(reported.map { "\($0.symbol) \($0.watchedType) \($0.state.rawValue)" } == ["NOPE Quote no_data", "QUIET Quote stale"])
            #expect(reported.first?.quietSeconds == 10)
            #expect(reported.last.map { $0.quietSeconds >= 21 } == true)
            #expect(reported.last?.lastEventTime != nil)
            #expect(logs.text.contains("no data for NOPE Quote after 10s"))
            #expect(logs.text.contains("quiet for longer than stale_after: QUIET Quote"))
            let dims = [("pipeline", "watch"), ("stage", "decode")]
            #expect(try metrics.expectGauge("sluice_symbols", dims + [("state", "no_data")]).lastValue == 1)
            #expect(try metrics.expectGauge("sluice_symbols", dims + [("state", "stale")]).lastValue == 1)
            #expect(try metrics.expectGauge("sluice_symbols", dims + [("state", "fresh")]).lastValue == 1)
        }
    }
}
