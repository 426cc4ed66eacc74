public import CoreMetrics
public import Logging
public import SluiceCore
public import SluiceRuntime
import Synchronization

/// Runs a pipeline file in-process and lets a test inspect what reached its sinks.
///
/// Use the `collect` sink kind (registered automatically) to capture records:
///
/// ```swift
/// let result = try await TestPipeline("""
///   {"stages": [
///     {"id": "gen", "kind": "generate", "config": {"count": 10}},
///     {"id": "out", "kind": "collect", "from": "gen"}
///   ]}
///   """).run()
/// #expect(result.records("out").count == 10)
/// ```
public struct TestPipeline: Sendable {
    /// The pipeline file text.
    public var text: String
    /// The registry (the `collect` kind is added to it).
    public var registry: StageRegistry
    /// The environment for `${NAME}`.
    public var environment: [String: String]

    /// Creates a test pipeline.
    public init(_ text: String, registry: StageRegistry = .generic, environment: [String: String] = [:]) {
        self.text = text
        var r = registry
        r.register(CollectSink<FieldRecord>.self, origin: "SluiceTesting")
        self.registry = r
        self.environment = environment
    }

    /// Validates the pipeline.
    public func plan() throws(ValidationFailure) -> PipelinePlan {
        try PipelinePlanner(registry: registry, environment: environment).plan(text: text, file: "test.json")
    }

    /// Runs the pipeline to completion and returns the report and the collected records.
    ///
    /// - Parameters:
    ///   - clock: The clock stages use.
    ///   - metricsFactory: Where the pipeline's metrics go (`nil`: the global backend).
    ///   - whileRunning: Called once the pipeline is running (e.g. to advance a manual clock or request
    ///     shutdown); the run completes after it returns and the pipeline has finished.
    public func run(
        clock: any StageClock = SystemClock(), logger: Logger? = nil, metricsFactory: (any MetricsFactory)? = nil,
        whileRunning: (@Sendable (Pipeline) async throws -> Void)? = nil
    ) async throws -> TestPipelineResult {
        let plan = try plan()
        let store = CollectStore()
        var log = logger ?? Logger(label: "test.pipeline")
        if logger == nil { log.logLevel = .critical }
        let pipeline = Pipeline(plan: plan, logger: log, clock: clock, metricsFactory: metricsFactory)
        let report = try await CollectStore.$current.withValue(store) {
            try await withThrowingTaskGroup(of: PipelineReport?.self) { group in
                group.addTask { try await pipeline.run() }
                if let whileRunning {
                    group.addTask {
                        try await whileRunning(pipeline)
                        return nil
                    }
                }
                var report: PipelineReport?
                for try await r in group { if let r { report = r } }
                return report!
            }
        }
        return TestPipelineResult(report: report, store: store)
    }
}

/// What a ``TestPipeline`` run produced.
public struct TestPipelineResult: Sendable {
    /// The run's report: outcome and per-stage counters.
    public let report: PipelineReport
    let store: CollectStore

    /// The records that reached the `collect` sink with id `sinkID`, in order.
    public func records(_ sinkID: String) -> [any Record] { store.records(sinkID) }

    /// The records of `sinkID` as field dictionaries, for easy assertions.
    public func rows(_ sinkID: String) -> [[String: FieldValue]] {
        records(sinkID).map { r in
            var row: [String: FieldValue] = [:]
            for (i, c) in r.schema.columns.enumerated() { row[c.name] = r.value(at: i) }
            return row
        }
    }
}

/// Where `collect` sinks put their records: a ``TestPipeline`` run binds one; a test that runs a
/// ``Pipeline`` itself binds its own with `CollectStore.$current.withValue(store) { … }`.
public final class CollectStore: Sendable {
    /// The store `collect` sinks created in this task use.
    @TaskLocal public static var current: CollectStore?
    private let data = Mutex<[String: [any Record]]>([:])

    /// An empty store.
    public init() {}

    func append(_ records: [any Record], to id: String) { data.withLock { $0[id, default: []] += records } }

    /// What the `collect` sink `id` has received so far.
    public func records(_ id: String) -> [any Record] { data.withLock { $0[id] ?? [] } }
}

/// `collect` (sink, tests only): keeps every record in memory for ``TestPipelineResult/records(_:)``.
public struct CollectSink<Element: Record>: RecordGenericStage {
    public typealias Input = Element

    public static var kind: String { "collect" }
    public static var summary: String { "Keeps every record in memory for tests (SluiceTesting)." }

    let id: String
    let store: CollectStore?

    public init(configuration: EmptyConfiguration, context: StageContext) {
        id = context.stageID
        store = CollectStore.current
    }

    public static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type { CollectSink<R>.self }

    public func run(input: Inbound<Element>, output: Outbound<Never>) async throws {
        for try await batch in input {
            store?.append(batch.map { $0 as any Record }, to: id)
        }
    }
}

extension Pipeline {
    /// Waits until stage `id` has received at least `count` events, then asks the pipeline to shut down:
    /// for tests of live sources that should stop once they have shown something, not after a fixed time.
    ///
    /// - Throws: ``StageError`` (`wait_timeout`) if that does not happen within `limit`.
    public func shutdown(afterStage id: String, received count: Int, limit: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + limit
        while (report().stages.first { $0.id == id }?.eventsIn ?? 0) < count {
            guard ContinuousClock.now < deadline else {
                requestShutdown()
                throw StageError(.waitTimeout, "stage \(id) did not receive \(count) events within \(limit)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        requestShutdown()
    }
}
