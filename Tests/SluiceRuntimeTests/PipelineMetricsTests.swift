import Logging
import MetricsTestKit
import SluiceCore
import SluiceRuntime
import Testing

@Suite("Metrics")
struct PipelineMetricsTests {
    @Test("per-stage and per-edge counters and gauges are published through swift-metrics")
    func published() async throws {
        let plan = try PipelinePlanner(registry: .generic, environment: [:]).plan(text: #"""
            {"name": "m", "stages": [
              {"id": "gen", "kind": "generate", "config": {"count": 5000, "symbols": ["A", "B"]}},
              {"id": "keep", "kind": "filter", "from": "gen", "config": {"expression": "symbol == \"A\""}},
              {"id": "out", "kind": "null", "from": "keep", "queue": {"capacity": 10, "policy": "drop_newest"}}
            ]}
            """#)
        let metrics = TestMetrics()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let report = try await Pipeline(plan: plan, logger: logger, metricsFactory: metrics).run()
        let dims = { (stage: String) in [("pipeline", "m"), ("stage", stage)] }
        #expect(try metrics.expectCounter("sluice_stage_events_out_total", dims("gen")).totalValue == 5000)
        #expect(try metrics.expectCounter("sluice_stage_events_in_total", dims("keep")).totalValue == 5000)
        #expect(try metrics.expectCounter("sluice_stage_events_out_total", dims("keep")).totalValue == 2500)
        let out = try #require(report.stage("out"))
        #expect(try metrics.expectCounter("sluice_stage_events_in_total", dims("out")).totalValue == Int64(out.eventsIn))
        if out.dropped > 0 {
            #expect(try metrics.expectCounter("sluice_queue_dropped_total", dims("out")).totalValue == Int64(out.dropped))
        }
        #expect(try metrics.expectGauge("sluice_queue_high_water_mark", dims("out")).lastValue == Double(out.queueHighWaterMark))
    }
}
