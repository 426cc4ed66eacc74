import Logging
import ServiceLifecycle
import SluiceCore
import SluiceRuntime
import SluiceTesting
import Testing

/// A test sink that never reads its input: it waits for the shutdown request (or, with `ignore_shutdown`,
/// for cancellation), then returns — a downstream that has stalled.
struct Stall<Element: Record>: RecordGenericStage {
    typealias Input = Element
    typealias Output = Never

    struct Configuration: StageConfiguration {
        var ignoreShutdown: Bool
        enum CodingKeys: String, CodingKey { case ignoreShutdown = "ignore_shutdown" }
        static var spec: ConfigSpec {
            ConfigSpec([ConfigField("ignore_shutdown", .boolean, default: .bool(false), doc: "Wait for cancellation only.")])
        }
    }

    static var kind: String { "stall" }
    static var summary: String { "Never reads its input (tests)." }
    static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type { Stall<R>.self }

    let configuration: Configuration
    let context: StageContext

    init(configuration: Configuration, context: StageContext) {
        self.configuration = configuration
        self.context = context
    }

    func run(input: Inbound<Element>, output: Outbound<Never>) async throws {
        if configuration.ignoreShutdown {
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
        await context.shutdown.wait()
    }
}

/// Failure, graceful shutdown and cancellation are three distinct ways a run ends; each is tested here.
@Suite("How a run ends")
struct RunEndingTests {
    var registry: StageRegistry {
        var r = StageRegistry.generic
        r.register(Faulty<FieldRecord>.self, origin: "tests")
        r.register(Stall<FieldRecord>.self, origin: "tests")
        return r
    }

    func pipeline(_ text: String) throws -> Pipeline {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return Pipeline(plan: try TestPipeline(text, registry: registry).plan(), logger: logger)
    }

    /// `pipeline` as the one service of a group that ends with it, as `sluice run` sets it up.
    func serviceGroup(_ pipeline: Pipeline, drainDeadline: Duration? = nil) -> (PipelineService, ServiceGroup) {
        let service = PipelineService(pipeline)
        var configuration = ServiceGroupConfiguration(services: [
            .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .cancelGroup),
        ], logger: Logger(label: "test"))
        configuration.maximumGracefulShutdownDuration = drainDeadline
        return (service, ServiceGroup(configuration: configuration))
    }

    /// Every event a stage sent is received downstream, still queued, dropped by a policy, conflated or
    /// abandoned: nothing is lost without a count.
    func expectConservation(_ report: PipelineReport, from source: String, to sink: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let out = report.stage(source)?.eventsOut, let s = report.stage(sink) else {
            Issue.record("missing stages", sourceLocation: sourceLocation)
            return
        }
        #expect(out == s.eventsIn + s.queueDepth + s.dropped + s.conflated + s.abandoned, sourceLocation: sourceLocation)
    }

    @Test("a failing stage ends the run at once, though its source would never end by itself; the cause is kept")
    func failureCancelsEverything() async throws {
        let p = try pipeline(#"""
            {"stages": [
              {"id": "gen", "kind": "generate"},
              {"id": "boom", "kind": "faulty", "from": "gen", "config": {"fail_at": 5000, "key": "ending-failure"}},
              {"id": "out", "kind": "collect", "from": "boom"}
            ]}
            """#)
        let failure = await #expect(throws: PipelineFailure.self) { try await p.run() }
        #expect(failure?.stageID == "boom")
        #expect(failure?.kind == "faulty")
        #expect((failure?.cause as? StageError)?.code == "boom", "the underlying error is kept, not flattened to text")
        #expect(failure?.description == #"stage "boom" (faulty) failed: failed at 5000"#)
        let report = p.report()
        #expect(report.outcome == .failed)
        #expect(report.failure == PipelineReport.Failure(failure!), "the report carries the failure as fields")
        #expect(report.failure?.code == "boom")
        #expect(report.totalDropped == 0, "block queues never drop, even into a dead stage")
        expectConservation(report, from: "gen", to: "boom")
    }

    @Test("a stalled downstream holds at most its capacity under every policy, and every event is counted", arguments: ["block", "drop_newest", "drop_oldest", "conflate"])
    func stalledDownstream(policy: String) async throws {
        let p = try pipeline("""
            {"stages": [
              {"id": "gen", "kind": "generate", "config": {"count": 200000, "batch_size": 100, "symbols": ["A", "B", "C", "D", "E", "F", "G", "H"]}},
              {"id": "stuck", "kind": "stall", "from": "gen", "queue": {"capacity": 64, "policy": "\(policy)"}}
            ]}
            """)
        async let run = p.run()
        if policy == "block" {
            // The producer fills the queue, then waits: backpressure.
            try #require(await eventually(within: .seconds(120)) { (p.report().stage("stuck")?.queueDepth ?? 0) >= 64 })
        } else {
            // The producer never waits: it sends everything, and the queue keeps at most 64.
            try #require(await eventually(within: .seconds(120)) { (p.report().stage("gen")?.eventsOut ?? 0) >= 200000 })
        }
        p.requestShutdown()
        let report = try await run
        let stuck = try #require(report.stage("stuck"))
        #expect(stuck.queueHighWaterMark <= 64)
        #expect(stuck.eventsIn == 0)
        switch policy {
        case "block":
            #expect(stuck.dropped == 0)
            #expect(report.stage("gen")!.eventsOut < 200000, "the source was held back")
        case "conflate":
            #expect(stuck.dropped == 0)
            #expect(stuck.conflated == 200000 - 8, "eight symbols: the latest of each is kept")
        default:
            #expect(stuck.dropped == 200000 - 64)
        }
        expectConservation(report, from: "gen", to: "stuck")
    }

    @Test("cancelling the run abandons the drain: the outcome is cancelled and what was queued is counted as abandoned")
    func cancellation() async throws {
        let p = try pipeline(#"""
            {"stages": [
              {"id": "gen", "kind": "generate"},
              {"id": "stuck", "kind": "stall", "from": "gen", "config": {"ignore_shutdown": true}, "queue": {"capacity": 32}}
            ]}
            """#)
        let task = Task { try await p.run() }
        try #require(await eventually(within: .seconds(120)) { (p.report().stage("stuck")?.queueDepth ?? 0) >= 32 })
        task.cancel()
        let report = try await task.value
        #expect(report.outcome == .cancelled)
        let stuck = try #require(report.stage("stuck"))
        #expect(stuck.dropped == 0)
        #expect(stuck.abandoned >= 32)
        expectConservation(report, from: "gen", to: "stuck")
    }

    @Test("in a ServiceGroup, graceful shutdown drains the pipeline: every emitted event reaches the sink")
    func serviceGracefulShutdown() async throws {
        let p = try pipeline(#"""
            {"stages": [
              {"id": "gen", "kind": "generate"},
              {"id": "out", "kind": "collect", "from": "gen"}
            ]}
            """#)
        let (service, group) = serviceGroup(p)
        let store = CollectStore()
        try await CollectStore.$current.withValue(store) {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try #require(await eventually(within: .seconds(120)) { (p.report().stage("out")?.eventsIn ?? 0) >= 1000 })
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
        let report = service.finalReport
        #expect(report.outcome == .shutDown)
        #expect(store.records("out").count == report.stage("gen")?.eventsOut)
        #expect(report.stage("out")?.abandoned == 0)
    }

    @Test("in a ServiceGroup, the drain deadline cancels a pipeline that cannot drain; the outcome is cancelled")
    func serviceDrainDeadline() async throws {
        let p = try pipeline(#"""
            {"stages": [
              {"id": "gen", "kind": "generate"},
              {"id": "stuck", "kind": "stall", "from": "gen", "config": {"ignore_shutdown": true}, "queue": {"capacity": 16}}
            ]}
            """#)
        let (service, group) = serviceGroup(p, drainDeadline: .milliseconds(50))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try #require(await eventually(within: .seconds(120)) { (p.report().stage("stuck")?.queueDepth ?? 0) >= 16 })
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(service.finalReport.outcome == .cancelled)
        #expect(p.isShuttingDown)
    }

    @Test("in a ServiceGroup, a failing stage fails the group with the PipelineFailure")
    func serviceFailure() async throws {
        let p = try pipeline(#"""
            {"stages": [
              {"id": "gen", "kind": "generate"},
              {"id": "boom", "kind": "faulty", "from": "gen", "config": {"fail_at": 100, "key": "ending-service"}},
              {"id": "out", "kind": "collect", "from": "boom"}
            ]}
            """#)
        let (service, group) = serviceGroup(p)
        let failure = await #expect(throws: PipelineFailure.self) { try await group.run() }
        #expect(failure?.stageID == "boom")
        #expect(service.finalReport.outcome == .failed)
    }
}
