public import Logging
public import CoreMetrics
public import SluiceCore
public import SluiceQueue
import Synchronization

/// The type-erased face of a queue, for the runtime's bookkeeping.
protocol AnyBatchQueue: AnyObject, Sendable {
    var statistics: QueueStatistics { get }
    var capacity: Int { get }
    var policy: QueuePolicy { get }
    func finishProducing()
    func closeConsumer()
}

extension BatchQueue: AnyBatchQueue {}

/// A stage with its ports wired, ready to be created and run (again, after a restart).
protocol StageRunning: Sendable {
    /// Creates the stage; the first time, waits at `barrier` until every stage is created, then marks it
    /// running in `status` and runs it.
    func makeAndRun(barrier: StartBarrier?, status: StageStatusCell) async throws
    /// Before a restart: hand the batch in flight to the next instance.
    func prepareRestart()
}

struct TypedStageRunner<S: Stage>: StageRunning {
    let configuration: S.Configuration
    let context: StageContext
    let input: Inbound<S.Input>
    let output: Outbound<S.Output>

    func makeAndRun(barrier: StartBarrier?, status: StageStatusCell) async throws {
        let stage: S
        do {
            stage = try S(configuration: configuration, context: context)
        } catch {
            barrier?.arriveWithoutWaiting()
            throw error
        }
        try await barrier?.arrive()
        status.set(.running)
        try await stage.run(input: input, output: output)
    }

    func prepareRestart() { input.redeliverInFlightBatch() }
}

/// A pipeline stage failed (after its restarts, if any): names the stage and keeps the cause.
public struct PipelineFailure: Error, Sendable, CustomStringConvertible {
    /// The failing stage's id.
    public var stageID: String
    /// The stage's kind.
    public var kind: String
    /// What happened, as text with secrets redacted: safe to print and log.
    public var message: String
    /// The error the stage threw, unchanged (print ``message`` instead: the cause may hold a secret).
    public var cause: any Error
    /// Under `on_error: restart`, how many times the stage was restarted before it gave up; `nil` for a
    /// stage that is never restarted.
    public var restarts: Int?

    public var description: String {
        let gaveUp = restarts.map { " (gave up after \($0) restart\($0 == 1 ? "" : "s"))" } ?? ""
        return "stage \"\(stageID)\" (\(kind)) failed: \(message)\(gaveUp)"
    }
}

/// A running pipeline: one task per stage, joined by bounded queues.
///
/// ```swift
/// let plan = try PipelinePlanner(registry: .generic).plan(file: "pipelines/demo.json")
/// let pipeline = Pipeline(plan: plan, logger: logger)
/// let report = try await pipeline.run()
/// ```
public final class Pipeline: Sendable {
    /// The validated plan.
    public let plan: PipelinePlan
    private let logger: Logger
    private let shutdownSignal = ShutdownSignal()
    private let nodes: [Node]
    private let redactor: SecretRedactor
    private let started = Mutex<ContinuousClock.Instant?>(nil)
    private let finished = Mutex<(PipelineReport.Outcome, Duration, PipelineFailure?)?>(nil)
    private let metricsFactory: (any MetricsFactory)?
    /// Every stage is created before any runs: a sink that cannot open its file fails the pipeline before
    /// a source connects, and values stages share at creation (``SharedValues``) are there for all.
    private let startBarrier: StartBarrier

    struct Node: Sendable {
        let stage: PlannedStage
        let counters: StageCounters
        let input: (any AnyBatchQueue)?
        let outputs: [any AnyBatchQueue]
        let runner: any StageRunning
        let status = StageStatusCell()
        let activity = ActivityWatch()
    }

    /// Wires the plan: one queue per stage input, each stage's output to its consumers' queues.
    ///
    /// - Parameters:
    ///   - plan: The validated pipeline.
    ///   - logger: The base logger; each stage logs with its id in the metadata.
    ///   - clock: The clock stages sleep on (a manual clock in tests).
    ///   - metricsFactory: Where per-stage and per-edge metrics go; by default the bootstrapped
    ///     swift-metrics backend.
    ///   - console: Where stages write to standard output (the CLI keeps it apart from its status line).
    public init(plan: PipelinePlan, logger: Logger, clock: any StageClock = SystemClock(), metricsFactory: (any MetricsFactory)? = nil,
                console: ConsoleOutput = .direct) {
        self.plan = plan
        self.metricsFactory = metricsFactory
        self.logger = logger
        self.redactor = SecretRedactor(secrets: plan.secrets)
        var queues: [String: any AnyBatchQueue] = [:]
        for stage in plan.stages where stage.descriptor.role != .source {
            queues[stage.id] = makeQueue(stage.stageType, spec: stage.queue, producers: stage.from.count)
        }
        var nodes: [Node] = []
        let shared = SharedValues()
        for stage in plan.stages {
            let counters = StageCounters()
            var stageLogger = logger
            stageLogger[metadataKey: "stage"] = "\(stage.id)"
            let context = StageContext(
                stageID: stage.id, kind: stage.kind, logger: stageLogger, clock: clock, shutdown: shutdownSignal,
                errorPolicy: stage.errorPolicy, counters: counters, shared: shared, console: console)
            let outputs = stage.consumers.compactMap { queues[$0] }
            let runner = makeRunner(stage.stageType, configuration: stage.configuration, context: context,
                                    input: queues[stage.id], outputs: outputs)
            nodes.append(Node(stage: stage, counters: counters, input: queues[stage.id], outputs: outputs, runner: runner))
        }
        self.nodes = nodes
        self.startBarrier = StartBarrier(parties: nodes.count)
    }

    /// Asks the pipeline to shut down gracefully: sources stop, queues drain, sinks finish.
    public func requestShutdown() {
        if !shutdownSignal.isRequested {
            logger.info("shutdown requested; draining")
        }
        shutdownSignal.trigger()
    }

    /// Returns when a graceful shutdown is requested (or the task is cancelled).
    public func waitForShutdownRequest() async {
        await shutdownSignal.wait()
    }

    /// Whether a graceful shutdown has been requested.
    public var isShuttingDown: Bool { shutdownSignal.isRequested }

    /// Runs every stage until all sources have finished and everything has drained, or a stage fails.
    ///
    /// Three ways it ends, each its own path:
    /// - **completed** / **shut_down**: every source finished (by itself, or after ``requestShutdown()``)
    ///   and every queue drained;
    /// - **failed**: a stage failed; every other stage is cancelled at once and this throws;
    /// - **cancelled**: the calling task was cancelled (a drain deadline, a second signal); what was left
    ///   in the queues is counted as abandoned.
    ///
    /// - Returns: The report (outcome `completed`, `shut_down` or `cancelled`).
    /// - Throws: ``PipelineFailure`` when a stage fails (after its restarts, if any).
    public func run() async throws -> PipelineReport {
        let start = ContinuousClock.now
        started.withLock { $0 = start }
        logger.info("pipeline started", metadata: ["pipeline": "\(plan.name)", "stages": "\(nodes.count)"])
        let metrics = PipelineMetrics(
            pipeline: plan.name,
            stages: nodes.map { ($0.stage.id, $0.stage.descriptor.role == .source, $0.counters, $0.input) },
            factory: metricsFactory ?? MetricsSystem.factory)
        var failure: PipelineFailure?
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await metrics.run { self.health() } }
                defer { group.cancelAll() }
                try await self.runStages()
            }
        } catch let f as PipelineFailure {
            failure = f
        } catch is CancellationError {
            // Reported below as cancelled.
        }
        let elapsed = ContinuousClock.now - start
        let outcome: PipelineReport.Outcome
        if failure != nil {
            outcome = .failed
        } else if Task.isCancelled {
            outcome = .cancelled
        } else {
            outcome = shutdownSignal.isRequested ? .shutDown : .completed
        }
        finished.withLock { $0 = (outcome, elapsed, failure) }
        metrics.flush(health())
        let report = self.report()
        if let failure {
            logger.error("pipeline failed", metadata: ["error": "\(failure)"])
            throw failure
        }
        logger.info("pipeline finished", metadata: ["outcome": "\(outcome.rawValue)"])
        return report
    }

    private func runStages() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Downstream first: sinks are running before any source emits.
            for node in nodes.reversed() {
                group.addTask { try await self.runNode(node) }
            }
            // The first failure leaves the body by throwing, which cancels every other stage at once
            // (`waitForAll()` would wait for them all first, and a live source never ends by itself).
            while try await group.next() != nil {}
        }
    }

    private func runNode(_ node: Node) async throws {
        defer {
            for q in node.outputs { q.finishProducing() }
            node.input?.closeConsumer()
        }
        var attempt = 0
        var lastStart = ContinuousClock.now
        var barrier: StartBarrier? = startBarrier
        while true {
            defer { barrier = nil }
            do {
                try await node.runner.makeAndRun(barrier: barrier, status: node.status)
                node.status.set(.finished)
                return
            } catch is QueueClosedError {
                // Every stage downstream has stopped: nobody is left to send to. Not this stage's failure;
                // if a consumer failed, that failure is the run's.
                node.status.set(.finished)
                return
            } catch {
                if Task.isCancelled { throw CancellationError() }
                node.counters.errors.add(1)
                let message = redactor.redact("\(error)")
                guard let restart = node.stage.errorPolicy.restartPolicy else {
                    node.status.fail(.failed, error: message)
                    throw PipelineFailure(stageID: node.stage.id, kind: node.stage.kind, message: message, cause: error, restarts: nil)
                }
                // A stage that ran well for a while starts its backoff afresh.
                if ContinuousClock.now - lastStart > restart.maxBackoff * 2 { attempt = 0 }
                attempt += 1
                if let max = restart.maxRestarts, attempt > max {
                    node.status.fail(.failed, error: message)
                    throw PipelineFailure(stageID: node.stage.id, kind: node.stage.kind, message: message, cause: error, restarts: max)
                }
                var rng = SystemRandomNumberGenerator()
                let wait = restart.backoff.delay(attempt: attempt, using: &rng)
                logger.warning("stage failed; restarting", metadata: [
                    "stage": "\(node.stage.id)", "error": "\(message)", "attempt": "\(attempt)", "backoff": "\(DurationText.format(wait))",
                ])
                // A source that fails while the pipeline drains is not restarted.
                if shutdownSignal.isRequested && node.stage.descriptor.role == .source {
                    node.status.fail(.finished, error: message)
                    return
                }
                node.status.fail(.restarting, error: message)
                node.counters.restarts.add(1)
                // A drain that begins during the backoff cuts it short, so the restarted stage can take what
                // is left in its queue; a stage that fails again while draining waits out its backoff (a
                // stage that cannot take its input is what the drain deadline is for).
                if shutdownSignal.isRequested {
                    try await ContinuousClock().sleep(for: wait)
                } else {
                    let clock = SystemClock()
                    _ = try await clock.sleep(until: clock.now.advanced(by: wait), unless: shutdownSignal)
                }
                node.runner.prepareRestart()
                lastStart = ContinuousClock.now
            }
        }
    }

    /// Changes the subscriptions of the running source `id` (`POST /sources/{id}/subscriptions`).
    ///
    /// - Throws: ``SubscriptionChangeError`` when there is no such stage, it takes no changes, it is
    ///   not running, or the request is bad.
    public func changeSubscriptions(stage id: String, _ request: SubscriptionRequest) async throws -> SubscriptionReply {
        guard let node = nodes.first(where: { $0.stage.id == id }) else {
            throw SubscriptionChangeError(.unknownStage, "no stage \"\(id)\"; the sources are " + nodes.filter { $0.stage.descriptor.role == .source }.map { "\"\($0.stage.id)\"" }.joined(separator: ", "))
        }
        guard let control = node.counters.subscriptionControl.current else {
            throw SubscriptionChangeError(.notAccepted, "stage \"\(id)\" (\(node.stage.kind)) does not take subscription changes")
        }
        guard node.status.current.state == .running, !shutdownSignal.isRequested else {
            throw SubscriptionChangeError(.notRunning, "stage \"\(id)\" is \(shutdownSignal.isRequested ? "draining" : node.status.current.state.rawValue), not running")
        }
        return try await control.apply(request)
    }

    /// Each stage's state, each source's feed and the verdicts `/health` and `/ready` give, now.
    public func health() -> PipelineHealth {
        let outcome = finished.withLock { $0?.0 } ?? .running
        let now = ContinuousClock.now
        return PipelineHealth(
            pipeline: plan.name, outcome: outcome, draining: shutdownSignal.isRequested,
            stages: nodes.map { node in
                let status = node.status.current
                let isSource = node.stage.descriptor.role == .source
                return PipelineHealth.Stage(
                    id: node.stage.id, kind: node.stage.kind, role: node.stage.descriptor.role.rawValue,
                    state: status.state, lastError: status.lastError, restarts: node.counters.restarts.value,
                    queueDepth: node.input?.statistics.depth, queueCapacity: node.input?.capacity,
                    feed: node.counters.feed.current.map {
                        PipelineHealth.Feed(state: $0.state, delivering: $0.isDelivering, time: $0.time.iso8601, reason: $0.reason.map(redactor.redact))
                    },
                    lastEventAgeSeconds: isSource ? node.activity.age(count: node.counters.eventsOut.value, now: now) : nil,
                    symbols: node.counters.symbols.current.map {
                        PipelineHealth.Symbols(watched: $0.watched, counts: $0.counts, noData: $0.noData, stale: $0.stale)
                    })
            })
    }

    /// The counters now (outcome `running` while the pipeline runs).
    public func report() -> PipelineReport {
        let start = started.withLock { $0 }
        let end = finished.withLock { $0 }
        let elapsed = end?.1 ?? start.map { ContinuousClock.now - $0 } ?? .zero
        return PipelineReport(
            name: plan.name, outcome: end?.0 ?? .running, durationSeconds: elapsed.seconds,
            stages: nodes.map { node in
                let q = node.input?.statistics ?? QueueStatistics()
                return StageReport(
                    id: node.stage.id, kind: node.stage.kind, role: node.stage.descriptor.role.rawValue,
                    eventsIn: node.counters.eventsIn.value, eventsOut: node.counters.eventsOut.value,
                    errors: node.counters.errors.value, skipped: node.counters.skipped.value,
                    restarts: node.counters.restarts.value, dropped: q.dropped, abandoned: q.abandoned, conflated: q.conflated,
                    queueDepth: q.depth, queueHighWaterMark: q.highWaterMark,
                    queueCapacity: node.input?.capacity ?? 0, queuePolicy: node.input.map { "\($0.policy)" } ?? "")
            },
            error: end?.2?.description, failure: end?.2.map(PipelineReport.Failure.init))
    }
}

private func makeQueue(_ stageType: any Stage.Type, spec: QueueSpec, producers: Int) -> any AnyBatchQueue {
    func open<S: Stage>(_: S.Type) -> any AnyBatchQueue {
        var key: (@Sendable (S.Input) -> ConflationKey)?
        if spec.policy == .conflate {
            let fields = spec.key
            key = { element in
                guard let record = element as? any Record else { return ConflationKey(recordType: "", values: []) }
                let schema = record.schema
                return ConflationKey(recordType: schema.recordType, values: fields.map { record[field: $0] })
            }
        }
        return BatchQueue<S.Input>(capacity: spec.capacity, policy: spec.policy, producers: producers, key: key)
    }
    return open(stageType)
}

private func makeRunner(
    _ stageType: any Stage.Type, configuration: any StageConfiguration, context: StageContext,
    input: (any AnyBatchQueue)?, outputs: [any AnyBatchQueue]
) -> any StageRunning {
    func open<S: Stage>(_: S.Type) -> any StageRunning {
        // Types were checked edge by edge when the plan was made; these casts cannot fail.
        let typedInput = input.map { $0 as! BatchQueue<S.Input> }
        let typedOutputs = outputs.map { $0 as! BatchQueue<S.Output> }
        return TypedStageRunner<S>(
            configuration: configuration as! S.Configuration, context: context,
            input: Inbound(queue: typedInput, counter: context.counters.eventsIn),
            output: Outbound(queues: typedOutputs, counter: context.counters.eventsOut))
    }
    return open(stageType)
}
