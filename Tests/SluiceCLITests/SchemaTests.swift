import Foundation
import Testing

/// `sluice schema` checked by a real JSON Schema validator (Python's `jsonschema`, draft 2020-12): the
/// shipped pipelines pass it, and on files that `sluice validate` rejects for a reason the schema can
/// express, the schema rejects them too — so an editor bound to it says what `validate` would.
@Suite("JSON Schema for pipeline files")
struct SchemaTests {
    /// Validates each file in `dir` named in `files` against `schema.json` there; returns, per file, the
    /// validator's messages (empty when it passes).
    static func schemaErrors(_ files: [String], in dir: URL) async throws -> [String: [String]] {
        let script = """
            import json, sys
            try:
                import jsonschema
            except ImportError:
                sys.exit("the Python jsonschema module is missing: run `bash .ci/setup` (Debian: python3-jsonschema)")
            schema = json.load(open("schema.json"))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            out = {f: [e.message for e in validator.iter_errors(json.load(open(f)))] for f in sys.argv[1:]}
            print(json.dumps(out))
            """
        try write(script, to: dir.appendingPathComponent("check.py"))
        let run = try await runProgram(["python3", "check.py"] + files, in: dir)
        try #require(run.status == 0, "\(run.output)")
        let json = try #require(run.output.split(separator: "\n").last.map(String.init))
        return try JSONDecoder().decode([String: [String]].self, from: Data(json.utf8))
    }

    static func writeSchema(to dir: URL) async throws {
        let schema = try await SluiceProcess.run(["schema"], in: dir)
        try #require(schema.status == 0)
        try write(schema.stdout, to: dir.appendingPathComponent("schema.json"))
    }

    @Test("every shipped pipeline passes the generated schema, ${VAR:-default} values and $schema included")
    func shippedPipelines() async throws {
        let dir = try temporaryDirectory()
        try await Self.writeSchema(to: dir)
        let shipped = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("pipelines").path)
            .filter { $0.hasSuffix(".json") }.sorted()
        #expect(shipped.count >= 8)
        for name in shipped {
            try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("pipelines/\(name)"), to: dir.appendingPathComponent(name))
        }
        try write(#"{"$schema": "./schema.json", "stages": [{"id": "g", "kind": "generate", "config": {"count": "${N:-5}", "rate": "${RATE}"}}, {"id": "out", "kind": "null", "from": "g"}]}"#,
                  to: dir.appendingPathComponent("bound.json"))
        let errors = try await Self.schemaErrors(shipped + ["bound.json"], in: dir)
        for name in shipped + ["bound.json"] { #expect(errors[name] == [], "\(name)") }
        let validated = try await SluiceProcess.run(["validate", "bound.json"], in: dir, environment: ["RATE": "100"])
        #expect(validated.status == 0, "validate accepts a $schema member: \(validated.stderr)")
    }

    /// A sink after stage `g`, so a lone source is not a problem of its own.
    static let sink = #"{"id": "out", "kind": "null", "from": "g"}"#

    @Test("files validate rejects are rejected by the schema too, for the same member", arguments: [
        ("missing-config", #"{"stages": [{"id": "s", "kind": "generate"}, {"id": "g", "kind": "exec", "from": "s"}, \#(sink)]}"#, "/stages/1/config"),
        ("wrong-type", #"{"stages": [{"id": "g", "kind": "generate", "config": {"count": "three"}}, \#(sink)]}"#, "/stages/0/config/count"),
        ("unknown-field", #"{"stages": [{"id": "g", "kind": "generate", "config": {"cont": 1}}, \#(sink)]}"#, "/stages/0/config/cont"),
        ("unknown-kind", #"{"stages": [{"id": "g", "kind": "generator"}, \#(sink)]}"#, "/stages/0/kind"),
        ("bad-duration", #"{"stages": [{"id": "g", "kind": "generate", "config": {"duration": "soon"}}, \#(sink)]}"#, "/stages/0/config/duration"),
        ("bad-policy", #"{"stages": [{"id": "g", "kind": "generate"}, {"id": "o", "kind": "null", "from": "g", "queue": {"policy": "drop_all"}}]}"#, "/stages/1/queue/policy"),
        ("schema-not-a-string", #"{"$schema": 1, "stages": [{"id": "g", "kind": "generate"}, \#(sink)]}"#, "/$schema"),
    ])
    func agreement(name: String, text: String, pointer: String) async throws {
        let dir = try temporaryDirectory()
        try await Self.writeSchema(to: dir)
        try write(text, to: dir.appendingPathComponent("\(name).json"))
        let validated = try await SluiceProcess.run(["validate", "\(name).json"], in: dir)
        #expect(validated.status == 2)
        #expect(validated.stderr.contains(": \(pointer):"), "\(validated.stderr)")
        let errors = try await Self.schemaErrors(["\(name).json"], in: dir)
        #expect(errors["\(name).json"]?.isEmpty == false)
    }
}
