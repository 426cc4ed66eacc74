public import SluiceCore

/// Exports a JSON Schema (draft 2020-12) for pipeline files, generated from the registry's specs, so
/// editors can complete and check pipeline files.
public enum PipelineSchema {
    /// The schema for pipeline files using the kinds in `registry`.
    public static func jsonSchema(for registry: StageRegistry) -> JSONValue {
        let kinds = registry.kinds
        var conditionals: [JSONValue] = []
        for d in registry.descriptors {
            var then: [(String, JSONValue)] = [("properties", obj([("config", d.spec.jsonSchema(description: d.summary))]))]
            // A kind with required fields cannot do without its `config`.
            if d.spec.fields.contains(where: \.isRequired) { then.append(("required", .array(["config"]))) }
            conditionals.append(obj([
                ("if", obj([
                    ("properties", obj([("kind", obj([("const", .string(d.kind))]))])),
                    ("required", .array(["kind"])),
                ])),
                ("then", obj(then)),
            ]))
        }
        let stringOrList = obj([("oneOf", .array([obj([("type", "string")]), obj([("type", "array"), ("items", obj([("type", "string")])), ("minItems", .number(1))])]))])
        let stage = obj([
            ("type", "object"),
            ("required", .array(["id", "kind"])),
            ("additionalProperties", .bool(false)),
            ("properties", obj([
                ("id", obj([("type", "string"), ("pattern", "^[A-Za-z0-9_][A-Za-z0-9_-]*$")])),
                ("kind", obj([("enum", .array(kinds.map(JSONValue.string)))])),
                ("description", obj([("type", "string")])),
                ("from", stringOrList),
                ("config", obj([("type", "object")])),
                ("queue", PipelineFileModel.queueSpec.jsonSchema(description: "The stage's input queue.")),
                ("on_error", obj([("oneOf", .array([
                    obj([("enum", .array(["fail", "skip", "restart"]))]),
                    PipelineFileModel.OnError.spec.jsonSchema(description: "Error policy with restart options."),
                ]))])),
            ])),
            ("allOf", .array(conditionals)),
        ])
        return obj([
            ("$schema", "https://json-schema.org/draft/2020-12/schema"),
            ("title", "Sluice pipeline"),
            ("type", "object"),
            ("required", .array(["stages"])),
            ("additionalProperties", .bool(false)),
            ("properties", obj([
                ("$schema", obj([("type", "string"), ("description", "The JSON Schema this file follows (for editors; Sluice ignores it).")])),
                ("name", obj([("type", "string")])),
                ("description", obj([("type", "string")])),
                ("plugins", obj([("type", "array"), ("items", obj([("type", "string")])),
                                 ("description", "Stage libraries to load (paths relative to this file), built with `sluice build-plugin`.")])),
                ("http", obj([("type", "string"),
                              ("description", .string("Where the operator endpoint (/metrics, /health, /ready) listens: \(OperatorAddress.expected). Off when absent; `sluice run --http` overrides it."))])),
                ("stages", obj([("type", "array"), ("minItems", .number(1)), ("items", stage)])),
            ])),
        ])
    }

    static func obj(_ entries: [(String, JSONValue)]) -> JSONValue { .object(JSONObject(entries.map { ($0.0, $0.1) })) }
}

