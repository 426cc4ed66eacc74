import SluiceCore
import SluiceRuntime
import SluiceStages
import SluiceTesting
import Testing

/// A configuration whose spec and struct disagree in every way the conformance check looks for.
private struct DriftingConfiguration: StageConfiguration {
    enum Mode: String, ConfigOption { case fast, safe }
    var mode: Mode
    var count: Int
    var undeclared: String?

    static let spec = ConfigSpec([
        ConfigField("mode", .oneOf(["fast", "safe", "turbo"]), default: "fast", doc: "An option the enum lacks."),
        ConfigField("count", .integer(1...10), default: .number(5), doc: "Read."),
        ConfigField("orphan", .string, optional: true, doc: "Declared, never read."),
    ])

    func validate() -> [Diagnostic] {
        [Diagnostic(.configuration, at: JSONPointer(tokens: ["cuont"]), "count looks wrong")]
    }
}

/// A configuration with a nested object and a snake_case field, in agreement with its spec.
private struct AgreeingConfiguration: StageConfiguration {
    struct Retry: Decodable, Sendable {
        var maxAttempts: Int
        var backoff: ConfigDuration
    }
    var baseURL: String
    var retry: Retry
    var formats: [TimeFormat]

    static let spec = ConfigSpec([
        ConfigField("base_url", .string, doc: "Required, so the sample supplies it."),
        ConfigField("retry", .object(ConfigSpec([
            ConfigField("max_attempts", .integer(1...5), default: .number(3), doc: "Attempts."),
            ConfigField("backoff", .duration, default: "1s", doc: "Between attempts."),
        ])), default: .object(JSONObject()), doc: "Retries."),
        ConfigField("formats", .array(.oneOf(TimeFormat.self)), default: .array(["iso8601"]), doc: "Time formats."),
    ])
}

@Suite("configuration conformance: one declaration per field")
struct ConfigurationConformanceTests {
    @Test("every stage Sluice ships reads exactly the fields its spec declares, and decodes every option", arguments: StageRegistry.all.kinds)
    func shippedStageConforms(kind: String) throws {
        let descriptor = try #require(StageRegistry.all.descriptor(for: kind))
        #expect(ConfigurationConformance.problems(of: descriptor) == [])
    }

    @Test("a spec field never read, a member read but not declared, an option that does not decode and a stray pointer are all reported")
    func driftIsReported() {
        let problems = ConfigurationConformance.problems(of: DriftingConfiguration.self)
        #expect(problems.map(\.description).sorted() == [
            "/cuont: validate() reports \"count looks wrong\" at a pointer the spec does not declare",
            "/mode: option \"turbo\" does not decode: Cannot initialize Mode from invalid String value turbo",
            "/orphan: declared in the spec but never read by DriftingConfiguration",
            "/undeclared: read by DriftingConfiguration but not declared in the spec",
        ])
    }

    @Test("nested objects, snake_case members and arrays of options conform when the struct matches the spec")
    func agreementIsQuiet() {
        #expect(ConfigurationConformance.problems(of: AgreeingConfiguration.self, sample: JSONObject([(key: "base_url", value: "http://localhost")])) == [])
    }

    @Test("a required field of a type that cannot be synthesized must be given in the sample")
    func unsynthesizableFieldIsNamed() {
        struct Opaque: StageConfiguration {
            var payload: String
            static let spec = ConfigSpec([ConfigField("payload", .any, doc: "Anything.")])
        }
        #expect(ConfigurationConformance.problems(of: Opaque.self).map(\.description)
            == ["/payload: cannot make a sample any value; give one in `sample`"])
    }

    @Test("an unknown option is rejected with the list of options, at its pointer", arguments: [
        ("csv", #"{"path": "/tmp/x.csv", "rotate": "weekly"}"#, "/rotate", #"expected one of "none", "daily", "size""#),
        ("candles", #"{"periods": ["1m"], "price_source": "middle"}"#, "/price_source", "expected one of"),
    ])
    func unknownOptionIsRejected(kind: String, json: String, pointer: String, expected: String) throws {
        let descriptor = try #require(StageRegistry.all.descriptor(for: kind))
        var validator = ConfigValidator()
        let document = try JSONDocument(parsing: json)
        _ = validator.validate(document.root, spec: descriptor.spec, at: .root)
        let diagnostic = try #require(validator.diagnostics.first)
        #expect(diagnostic.path.description == pointer)
        #expect(diagnostic.description.contains(expected))
    }
}
