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

    /// The full docs of one kind: summary, ports and every configuration field.
    public static func detail(_ d: StageDescriptor) -> String {
        var out = "\(d.kind) (\(d.role.rawValue), \(d.origin))\n  \(d.summary)\n\n"
        out += "  input:  \(d.inputDescription ?? "none (source)")\n"
        out += "  output: \(d.outputDescription ?? "none (sink)")\n\n"
        if d.spec.fields.isEmpty {
            out += "  config: no fields\n"
            return out
        }
        out += "  config:\n"
        let ordered = d.spec.fields.filter { !$0.isAdvanced } + d.spec.fields.filter(\.isAdvanced)
        for f in ordered {
            var flags: [String] = []
            if f.isRequired { flags.append("required") }
            if f.isSecret { flags.append("secret") }
            if f.isAdvanced { flags.append("advanced") }
            var line = "    \(f.name): \(f.type)"
            if let dv = f.defaultValue { line += " = \(dv.jsonText)" }
            if !flags.isEmpty { line += "  [\(flags.joined(separator: ", "))]" }
            out += line + "\n      \(f.doc)\n"
        }
        return out
    }
}
