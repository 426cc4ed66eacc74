import Logging
public import SluiceCore
import SluiceQueue
import SluiceRuntime

/// What a stage produced when run by ``StageHarness``.
public struct StageRun<Output: Sendable>: Sendable {
    /// Everything the stage sent, in order.
    public var output: [Output]
    /// The stage's counters (errors, skipped …).
    public var counters: StageCounters
}

/// Runs one stage on in-memory input and collects its output — the unit test for a stage.
///
/// ```swift
/// let config = try StageHarness.configuration(FilterStage<Tick>.Configuration.self, json: #"{"expression": "price > 100"}"#)
/// let run = try await StageHarness.run(FilterStage<Tick>.self, configuration: config, input: ticks)
/// #expect(run.output.allSatisfy { $0.price > 100 })
/// ```
public enum StageHarness {
    /// Builds a configuration from JSON the way a pipeline file does (spec validation, defaults, decoding).
    public static func configuration<C: StageConfiguration>(_ type: C.Type, json: String) throws(ValidationFailure) -> C {
        try ConfigurationLoader.load(type, json: json)
    }

    /// Runs a stage over `input` (sent in batches of `batchSize`) and returns what it emitted.
    public static func run<S: Stage>(
        _ type: S.Type, configuration: S.Configuration, input: [S.Input], batchSize: Int = 256,
        clock: any StageClock = SystemClock(), errorPolicy: ErrorPolicy = .fail, shutdown: ShutdownSignal = ShutdownSignal()
    ) async throws -> StageRun<S.Output> {
        let counters = StageCounters()
        let context = StageContext(stageID: "test", kind: S.kind, logger: testLogger(S.kind), clock: clock,
                                   shutdown: shutdown, errorPolicy: errorPolicy, counters: counters)
        let inQueue = BatchQueue<S.Input>(capacity: max(input.count, 1))
        var offset = 0
        while offset < input.count {
            let end = min(offset + max(batchSize, 1), input.count)
            try await inQueue.send(Array(input[offset..<end]))
            offset = end
        }
        inQueue.finishProducing()
        let outQueue = BatchQueue<S.Output>(capacity: 1 << 20)
        let stage = try S(configuration: configuration, context: context)
        return try await withThrowingTaskGroup(of: [S.Output]?.self) { group in
            group.addTask {
                defer { outQueue.finishProducing() }
                try await stage.run(input: Inbound(queue: inQueue, counter: counters.eventsIn),
                                    output: Outbound(queues: [outQueue], counter: counters.eventsOut))
                return nil
            }
            group.addTask {
                var all: [S.Output] = []
                while let batch = try await outQueue.next() { all += batch }
                return all
            }
            var output: [S.Output] = []
            for try await result in group { if let result { output = result } }
            return StageRun(output: output, counters: counters)
        }
    }

    /// Runs a source stage and returns what it emitted.
    public static func runSource<S: Stage>(
        _ type: S.Type, configuration: S.Configuration, clock: any StageClock = SystemClock(),
        shutdown: ShutdownSignal = ShutdownSignal()
    ) async throws -> StageRun<S.Output> where S.Input == Never {
        try await run(type, configuration: configuration, input: [], clock: clock, shutdown: shutdown)
    }

    static func testLogger(_ label: String) -> Logger {
        var logger = Logger(label: "test.\(label)")
        logger.logLevel = .critical
        return logger
    }
}
