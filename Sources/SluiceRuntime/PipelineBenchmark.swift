import Logging
public import SluiceCore

/// The scenarios `sluice bench` measures: whole pipelines run in-process, timed from start to drain.
public enum PipelineBenchmark {
    /// One measured scenario.
    public struct Scenario: Sendable {
        /// Its name, e.g. `chain`.
        public var name: String
        /// What it runs.
        public var shape: String
        /// The pipeline file text, with `COUNT` standing for the event count.
        public var pipeline: String

        /// Creates a scenario.
        public init(name: String, shape: String, pipeline: String) {
            self.name = name
            self.shape = shape
            self.pipeline = pipeline
        }
    }

    /// The result of one run.
    public struct Result: Sendable {
        /// The scenario.
        public var scenario: String
        /// Events generated.
        public var events: Int
        /// Seconds from start to drain.
        public var seconds: Double
        /// Events per second through the pipeline.
        public var eventsPerSecond: Double { Double(events) / max(seconds, 1e-9) }
    }

    /// The standard scenarios.
    public static let scenarios: [Scenario] = [
        Scenario(name: "filter", shape: "generate → filter → null", pipeline: """
            {"name": "bench-filter", "stages": [
              {"id": "gen", "kind": "generate", "config": {"count": COUNT, "symbols": ["AAPL", "MSFT", "SPY", "QQQ"]}},
              {"id": "filter", "kind": "filter", "from": "gen", "config": {"expression": "price > 1 and symbol != \\"QQQ\\""}},
              {"id": "sink", "kind": "null", "from": "filter"}
            ]}
            """),
        Scenario(name: "chain", shape: "generate → pass → pass → pass → null (block queues)", pipeline: """
            {"name": "bench-chain", "stages": [
              {"id": "gen", "kind": "generate", "config": {"count": COUNT}},
              {"id": "p1", "kind": "pass", "from": "gen", "queue": {"policy": "block"}},
              {"id": "p2", "kind": "pass", "from": "p1", "queue": {"policy": "block"}},
              {"id": "p3", "kind": "pass", "from": "p2", "queue": {"policy": "block"}},
              {"id": "sink", "kind": "null", "from": "p3", "queue": {"policy": "block"}}
            ]}
            """),
    ]

    /// Runs `scenario` once with `events` events.
    public static func run(_ scenario: Scenario, events: Int, registry: StageRegistry) async throws -> Result {
        let text = scenario.pipeline.replacingAll("COUNT", with: String(events))
        let plan = try PipelinePlanner(registry: registry, environment: [:]).plan(text: text, file: "bench:\(scenario.name)")
        var logger = Logger(label: "sluice.bench")
        logger.logLevel = .warning
        let report = try await Pipeline(plan: plan, logger: logger).run()
        // Every edge must conserve events: each stage received exactly what its upstream sent.
        for (up, down) in zip(report.stages, report.stages.dropFirst()) where down.eventsIn != up.eventsOut || down.dropped != 0 {
            throw StageError("bench_mismatch", "\(down.id) received \(down.eventsIn) of the \(up.eventsOut) events \(up.id) sent")
        }
        guard report.stages.first?.eventsOut == events else {
            throw StageError("bench_mismatch", "the source emitted \(report.stages.first?.eventsOut ?? 0) of \(events) events")
        }
        return Result(scenario: scenario.name, events: events, seconds: report.durationSeconds)
    }
}
