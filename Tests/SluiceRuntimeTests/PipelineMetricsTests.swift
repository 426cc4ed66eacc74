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
        #expect(try metrics.expectCounter("sluice_queue_dropped_total", dims("out") + [("policy", "drop_newest")]).totalValue == Int64(out.dropped))
        #expect(try metrics.expectGauge("sluice_queue_high_water_mark", dims("out")).lastValue == Double(out.queueHighWaterMark))
        #expect(try metrics.expectGauge("sluice_queue_capacity", dims("out")).lastValue == 10)
        // At the end every stage has finished, and the pipeline is neither ready nor healthy any more.
        for stage in ["gen", "keep", "out"] {
            #expect(try metrics.expectGauge("sluice_stage_state", dims(stage) + [("state", "finished")]).lastValue == 1)
            #expect(try metrics.expectGauge("sluice_stage_state", dims(stage) + [("state", "running")]).lastValue == 0)
        }
        #expect(try metrics.expectGauge("sluice_pipeline_ready", [("pipeline", "m")]).lastValue == 0)
        #expect(try metrics.expectGauge("sluice_feed_delivering", dims("gen")).lastValue == 0)
        #expect(throws: (any Error).self) { try metrics.expectGauge("sluice_feed_delivering", dims("out")) }
    }

    @Test("conflations are counted apart from drops, each labelled with the queue's policy")
    func conflationsApart() async throws {
        let plan = try PipelinePlanner(registry: .generic, environment: [:]).plan(text: #"""
            {"name": "c", "stages": [
              {"id": "gen", "kind": "generate", "config": {"count": 20000, "symbols": ["A", "B", "C"]}},
              {"id": "out", "kind": "null", "from": "gen", "queue": {"capacity": 8, "policy": "conflate"}}
            ]}
            """#)
        let metrics = TestMetrics()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let report = try await Pipeline(plan: plan, logger: logger, metricsFactory: metrics).run()
        let out = try #require(report.stage("out"))
        let dims = [("pipeline", "c"), ("stage", "out"), ("policy", "conflate")]
        #expect(out.eventsIn + out.conflated + out.dropped == 20000)
        // Both counters exist from the start, so each says exactly what the report says (zero included).
        #expect(try metrics.expectCounter("sluice_queue_conflated_total", dims).totalValue == Int64(out.conflated))
        #expect(try metrics.expectCounter("sluice_queue_dropped_total", dims).totalValue == Int64(out.dropped))
    }
}
