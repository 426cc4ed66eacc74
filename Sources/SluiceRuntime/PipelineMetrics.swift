import CoreMetrics
import SluiceCore
import SluiceQueue

/// Publishes per-stage and per-edge counters through swift-metrics.
///
/// Stages count into cheap atomics; this reporter turns them into swift-metrics counters and gauges once
/// a second (and at the end), so the hot path never touches a metrics backend.
struct PipelineMetrics: Sendable {
    struct StageMetrics: Sendable {
        let counters: StageCounters
        let queue: (any AnyBatchQueue)?
        let eventsIn, eventsOut, errors, skipped, restarts, dropped: Counter
        let depth, highWater: Gauge
        let last: LastValues
    }

    final class LastValues: @unchecked Sendable {
        // Only touched by the reporter (one task at a time: the loop, then the final flush).
        var values = [Int](repeating: 0, count: 6)
    }

    let stages: [StageMetrics]

    init(pipeline: String, stages: [(String, StageCounters, (any AnyBatchQueue)?)], factory: any MetricsFactory) {
        self.stages = stages.map { id, counters, queue in
            let dims = [("pipeline", pipeline), ("stage", id)]
            return StageMetrics(
                counters: counters, queue: queue,
                eventsIn: Counter(label: "sluice_stage_events_in_total", dimensions: dims, factory: factory),
                eventsOut: Counter(label: "sluice_stage_events_out_total", dimensions: dims, factory: factory),
                errors: Counter(label: "sluice_stage_errors_total", dimensions: dims, factory: factory),
                skipped: Counter(label: "sluice_stage_skipped_total", dimensions: dims, factory: factory),
                restarts: Counter(label: "sluice_stage_restarts_total", dimensions: dims, factory: factory),
                dropped: Counter(label: "sluice_queue_dropped_total", dimensions: dims, factory: factory),
                depth: Gauge(label: "sluice_queue_depth", dimensions: dims, factory: factory),
                highWater: Gauge(label: "sluice_queue_high_water_mark", dimensions: dims, factory: factory),
                last: LastValues())
        }
    }

    func run() async throws {
        while true {
            try await Task.sleep(for: .seconds(1))
            flush()
        }
    }

    func flush() {
        for s in stages {
            let q = s.queue?.statistics
            let now = [s.counters.eventsIn.value, s.counters.eventsOut.value, s.counters.errors.value,
                       s.counters.skipped.value, s.counters.restarts.value, (q?.dropped ?? 0) + (q?.conflated ?? 0)]
            let targets = [s.eventsIn, s.eventsOut, s.errors, s.skipped, s.restarts, s.dropped]
            for i in 0..<now.count where now[i] > s.last.values[i] {
                targets[i].increment(by: Int64(now[i] - s.last.values[i]))
                s.last.values[i] = now[i]
            }
            if let q {
                s.depth.record(q.depth)
                s.highWater.record(q.highWaterMark)
            }
        }
    }
}
