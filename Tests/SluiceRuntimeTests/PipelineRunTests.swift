import SluiceCore
import SluiceRuntime
import SluiceTesting
import Synchronization
import Testing

/// A test transform that fails (throws) or reports record errors, to exercise `on_error`.
struct Faulty<Element: Record>: RecordGenericStage {
    typealias Input = Element
    typealias Output = Element

    struct Configuration: StageConfiguration {
        /// Throw when a record with this sequence arrives, the first `times` times.
        var failAt: Int64?
        var times: Int
        /// Report a record error for every record whose sequence is divisible by this.
        var badEvery: Int64?
        /// A key shared by the instances of one test (restarts create new instances).
        var key: String

        enum CodingKeys: String, CodingKey {
            case failAt = "fail_at", times, badEvery = "bad_every", key
        }

        static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("fail_at", .integer, optional: true, doc: "Throw at this sequence."),
                ConfigField("times", .integer, default: .number(1), doc: "How many times to throw."),
                ConfigField("bad_every", .integer(1...1000), optional: true, doc: "Record errors every N."),
                ConfigField("key", .string, doc: "Test key."),
            ])
        }
    }

    static var kind: String { "faulty" }
    static var summary: String { "Fails on purpose (tests)." }
    static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type { Faulty<R>.self }


    let configuration: Configuration
    let context: StageContext

    init(configuration: Configuration, context: StageContext) {
        self.configuration = configuration
        self.context = context
    }

    func run(input: Inbound<Element>, output: Outbound<Element>) async throws {
        for try await batch in input {
            var out: [Element] = []
            for record in batch {
                guard case .int(let seq) = record[field: "sequence"] else { continue }
                if seq == configuration.failAt {
                    let shouldFail = faultyFailures.withLock { f -> Bool in
                        let n = f[configuration.key, default: 0]
                        f[configuration.key] = n + 1
                        return n < configuration.times
                    }
                    if shouldFail { throw StageError("boom", "failed at \(seq)") }
                }
                if let every = configuration.badEvery, seq % every == 0 {
                    try context.recordError(StageError("bad", "bad record \(seq)"))
                    continue
                }
                out.append(record)
            }
            try await output.send(out)
        }
    }
}

/// How often each `Faulty` test key has failed (shared by the instances a restart creates).
let faultyFailures = Mutex<[String: Int]>([:])

@Suite("Running pipelines")
struct PipelineRunTests {
    var registry: StageRegistry {
        var r = StageRegistry.generic
        r.register(Faulty<FieldRecord>.self, origin: "tests")
        return r
    }

    @Test("generate → filter → sink: exactly the matching records arrive, in order")
    func filterPipeline() async throws {
        let result = try await TestPipeline(#"""
            {"stages": [
              {"id": "gen", "kind": "generate", "config": {"count": 10000, "symbols": ["A", "B"], "seed": 3}},
              {"id": "odd", "kind": "filter", "from": "gen", "config": {"expression": "sequence % 2 == 1 and symbol == \"B\""}},
              {"id": "out", "kind": "collect", "from": "odd"}
            ]}
            """#).run()
        let seqs: [FieldValue?] = result.rows("out").map { $0["sequence"] }
        let expected: [FieldValue?] = (0..<5000).map { i -> FieldValue? in .int(Int64(i * 2 + 1)) }
        #expect(seqs == expected)
        #expect(result.report.outcome == .completed)
        #expect(result.report.stage("gen")?.eventsOut == 10000)
        #expect(result.report.stage("odd")?.eventsIn == 10000)
        #expect(result.report.stage("odd")?.eventsOut == 5000)
    }

    @Test("fan-out: every consumer gets every event; fan-in: a stage merges several inputs")
    func fanOutFanIn() async throws {
        let result = try await TestPipeline(#"""
            {"stages": [
              {"id": "a", "kind": "generate", "config": {"count": 3000, "symbols": ["A"]}},
              {"id": "b", "kind": "generate", "config": {"count": 2000, "symbols": ["B"]}},
              {"id": "merge", "kind": "pass", "from": ["a", "b"]},
              {"id": "left", "kind": "collect", "from": "merge"},
              {"id": "right", "kind": "collect", "from": "merge"}
            ]}
            """#).run()
        for sink in ["left", "right"] {
            let rows = result.rows(sink)
            #expect(rows.count == 5000)
            let aSeqs: [FieldValue?] = rows.filter { $0["symbol"] == .string("A") }.map { $0["sequence"] }
            let expected: [FieldValue?] = (0..<3000).map { i -> FieldValue? in .int(Int64(i)) }
            #expect(aSeqs == expected)
            #expect(rows.filter { $0["symbol"] == .string("B") }.count == 2000)
        }
    }

    @Test("select keeps, drops and renames fields")
    func select() async throws {
        let result = try await TestPipeline(#"""
            {"stages": [
              {"id": "gen", "kind": "generate", "config": {"count": 3}},
              {"id": "slim", "kind": "select", "from": "gen", "config": {"keep": ["symbol", "price", "size"], "drop": ["size"], "rename": {"price": "last"}}},
              {"id": "out", "kind": "collect", "from": "slim"}
            ]}
            """#).run()
        let records = result.records("out")
        #expect(records.count == 3)
        #expect(records.first?.schema.columnNames == ["symbol", "last"])
    }

    @Test("on_error restart: a failing stage is created again and the run completes")
    func restart() async throws {
        let result = try await TestPipeline(#"""
            {"stages": [
              {"id": "gen", "kind": "generate", "config": {"count": 2000, "batch_size": 100}},
              {"id": "flaky", "kind": "faulty", "from": "gen", "config": {"fail_at": 1234, "times": 2, "key": "restart-test"},
               "on_error": {"action": "restart", "backoff": "1ms", "max_backoff": "2ms"}},
              {"id": "out", "kind": "collect", "from": "flaky"}
            ]}
            """#, registry: registry).run()
        let flaky = try #require(result.report.stage("flaky"))
        #expect(result.report.outcome == .completed)
        #expect(flaky.restarts == 2)
        #expect(flaky.errors == 2)
        // The batch in flight when the stage failed is delivered again to the new instance: nothing is lost.
        let delivered = Set(result.rows("out").compactMap { row -> Int64? in
            if case .int(let s)? = row["sequence"] { return s } else { return nil }
        })
        #expect(delivered == Set(0..<2000))
    }

    @Test("on_error fail (the default): the pipeline fails with a message naming the stage")
    func fail() async throws {
        await #expect {
            _ = try await TestPipeline(#"""
                {"stages": [
                  {"id": "gen", "kind": "generate", "config": {"count": 100}},
                  {"id": "boom", "kind": "faulty", "from": "gen", "config": {"fail_at": 50, "key": "fail-test"}},
                  {"id": "out", "kind": "collect", "from": "boom"}
                ]}
                """#, registry: registry).run()
        } throws: { error in
            (error as? PipelineFailure)?.stageID == "boom" && "\(error)".contains("failed at 50")
        }
    }

    @Test("on_error restart gives up after max_restarts")
    func restartLimit() async throws {
        await #expect {
            _ = try await TestPipeline(#"""
                {"stages": [
                  {"id": "gen", "kind": "generate", "config": {"count": 100, "batch_size": 10}},
                  {"id": "boom", "kind": "faulty", "from": "gen", "config": {"fail_at": 50, "times": 100, "key": "limit-test"},
                   "on_error": {"action": "restart", "max_restarts": 0}},
                  {"id": "out", "kind": "collect", "from": "boom"}
                ]}
                """#, registry: registry).run()
        } throws: { error in
            "\(error)".contains("gave up after 0 restarts")
        }
    }

    @Test("on_error skip: bad records are counted and skipped; the others pass")
    func skip() async throws {
        let result = try await TestPipeline(#"""
            {"stages": [
              {"id": "gen", "kind": "generate", "config": {"count": 1000}},
              {"id": "check", "kind": "faulty", "from": "gen", "config": {"bad_every": 10, "key": "skip-test"}, "on_error": "skip"},
              {"id": "out", "kind": "collect", "from": "check"}
            ]}
            """#, registry: registry).run()
        let check = try #require(result.report.stage("check"))
        #expect(check.errors == 100)
        #expect(check.skipped == 100)
        #expect(result.rows("out").count == 900)
    }

    @Test("a record error under on_error fail fails the pipeline")
    func recordErrorFails() async throws {
        await #expect(throws: PipelineFailure.self) {
            _ = try await TestPipeline(#"""
                {"stages": [
                  {"id": "gen", "kind": "generate", "config": {"count": 1000}},
                  {"id": "check", "kind": "faulty", "from": "gen", "config": {"bad_every": 10, "key": "strict-test"}},
                  {"id": "out", "kind": "collect", "from": "check"}
                ]}
                """#, registry: registry).run()
        }
    }

    @Test("graceful shutdown: sources stop, queues drain, and every emitted event reaches the sink")
    func shutdown() async throws {
        let result = try await TestPipeline(#"""
            {"stages": [
              {"id": "gen", "kind": "generate"},
              {"id": "slow", "kind": "pass", "from": "gen", "queue": {"capacity": 64}},
              {"id": "out", "kind": "collect", "from": "slow"}
            ]}
            """#).run { pipeline in
            try #require(await eventually(within: .seconds(120)) { (pipeline.report().stage("out")?.eventsIn ?? 0) >= 1000 })
            pipeline.requestShutdown()
        }
        let emitted = try #require(result.report.stage("gen")?.eventsOut)
        #expect(result.report.outcome == .shutDown)
        #expect(emitted >= 1000)
        #expect(result.rows("out").count == emitted)
        #expect(result.report.totalDropped == 0)
    }

    @Test("drop policies: every event is either delivered or counted as dropped")
    func dropAccounting() async throws {
        for policy in ["drop_newest", "drop_oldest"] {
            let result = try await TestPipeline("""
                {"stages": [
                  {"id": "gen", "kind": "generate", "config": {"count": 50000, "batch_size": 64}},
                  {"id": "out", "kind": "collect", "from": "gen", "queue": {"capacity": 100, "policy": "\(policy)"}}
                ]}
                """).run()
            let out = try #require(result.report.stage("out"))
            #expect(out.eventsIn + out.dropped == 50000, "\(policy)")
            #expect(result.rows("out").count == out.eventsIn)
            #expect(out.queueHighWaterMark <= 100)
        }
    }

    @Test("conflate: the sink sees the latest value per symbol; replaced events are counted")
    func conflate() async throws {
        let result = try await TestPipeline(#"""
            {"stages": [
              {"id": "gen", "kind": "generate", "config": {"count": 30000, "symbols": ["A", "B", "C"]}},
              {"id": "board", "kind": "collect", "from": "gen", "queue": {"capacity": 10, "policy": "conflate", "key": ["symbol"]}}
            ]}
            """#).run()
        let board = try #require(result.report.stage("board"))
        #expect(board.eventsIn + board.conflated + board.dropped == 30000)
        #expect(board.dropped == 0)
        let rows = result.rows("board")
        for (i, symbol) in ["A", "B", "C"].enumerated() {
            #expect(rows.last { $0["symbol"] == .string(symbol) }?["sequence"] == .int(Int64(29997 + i)), "the last update of \(symbol) is never lost")
        }
    }
}

@Suite("generate on a manual clock")
struct GenerateClockTests {
    @Test("at a rate, events follow the schedule start + i/rate exactly, and a duration becomes a count")
    func rate() async throws {
        let clock = ManualClock()
        let start = clock.now
        let config = try StageHarness.configuration(GenerateStage.Configuration.self, json: #"{"rate": 100, "duration": "2s", "symbols": ["X"]}"#)
        async let run = StageHarness.runSource(GenerateStage.self, configuration: config, clock: clock)
        for _ in 0..<20 {
            try await clock.waitForSleepers(1)
            clock.advance(by: .milliseconds(100))
        }
        let output = try await run.output
        #expect(output.count == 200)
        #expect(output.map(\.time) == (0..<200).map { start.advanced(by: .milliseconds(10 * $0)) })
        #expect(output.map(\.sequence) == Array(0..<200))
    }

    @Test("the same seed gives the same stream")
    func deterministic() async throws {
        let config = try StageHarness.configuration(GenerateStage.Configuration.self, json: #"{"count": 500, "seed": 11}"#)
        let clock = ManualClock()
        let a = try await StageHarness.runSource(GenerateStage.self, configuration: config, clock: clock).output
        let b = try await StageHarness.runSource(GenerateStage.self, configuration: config, clock: clock).output
        #expect(a == b)
        #expect(a.allSatisfy { $0.bid < $0.price && $0.price < $0.ask })
    }

    @Test("a source stops when shutdown is requested while it waits for the next event")
    func shutdownWhileWaiting() async throws {
        let clock = ManualClock()
        let shutdown = ShutdownSignal()
        let config = try StageHarness.configuration(GenerateStage.Configuration.self, json: #"{"rate": 10}"#)
        async let run = StageHarness.runSource(GenerateStage.self, configuration: config, clock: clock, shutdown: shutdown)
        try await clock.waitForSleepers(1)
        shutdown.trigger()
        #expect(try await run.output.count == 1)
    }

    @Test("the filter stage alone, through the harness")
    func filterHarness() async throws {
        let ticks = (0..<100).map { Tick(symbol: $0 % 2 == 0 ? "A" : "B", sequence: Int64($0), time: Timestamp(millisecondsSinceEpoch: 0), price: Double($0), size: 1, bid: 0, ask: 0) }
        let config = try StageHarness.configuration(FilterStage<Tick>.Configuration.self, json: #"{"expression": "price >= 90 and symbol == \"A\""}"#)
        let run = try await StageHarness.run(FilterStage<Tick>.self, configuration: config, input: ticks, batchSize: 7)
        #expect(run.output.map(\.sequence) == [90, 92, 94, 96, 98])
        #expect(run.counters.eventsIn.value == 100)
    }
}
