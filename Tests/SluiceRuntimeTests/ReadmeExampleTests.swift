import Logging
import SluiceCore
import SluiceRuntime
import SluiceTesting
import Testing

// The "Write a stage" example from docs/custom-stages.md, verbatim, so the docs stay true.

/// The mid price of a tick: a new record type with its own columns.
struct Mid: Record {
    var symbol: String
    var mid: Double

    static let midSchema = RecordSchema(recordType: "mid", columns: [Column("symbol", .string), Column("mid", .double)])
    var schema: RecordSchema { Self.midSchema }
    static var declaredFields: [Column]? { midSchema.columns }

    func value(at index: Int) -> FieldValue {
        index == 0 ? .string(symbol) : .double(mid)
    }
}

/// `mid` (transform): ticks in, mid prices out, optionally rounded.
struct MidPrice: Stage {
    /// How the mid is rounded: an option is a `String` enum, spelled in the file by its raw values.
    enum Rounding: String, ConfigOption { case nearest, down }

    struct Configuration: StageConfiguration {
        var decimals: Int        // the member "decimals"
        var rounding: Rounding   // the member "rounding": "nearest" or "down"

        static let spec = ConfigSpec([
            ConfigField("decimals", .integer(0...8), default: .number(2), doc: "Round the mid to this many decimals."),
            ConfigField("rounding", Rounding.self, default: .nearest, doc: "Round to the nearest value, or down."),
        ])
    }

    static let kind = "mid"
    static let summary = "Mid price ((bid + ask) / 2) of every tick."

    let scale: Double
    let rule: FloatingPointRoundingRule

    init(configuration: Configuration, context: StageContext) {
        var s = 1.0
        for _ in 0..<configuration.decimals { s *= 10 }
        scale = s
        rule = configuration.rounding == .down ? .down : .toNearestOrAwayFromZero
    }

    func run(input: Inbound<Tick>, output: Outbound<Mid>) async throws {
        for try await batch in input {
            try await output.send(batch.map { tick in
                Mid(symbol: tick.symbol, mid: ((tick.bid + tick.ask) / 2 * scale).rounded(rule) / scale)
            })
        }
    }
}

@Suite("README example")
struct ReadmeExampleTests {
    @Test("the example stage, alone through the harness")
    func harness() async throws {
        let ticks = [Tick(symbol: "SPY", sequence: 0, time: Timestamp(millisecondsSinceEpoch: 0), price: 500, size: 1, bid: 499.99, ask: 500.02)]
        let config = try StageHarness.configuration(MidPrice.Configuration.self, json: #"{"decimals": 3}"#)
        let run = try await StageHarness.run(MidPrice.self, configuration: config, input: ticks)
        #expect(run.output.map(\.mid) == [500.005])
    }

    @Test("the example's option rounds down when asked, and anything else is rejected with the options")
    func option() async throws {
        let ticks = [Tick(symbol: "SPY", sequence: 0, time: Timestamp(millisecondsSinceEpoch: 0), price: 500, size: 1, bid: 499.99, ask: 500.02)]
        let config = try StageHarness.configuration(MidPrice.Configuration.self, json: #"{"decimals": 1, "rounding": "down"}"#)
        let run = try await StageHarness.run(MidPrice.self, configuration: config, input: ticks)
        #expect(run.output.map(\.mid) == [500.0])
        #expect {
            _ = try StageHarness.configuration(MidPrice.Configuration.self, json: #"{"rounding": "up"}"#)
        } throws: { error in
            (error as? ValidationFailure)?.diagnostics.first?.description.contains(#"expected one of "nearest", "down""#) == true
        }
    }

    @Test("the example's configuration and spec agree (the README's conformance test)")
    func conformance() {
        #expect(ConfigurationConformance.problems(of: MidPrice.Configuration.self) == [])
    }

    @Test("the example stage in a pipeline, registered beside the standard stages")
    func pipeline() async throws {
        var registry = StageRegistry.generic
        registry.register(MidPrice.self, origin: "my-stages")
        let result = try await TestPipeline(#"""
            {"stages": [
              {"id": "ticks", "kind": "generate", "config": {"count": 100}},
              {"id": "mids",  "kind": "mid", "from": "ticks"},
              {"id": "wide",  "kind": "filter", "from": "mids", "config": {"expression": "mid > 0"}},
              {"id": "out",   "kind": "collect", "from": "wide"}
            ]}
            """#, registry: registry).run()
        #expect(result.records("out").count == 100)
        #expect(result.records("out").first?.schema.recordType == "mid")
    }

    @Test("a kind's input type is checked against its upstream when the pipeline is validated")
    func typeCheck() throws {
        var registry = StageRegistry.generic
        registry.register(MidPrice.self, origin: "my-stages")
        #expect(throws: ValidationFailure.self) {
            _ = try PipelinePlanner(registry: registry, environment: [:]).plan(text: #"""
                {"stages": [
                  {"id": "ticks", "kind": "generate"},
                  {"id": "slim", "kind": "select", "from": "ticks", "config": {"keep": ["bid", "ask"]}},
                  {"id": "mids", "kind": "mid", "from": "slim"},
                  {"id": "out", "kind": "null", "from": "mids"}
                ]}
                """#)
        }
    }
}
