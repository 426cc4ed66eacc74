import DXLink
import Foundation
import MarketData
import SluiceCore
import SluiceExpressions
import SluiceRuntime
import SluiceStages
import SluiceTesting
import Testing
import BuiltinStages

/// Hostile input is normal input: every parser of outside data is fed thousands of mutated inputs from a
/// fixed seed, and every input that ever crashed one is kept under `Fixtures/crashers` and replayed.
/// "No crash" is the first property; each harness also checks what a good answer looks like.
@Suite("Fuzz: no input crashes a parser")
struct FuzzTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func crashers(_ kind: String) -> [String] {
        let dir = fixtures.appendingPathComponent("crashers/\(kind)")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
    }

    static func crasher(_ kind: String, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtures.appendingPathComponent("crashers/\(kind)/\(name)")))
    }

    static func seedLines(_ name: String) throws -> [[UInt8]] {
        let text = try String(contentsOf: fixtures.appendingPathComponent("seeds/\(name)"), encoding: .utf8)
        return text.split(separator: "\n").map { Array($0.utf8) }
    }

    /// Runs `check` on `iterations` mutations of the corpus, deterministically.
    static func campaign(_ corpus: [[UInt8]], iterations: Int, salt: UInt64, _ check: ([UInt8]) throws -> Void) rethrows {
        var m = Mutator(seed: Mutator.seed ^ salt)
        var pool = corpus
        // In a long campaign, SLUICE_FUZZ_LAST names a file that always holds the input being tried, so
        // the one that crashed the process is there afterwards.
        let last = ProcessInfo.processInfo.environment["SLUICE_FUZZ_LAST"]
        for i in 0..<Mutator.iterations(default: iterations) {
            let base = pool[m.below(pool.count)]
            let input = m.mutate(base, other: pool[m.below(pool.count)])
            if let last { _ = FileManager.default.createFile(atPath: last, contents: Data(input)) }
            try check(input)
            // Keep some mutants as bases, so mutations compound.
            if i % 16 == 0, input.count < 100_000 { pool.append(input) }
            if pool.count > 512 { pool.removeFirst(pool.count - 512) }
        }
    }

    // MARK: DXLink frames

    static let layout = FeedLayout(id: 1, channel: 1, dataFormat: .compact, eventFields: [
        "Quote": ["eventSymbol", "bidPrice", "askPrice", "bidSize", "askSize"],
        "Trade": ["eventType", "eventSymbol", "price", "size", "dayVolume"],
        "Candle": ["eventSymbol", "eventFlags", "index", "time", "open", "high", "low", "close", "volume", "vwap"],
    ])

    /// Decodes `bytes` as a server message and as FEED_DATA; returns the decoder's statistics.
    static func decodeFrame(_ bytes: [UInt8]) -> FeedDecoder.Statistics {
        _ = try? ServerMessage.parse(String(decoding: bytes, as: UTF8.self))
        var decoder = FeedDecoder()
        var events: [MarketEvent] = []
        bytes.withUnsafeBytes { _ = decoder.decode($0, layout: layout, into: &events) }
        #expect(decoder.statistics.events == events.count)
        return decoder.statistics
    }

    @Test("every kept crash frame is counted as one malformed frame", arguments: crashers("frames"))
    func crashFrame(name: String) throws {
        let stats = Self.decodeFrame(try Self.crasher("frames", name))
        #expect(stats.malformedFrames == 1, "one skipped unit per dropped frame")
        #expect(stats.events == 0)
    }

    @Test("a server message nested too deeply is rejected as malformed")
    func deepServerMessage() throws {
        let bytes = try Self.crasher("frames", "server-message-nested-150000.txt")
        #expect(throws: FrameScanError.self) { try ServerMessage.parse(String(decoding: bytes, as: UTF8.self)) }
    }

    @Test("mutated DXLink frames decode or are counted; none crashes")
    func frames() throws {
        Self.campaign(try Self.seedLines("frames.txt"), iterations: 4000, salt: 1) { input in
            let stats = Self.decodeFrame(input)
            #expect(stats.malformedFrames <= 1)
        }
    }

    @Test("the frame scanner skips nesting up to its limit and rejects one level more")
    func skipDepthLimit() {
        func skip(_ depth: Int) -> Result<Void, FrameScanError> {
            let text = Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
            return text.withUnsafeBytes { buffer in
                var scanner = FrameScanner(buffer)
                do throws(FrameScanError) {
                    try scanner.skipValue()
                    return scanner.isAtEnd() ? .success(()) : .failure(FrameScanError("left over", at: 0))
                } catch {
                    return .failure(error)
                }
            }
        }
        #expect((try? skip(FrameScanner.maximumSkipDepth).get()) != nil)
        #expect(throws: FrameScanError("nested too deeply (limit 64)", at: 64)) { try skip(FrameScanner.maximumSkipDepth + 1).get() }
    }

    // MARK: Pipeline files

    static let linter = PipelinePlanner(registry: .all, environment: ["X": "1"])

    /// Lints `bytes`; a rejection must say where and what.
    static func lint(_ bytes: [UInt8]) -> ValidationFailure? {
        do {
            _ = try linter.plan(text: String(decoding: bytes, as: UTF8.self), file: "fuzz.json")
            return nil
        } catch {
            #expect(!error.diagnostics.isEmpty)
            for d in error.diagnostics { #expect(!d.message.isEmpty) }
            return error
        }
    }

    @Test("every kept crash pipeline file is rejected with diagnostics (exit 2), never a trap", arguments: crashers("pipelines"))
    func crashPipeline(name: String) throws {
        let failure = Self.lint(try Self.crasher("pipelines", name))
        #expect(failure != nil, "\(name) must not validate")
    }

    @Test("a file nested too deeply names the JSON Pointer and the limit")
    func deepPipeline() throws {
        let failure = try #require(Self.lint(try Self.crasher("pipelines", "nested-config-200000.json")))
        let d = try #require(failure.diagnostics.first)
        #expect(d.message == "invalid JSON: nested too deeply (limit 100)")
        #expect(d.path.description.hasPrefix("/stages/0/config/x/0/0/0"))
    }

    @Test("mutated pipeline files validate or are rejected with diagnostics; none crashes")
    func pipelines() throws {
        var corpus: [[UInt8]] = []
        for dir in ["pipelines", "Tests/SluiceRuntimeTests/Fixtures/broken"] {
            let url = Self.repository.appendingPathComponent(dir)
            for name in (try FileManager.default.contentsOfDirectory(atPath: url.path)).sorted() where name.hasSuffix(".json") {
                corpus.append(Array(try Data(contentsOf: url.appendingPathComponent(name))))
            }
        }
        #expect(corpus.count >= 10)
        Self.campaign(corpus, iterations: 1500, salt: 2) { _ = Self.lint($0) }
    }

    // MARK: Expressions

    static let schema = RecordSchema(recordType: "q", columns: [
        Column("symbol", .string), Column("price", .double), Column("bid", .double), Column("ask", .double),
        Column("size", .int), Column("state", .string), Column("event_type", .string), Column("description", .string),
    ])
    static let record = FieldRecord(schema: schema, values: [.string("SPY"), .double(600.5), .double(600.4), .double(600.6), .int(100), .string("open"), .string("Quote"), .string("x")])

    /// Parses `text`; if it parses, binds and evaluates it.
    static func expression(_ text: String) -> ExpressionError? {
        do {
            let e = try Expression(parsing: text)
            _ = e.bind(to: schema).matches(record)
            return nil
        } catch {
            #expect(error.column >= 1)
            return error
        }
    }

    @Test("every kept crash expression is rejected as nested too deeply", arguments: crashers("expressions"))
    func crashExpression(name: String) throws {
        let error = Self.expression(String(decoding: try Self.crasher("expressions", name), as: UTF8.self))
        #expect(error?.message == "expression nested too deeply (limit 100)")
    }

    @Test("expressions up to the height limit parse and evaluate")
    func expressionLimit() {
        #expect(Self.expression(String(repeating: "(", count: 98) + "price" + String(repeating: ")", count: 98) + " > 0") == nil)
        #expect(Self.expression(String(repeating: "not ", count: 98) + "true") == nil)
        #expect(Self.expression("price" + String(repeating: " + 1", count: 98)) == nil)
    }

    @Test("mutated expressions parse or fail with a column; none crashes")
    func expressions() throws {
        Self.campaign(try Self.seedLines("expressions.txt"), iterations: 6000, salt: 3) { input in
            _ = Self.expression(String(decoding: input, as: UTF8.self))
        }
    }

    // MARK: Numbers

    @Test("durations and periods of any text are parsed or rejected, never trapped on")
    func numberTexts() {
        var m = Mutator(seed: Mutator.seed ^ 4)
        let units = ["ns", "us", "ms", "s", "m", "h", "d", "w", "t", "v", "x", ""]
        let numbers = ["0", "1", "0.5", "1e3", "99999999999999999999", "1000000000000", "9223372036854775807", "10000000000000000000", "1e400", ".", "", "1.7976931348623157e308"]
        for _ in 0..<Mutator.iterations(default: 3000) {
            let text = numbers[m.below(numbers.count)] + units[m.below(units.count)]
            _ = DurationText.parse(text)
            _ = CandleSymbol(base: "X", period: text).periodDuration
        }
        #expect(DurationText.parse("99999999999999999999d") == nil)
        #expect(CandleSymbol(base: "X", period: "1000000000000w").periodDuration == nil)
        #expect(CandleSymbol(base: "X", period: "366d").periodDuration == .seconds(366 * 86_400))
    }

    // MARK: Recordings

    static func replay(_ bytes: [UInt8], speed: String, clock: ManualClock = ManualClock(), shutdown: ShutdownSignal = ShutdownSignal()) async throws -> StageRun<DXLinkFrame> {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString).jsonl").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try StageHarness.configuration(ReplaySource.Configuration.self, json: #"{"path": "\#(path)", "speed": \#(speed)}"#)
        return try await StageHarness.runSource(ReplaySource.self, configuration: config, clock: clock, shutdown: shutdown)
    }

    @Test("recording lines nested too deeply, or with times out of range, are counted as skipped")
    func crashRecordings() async throws {
        let deep = try await Self.replay(try Self.crasher("recordings", "nested-line-150000.jsonl"), speed: #""max""#)
        #expect(deep.output.isEmpty)
        #expect(deep.counters.skipped.value == 1)
        let times = try await Self.replay(try Self.crasher("recordings", "times-minus-and-plus-9e15.jsonl"), speed: "1")
        #expect(times.counters.skipped.value == 1, "the negative time is skipped")
        #expect(times.output.count == 1)
    }

    @Test("at a slow speed, frames years apart make one long wait (clamped), not an overflow")
    func slowReplay() async throws {
        let bytes = try Self.crasher("recordings", "slow-speed-frames-years-apart.jsonl")
        let clock = ManualClock()
        let shutdown = ShutdownSignal()
        let waited = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = try await Self.replay(bytes, speed: "0.001", clock: clock, shutdown: shutdown)
                return false
            }
            group.addTask {
                try await clock.waitForSleepers(1)
                return true
            }
            let first = try await group.next()!
            // Either way, end the replay: its second frame is due in about 285 000 years.
            shutdown.trigger()
            group.cancelAll()
            return first
        }
        #expect(waited, "the replay waits for the second frame instead of trapping or skipping it")
    }

    @Test("mutated recordings replay or are counted as skipped; none crashes")
    func recordings() async throws {
        let seed = Array(try Data(contentsOf: Self.fixtures.appendingPathComponent("crashers/recordings/times-minus-and-plus-9e15.jsonl")))
        var m = Mutator(seed: Mutator.seed ^ 5)
        for _ in 0..<Mutator.iterations(default: 200) {
            let input = m.mutate(seed, other: seed)
            _ = try? await Self.replay(input, speed: #""max""#)
        }
    }
}
