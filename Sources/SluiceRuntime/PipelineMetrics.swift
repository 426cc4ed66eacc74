import CoreMetrics
import SluiceCore
import SluiceQueue

/// Publishes per-stage and per-edge counters, stage, feed and subscription states through swift-metrics.
///
/// Stages count into cheap atomics; this reporter turns them into swift-metrics counters and gauges once
/// a second (and at the end), so the hot path never touches a metrics backend. Every metric carries the
/// labels `pipeline` and `stage` (plus a bounded `policy` or `state`), never a symbol.
struct PipelineMetrics: Sendable {
    struct StageMetrics: Sendable {
        let id: String
        let counters: StageCounters
        let queue: (any AnyBatchQueue)?
        /// In the order of ``StageMetrics/values``.
        let counts: [Counter]
        let depth, highWater, capacity: Gauge?
        let states: [StageState: Gauge]
        /// Sources only.
        let feedDelivering, lastEventAge: Gauge?
        let last: LastValues
        let dimensions: [(String, String)]
    }

    final class LastValues: @unchecked Sendable {
        // Only touched by the reporter (one task at a time: the loop, then the final flush).
        var values = [Int](repeating: 0, count: 8)
        var feedStates: [String: Gauge] = [:]
        var symbolStates: [String: Gauge] = [:]
    }

    let stages: [StageMetrics]
    let ready, healthy: Gauge
    let factory: any MetricsFactory

    init(pipeline: String, stages: [(id: String, isSource: Bool, counters: StageCounters, queue: (any AnyBatchQueue)?)], factory: any MetricsFactory) {
        self.factory = factory
        let p = [("pipeline", pipeline)]
        ready = Gauge(label: "sluice_pipeline_ready", dimensions: p, factory: factory)
        healthy = Gauge(label: "sluice_pipeline_healthy", dimensions: p, factory: factory)
        self.stages = stages.map { id, isSource, counters, queue in
            let dims = [("pipeline", pipeline), ("stage", id)]
            let policy = dims + [("policy", queue.map { "\($0.policy)" } ?? "none")]
            func counter(_ name: String, _ d: [(String, String)] = dims) -> Counter { Counter(label: name, dimensions: d, factory: factory) }
            func gauge(_ name: String) -> Gauge { Gauge(label: name, dimensions: dims, factory: factory) }
            return StageMetrics(
                id: id, counters: counters, queue: queue,
                counts: [
                    counter("sluice_stage_events_in_total"), counter("sluice_stage_events_out_total"),
                    counter("sluice_stage_errors_total"), counter("sluice_stage_skipped_total"),
                    counter("sluice_stage_restarts_total"), counter("sluice_queue_dropped_total", policy),
                    counter("sluice_queue_conflated_total", policy), counter("sluice_queue_abandoned_total", policy),
                ],
                depth: queue.map { _ in gauge("sluice_queue_depth") },
                highWater: queue.map { _ in gauge("sluice_queue_high_water_mark") },
                capacity: queue.map { _ in gauge("sluice_queue_capacity") },
                states: Dictionary(uniqueKeysWithValues: StageState.allCases.map {
                    ($0, Gauge(label: "sluice_stage_state", dimensions: dims + [("state", $0.rawValue)], factory: factory))
                }),
                feedDelivering: isSource ? gauge("sluice_feed_delivering") : nil,
                lastEventAge: isSource ? gauge("sluice_source_last_event_age_seconds") : nil,
                last: LastValues(), dimensions: dims)
        }
    }

    func run(health: @Sendable () -> PipelineHealth) async throws {
        while true {
            try await Task.sleep(for: .seconds(1))
            flush(health())
        }
    }

    func flush(_ health: PipelineHealth) {
        ready.record(health.ready ? 1 : 0)
        healthy.record(health.isHealthy ? 1 : 0)
        for (s, h) in zip(stages, health.stages) {
            let q = s.queue?.statistics
            let now = [s.counters.eventsIn.value, s.counters.eventsOut.value, s.counters.errors.value,
                       s.counters.skipped.value, s.counters.restarts.value, q?.dropped ?? 0, q?.conflated ?? 0, q?.abandoned ?? 0]
            for i in 0..<now.count where now[i] > s.last.values[i] {
                s.counts[i].increment(by: Int64(now[i] - s.last.values[i]))
                s.last.values[i] = now[i]
            }
            if let q {
                s.depth?.record(q.depth)
                s.highWater?.record(q.highWaterMark)
                s.capacity?.record(s.queue?.capacity ?? 0)
            }
            for (state, gauge) in s.states { gauge.record(state == h.state ? 1 : 0) }
            if let age = h.lastEventAgeSeconds { s.lastEventAge?.record(age) }
            // A source that reports no feed delivers while it runs.
            s.feedDelivering?.record((h.feed?.delivering ?? (h.state == .running)) ? 1 : 0)
            if let feed = h.feed {
                if s.last.feedStates[feed.state] == nil {
                    s.last.feedStates[feed.state] = Gauge(label: "sluice_feed_state", dimensions: s.dimensions + [("state", feed.state)], factory: factory)
                }
                for (state, gauge) in s.last.feedStates { gauge.record(state == feed.state ? 1 : 0) }
            }
            if let symbols = h.symbols {
                for (state, count) in symbols.counts {
                    if s.last.symbolStates[state] == nil {
                        s.last.symbolStates[state] = Gauge(label: "sluice_symbols", dimensions: s.dimensions + [("state", state)], factory: factory)
                    }
                    s.last.symbolStates[state]?.record(count)
                }
            }
        }
    }
}
