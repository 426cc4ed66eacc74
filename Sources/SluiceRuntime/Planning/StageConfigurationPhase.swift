import SluiceCore

/// Phase 4: each stage's kind looked up in the registry (plugins loaded) and its `config` checked against
/// the kind's spec, with defaults filled in.
struct StageConfigurationPhase {
    let registry: StageRegistry
    /// Strings produced by `${…}` (they may stand for numbers and booleans).
    let substituted: Set<JSONPointer>
    /// Strings whose `${…}` could not be resolved (already reported; not checked further).
    let unresolved: Set<JSONPointer>

    /// Fills in `draft`'s descriptor and checked configuration.
    func configure(_ draft: inout StageDraft, problems: inout [Diagnostic]) {
        guard let kind = draft.kind else {
            // A kind of the wrong type was reported with the file model.
            if draft.kindIsMissing {
                problems.report(.missingField, draft.pointer, "missing required field \"kind\"",
                                expected: "a stage kind such as " + registry.kinds.prefix(4).joined(separator: ", "))
            }
            return
        }
        guard let descriptor = registry.descriptor(for: kind) else {
            problems.report(.unknownKind, draft.pointer.appending("kind"), "unknown stage kind \"\(kind)\"",
                            expected: "a registered kind (see `sluice stages`)", hint: didYouMean(kind, in: registry.kinds))
            return
        }
        draft.descriptor = descriptor
        var validator = ConfigValidator(substituted: substituted, unresolved: unresolved)
        draft.config = validator.validate(draft.rawConfig, spec: descriptor.spec, at: draft.configPointer)
        problems += validator.diagnostics
        let hasUnresolved = !unresolved.isEmpty && unresolved.contains(where: { $0.tokens.starts(with: draft.pointer.tokens) })
        draft.configValid = validator.diagnostics.isEmpty && !hasUnresolved
        if !draft.configValid, !hasUnresolved {
            draft.repairedConfig = Self.repair(draft.config, spec: descriptor.spec, problems: validator.diagnostics, at: draft.configPointer)
        }
        draft.secrets = ConfigRedaction.secrets(in: draft.rawConfig ?? .null, spec: descriptor.spec)
        let depth = draft.configPointer.tokens.count
        for (pointer, expression) in validator.expressions where pointer.tokens.count == depth + 1 {
            draft.expressions.append((pointer.tokens[depth], expression))
        }
    }

    /// `config` with every top-level field that has a problem set to its default (unknown fields
    /// removed); `nil` if a bad field has no default, or a required one is missing.
    static func repair(_ config: JSONValue, spec: ConfigSpec, problems: [Diagnostic], at pointer: JSONPointer) -> JSONValue? {
        guard case .object(var object) = config else { return nil }
        let depth = pointer.tokens.count
        var bad = Set<String>()
        for problem in problems {
            guard problem.path.tokens.count > depth, problem.path.tokens.starts(with: pointer.tokens) else { return nil }
            bad.insert(problem.path.tokens[depth])
        }
        for name in bad {
            guard let field = spec.fields.first(where: { $0.name == name }) else {
                object[name] = nil
                continue
            }
            // Only a default stands in: dropping an optional field could raise a problem that is not
            // there ("nothing to subscribe to" for a `candles` with one bad period).
            guard let value = field.defaultValue else { return nil }
            object[name] = value
        }
        return .object(object)
    }
}

/// Secret fields of a configuration: redacted for display, and their values collected so they can be
/// masked wherever they might appear.
enum ConfigRedaction {
    /// `config` with every secret field, at any depth, replaced by `***`.
    static func redacted(_ config: JSONValue, spec: ConfigSpec) -> JSONValue {
        switch config {
        case .array(let items): return .array(items.map { redacted($0, spec: spec) })
        case .object(var o):
            for field in spec.fields {
                guard let value = o[field.name] else { continue }
                if field.isSecret {
                    o[field.name] = .string("***")
                } else if let nested = field.type.nestedSpec {
                    o[field.name] = redactedNested(value, spec: nested, isMap: field.type.isMap)
                }
            }
            return .object(o)
        default: return config
        }
    }

    private static func redactedNested(_ value: JSONValue, spec: ConfigSpec, isMap: Bool) -> JSONValue {
        guard isMap, case .object(var o) = value else { return redacted(value, spec: spec) }
        for key in o.keys { o[key] = redacted(o[key]!, spec: spec) }
        return .object(o)
    }

    /// Every string inside a secret field, at any depth.
    static func secrets(in config: JSONValue, spec: ConfigSpec) -> [String] {
        switch config {
        case .array(let items): return items.flatMap { secrets(in: $0, spec: spec) }
        case .object(let o):
            var out: [String] = []
            for field in spec.fields {
                guard let value = o[field.name] else { continue }
                if field.isSecret {
                    out += allStrings(value)
                } else if let nested = field.type.nestedSpec {
                    if case .object(let m) = value, field.type.isMap {
                        for key in m.keys { out += secrets(in: m[key]!, spec: nested) }
                    } else {
                        out += secrets(in: value, spec: nested)
                    }
                }
            }
            return out
        default: return []
        }
    }

    private static func allStrings(_ value: JSONValue) -> [String] {
        switch value {
        case .string(let s): return [s]
        case .array(let items): return items.flatMap(allStrings)
        case .object(let o): return o.keys.flatMap { allStrings(o[$0]!) }
        default: return []
        }
    }
}
