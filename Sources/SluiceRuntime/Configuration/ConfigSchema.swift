public import SluiceCore

extension ConfigSpec {
    /// A JSON Schema (draft 2020-12) object for configurations of this spec.
    public func jsonSchema(description: String) -> JSONValue {
        var properties = JSONObject()
        for f in fields {
            guard case .object(var s) = f.type.jsonSchema else { continue }
            s["description"] = .string(f.doc)
            if let d = f.defaultValue { s["default"] = d }
            if f.isSecret { s["writeOnly"] = .bool(true) }
            properties[f.name] = .object(s)
        }
        return obj([
            ("type", "object"),
            ("description", .string(description)),
            ("additionalProperties", .bool(false)),
            ("required", .array(fields.filter(\.isRequired).map { .string($0.name) })),
            ("properties", .object(properties)),
        ])
    }
}

extension ConfigType {
    /// A JSON Schema object for values of this type. Wherever a value is not already a string, a string
    /// holding a `${NAME}` or `${NAME:-default}` reference is allowed too: it is substituted, then
    /// checked, when the file is loaded.
    public var jsonSchema: JSONValue {
        switch kind {
        case .string, .expression, .array, .object, .map, .any, .custom, .oneOf: return valueSchema
        case .boolean, .integer, .number, .duration, .enumeration:
            return obj([("anyOf", .array([valueSchema, Self.environmentReference]))])
        }
    }

    /// A string that is, or holds, a `${NAME}` reference.
    static let environmentReference = obj([("type", "string"), ("pattern", "\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}")])

    /// The schema of the value itself.
    private var valueSchema: JSONValue {
        switch kind {
        case .string: return obj([("type", "string")])
        case .expression: return obj([("type", "string"), ("format", "sluice-expression")])
        case .boolean: return obj([("type", "boolean")])
        case .integer(let r):
            var o = JSONObject([("type", "integer")])
            if let r { o["minimum"] = .number(Double(r.lowerBound)); o["maximum"] = .number(Double(r.upperBound)) }
            return .object(o)
        case .number(let r):
            var o = JSONObject([("type", "number")])
            if let r { o["minimum"] = .number(r.lowerBound); o["maximum"] = .number(r.upperBound) }
            return .object(o)
        case .duration:
            return obj([("oneOf", .array([obj([("type", "string"), ("pattern", "^\\s*[0-9.]+(ns|us|µs|ms|s|m|h|d)\\s*$")]), obj([("type", "number"), ("minimum", .number(0))])]))])
        case .enumeration(let v): return obj([("enum", .array(v.map(JSONValue.string)))])
        case .array(let e, let min): return obj([("type", "array"), ("items", e.jsonSchema), ("minItems", .number(Double(min)))])
        case .object(let spec): return spec.jsonSchema(description: "")
        case .map(let v): return obj([("type", "object"), ("additionalProperties", v.jsonSchema)])
        case .any: return obj([])
        case .oneOf(let types): return obj([("oneOf", .array(types.map(\.jsonSchema)))])
        case .custom(let name, let expected, let example, _):
            return obj([("description", .string("\(name): \(expected)")), ("examples", .array([example]))])
        }
    }
}

private func obj(_ entries: [(String, JSONValue)]) -> JSONValue { .object(JSONObject(entries.map { ($0.0, $0.1) })) }
