public import SluiceCore

/// Renders stage documentation for `sluice stages`.
public enum StageDocs {
    /// One line per kind: kind, role, ports, origin, summary.
    public static func overview(_ registry: StageRegistry) -> String {
        var rows: [[String]] = [["KIND", "ROLE", "INPUT → OUTPUT", "FROM", "SUMMARY"]]
        for d in registry.descriptors {
            rows.append([d.kind, d.role.rawValue, "\(d.inputDescription ?? "-") → \(d.outputDescription ?? "-")", d.origin, d.summary])
        }
        var widths = [Int](repeating: 0, count: 4)
        for r in rows { for i in 0..<4 { widths[i] = max(widths[i], r[i].count) } }
        return rows.map { r in
            (0..<4).map { r[$0] + String(repeating: " ", count: widths[$0] - r[$0].count) }.joined(separator: "  ") + "  " + r[4]
        }.joined(separator: "\n") + "\n\nRun `sluice stages KIND` for a kind's configuration fields.\n"
    }

    /// The full docs of one kind: summary, ports (with the output's record types and columns, where
    /// they are known) and every configuration field, nested objects' fields indented under theirs.
    public static func detail(_ d: StageDescriptor) -> String {
        var out = "\(d.kind) (\(d.role.rawValue), \(d.origin))\n  \(d.summary)\n\n"
        out += "  input:  \(d.inputDescription ?? "none (source)")\n"
        out += "  output: \(d.outputDescription ?? "none (sink)")\n"
        if let schemas = d.outputSchemas {
            out += "    records (type — the table or file name sinks use — and columns):\n"
            for schema in schemas {
                out += "      \(schema.recordType): " + schema.columns.map { "\($0.name) \($0.type)" }.joined(separator: ", ") + "\n"
            }
        }
        out += "\n"
        if d.spec.fields.isEmpty {
            out += "  config: no fields\n"
            return out
        }
        out += "  config:\n"
        fields(of: d.spec, indent: "    ", into: &out)
        return out
    }

    /// One entry per field (advanced ones last), with the fields of an object — or of an array's or a
    /// map's objects — below it, indented.
    static func fields(of spec: ConfigSpec, indent: String, into out: inout String) {
        let ordered = spec.fields.filter { !$0.isAdvanced } + spec.fields.filter(\.isAdvanced)
        for f in ordered {
            var flags: [String] = []
            if f.isRequired { flags.append("required") }
            if f.isSecret { flags.append("secret") }
            if f.isAdvanced { flags.append("advanced") }
            var line = "\(indent)\(f.name): \(f.type)"
            if let dv = f.defaultValue { line += " = \(dv.jsonText)" }
            if !flags.isEmpty { line += "  [\(flags.joined(separator: ", "))]" }
            out += line + "\n\(indent)  \(f.doc)\n"
            if let nested = nestedSpec(f.type) { fields(of: nested, indent: indent + "    ", into: &out) }
        }
    }

    /// The spec of the objects a value of `type` holds, if it holds objects.
    static func nestedSpec(_ type: ConfigType) -> ConfigSpec? {
        switch type.kind {
        case .object(let spec): return spec
        case .array(let element, _), .map(let element): return nestedSpec(element)
        case .oneOf(let types): return types.lazy.compactMap(nestedSpec).first
        default: return nil
        }
    }
}
