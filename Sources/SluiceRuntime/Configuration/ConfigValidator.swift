public import SluiceCore
import SluiceExpressions

/// Checks a configuration object against its spec, collecting every problem and filling in defaults.
public struct ConfigValidator {
    /// Problems found so far.
    public private(set) var diagnostics: [Diagnostic] = []
    /// Pointers of values that belong to secret fields; their values never appear in messages.
    public private(set) var secretPaths: Set<JSONPointer> = []
    /// Pointers of strings produced by environment substitution (convertible to numbers and booleans).
    public let substituted: Set<JSONPointer>
    /// Pointers whose `${…}` could not be resolved (already reported); their values are not checked.
    public let unresolved: Set<JSONPointer>
    /// The expressions checked so far, parsed, so the linter's later checks need not parse them again.
    private(set) var expressions: [(pointer: JSONPointer, expression: SluiceExpressions.Expression)] = []

    /// Creates a validator.
    public init(substituted: Set<JSONPointer> = [], unresolved: Set<JSONPointer> = []) {
        self.substituted = substituted
        self.unresolved = unresolved
    }

    /// Validates `value` (nil when the `config` member is absent) against `spec` and returns it with
    /// defaults filled in and substituted strings converted to the declared types.
    public mutating func validate(_ value: JSONValue?, spec: ConfigSpec, at pointer: JSONPointer) -> JSONValue {
        let object: JSONObject
        switch value {
        case nil, .null?:
            object = JSONObject()
        case .object(let o)?:
            object = o
        case let other?:
            diagnostics.append(Diagnostic(.wrongType, at: pointer, "wrong type: got \(other.kindName)", expected: "an object"))
            return .object(JSONObject())
        }
        return .object(validateObject(object, spec: spec, at: pointer))
    }

    mutating func validateObject(_ object: JSONObject, spec: ConfigSpec, at pointer: JSONPointer) -> JSONObject {
        var out = JSONObject()
        let names = spec.fields.map(\.name)
        for (key, _) in object.entries where spec.field(named: key) == nil {
            diagnostics.append(
                Diagnostic(.unknownField, at: pointer.appending(key), "unknown field \"\(key)\"",
                           expected: names.isEmpty ? "no fields" : "one of " + names.map { "\"\($0)\"" }.joined(separator: ", "),
                           hint: didYouMean(key, in: names)))
        }
        for field in spec.fields {
            let path = pointer.appending(field.name)
            if field.isSecret { secretPaths.insert(path) }
            if let v = object[field.name], v != .null {
                out[field.name] = check(v, type: field.type, at: path, secret: field.isSecret)
            } else if let d = field.defaultValue {
                // An object's default is completed from its own spec (`{}` takes every nested default).
                if case .object(let nested) = field.type.kind, case .object(let given) = d {
                    out[field.name] = .object(validateObject(given, spec: nested, at: path))
                } else {
                    out[field.name] = d
                }
            } else if field.isRequired {
                diagnostics.append(
                    Diagnostic(.missingField, at: pointer, "missing required field \"\(field.name)\"",
                               expected: field.type.expectation, hint: field.doc.isEmpty ? nil : "\(field.name): \(field.doc)"))
            }
        }
        return out
    }

    func show(_ value: JSONValue, secret: Bool) -> String {
        if secret { return "\(value.kindName) (value redacted)" }
        switch value {
        case .string(let s):
            let short = s.count > 60 ? String(s.prefix(57)) + "…" : s
            return "string \"\(short)\""
        case .number, .bool, .null: return "\(value.kindName) \(value.jsonText)"
        default: return value.kindName
        }
    }

    mutating func wrongType(_ value: JSONValue, _ type: ConfigType, at path: JSONPointer, secret: Bool) {
        diagnostics.append(Diagnostic(.wrongType, at: path, "wrong type: got \(show(value, secret: secret))", expected: type.expectation))
    }

    /// Checks one value; returns it, converted where a substituted string stands for a number or boolean.
    ///
    /// The pointer is built only when it is needed — for a problem, a nested object, or a file with
    /// substitutions — so the elements of a big array are checked without a pointer each.
    mutating func check(_ value: JSONValue, type: ConfigType, at path: @autoclosure () -> JSONPointer, secret: Bool) -> JSONValue {
        var value = value
        if !unresolved.isEmpty, unresolved.contains(path()) { return value }
        // A string that came from ${…} may stand for a number or a boolean.
        if case .string(let s) = value, !substituted.isEmpty, substituted.contains(path()) {
            switch type.kind {
            case .integer, .number:
                if let d = Double(s.trimmingASCIIWhitespace()) { value = .number(d) }
            case .boolean:
                if s == "true" { value = .bool(true) } else if s == "false" { value = .bool(false) }
            default: break
            }
        }
        switch type.kind {
        case .any:
            return value
        case .string:
            guard case .string = value else { wrongType(value, type, at: path(), secret: secret); return value }
        case .expression:
            guard case .string(let s) = value else { wrongType(value, type, at: path(), secret: secret); return value }
            do {
                expressions.append((path(), try Expression(parsing: s)))
            } catch {
                diagnostics.append(Diagnostic(.expression, at: path(), "invalid expression \"\(s)\": \(error.message) at column \(error.column)", hint: error.hint))
            }
        case .boolean:
            guard case .bool = value else { wrongType(value, type, at: path(), secret: secret); return value }
        case .integer(let range):
            guard let i = value.integerValue else {
                // A whole number too large to be exact is out of range, not of the wrong type.
                if case .number(let n) = value, n == n.rounded() {
                    let expected = range == nil ? "an integer of at most \(Int64(ConfigValidator.largestExactInteger)) in magnitude" : type.expectation
                    diagnostics.append(Diagnostic(.invalidValue, at: path(), "value \(compactNumber(n)) is out of range", expected: expected))
                    return value
                }
                wrongType(value, type, at: path(), secret: secret)
                return value
            }
            if let range, !range.contains(i) {
                diagnostics.append(Diagnostic(.invalidValue, at: path(), "value \(i) is out of range", expected: type.expectation))
            }
        case .number(let range):
            guard let n = value.numberValue else { wrongType(value, type, at: path(), secret: secret); return value }
            if let range, !range.contains(n) {
                diagnostics.append(Diagnostic(.invalidValue, at: path(), "value \(value.jsonText) is out of range", expected: type.expectation))
            }
        case .duration:
            switch value {
            case .number(let n) where n >= 0: break
            case .string(let s) where DurationText.parse(s) != nil: break
            case .string(let s):
                diagnostics.append(Diagnostic(.invalidValue, at: path(), "invalid duration \"\(s)\"", expected: type.expectation))
            default:
                wrongType(value, type, at: path(), secret: secret)
            }
        case .enumeration(let allowed):
            guard case .string(let s) = value else { wrongType(value, type, at: path(), secret: secret); return value }
            if !allowed.contains(s) {
                diagnostics.append(
                    Diagnostic(.invalidValue, at: path(), "invalid value \(secret ? "(redacted)" : "\"\(s)\"")",
                               expected: type.expectation, hint: secret ? nil : didYouMean(s, in: allowed)))
            }
        case .array(let element, let minCount):
            guard case .array(let items) = value else { wrongType(value, type, at: path(), secret: secret); return value }
            if items.count < minCount {
                diagnostics.append(Diagnostic(.invalidValue, at: path(), "the array is empty", expected: type.expectation))
            }
            // Rebuilt only if an element changed (a substituted string read as a number): a big array
            // is checked in place, not copied.
            var changed: [JSONValue]?
            for (i, item) in items.enumerated() {
                let converted = check(item, type: element, at: path().appending(i), secret: secret)
                if changed != nil {
                    changed![i] = converted
                } else if !converted.isSameValue(as: item) {
                    changed = items
                    changed![i] = converted
                }
            }
            return changed.map { .array($0) } ?? value
        case .object(let spec):
            guard case .object(let o) = value else { wrongType(value, type, at: path(), secret: secret); return value }
            return .object(validateObject(o, spec: spec, at: path()))
        case .map(let valueType):
            guard case .object(let o) = value else { wrongType(value, type, at: path(), secret: secret); return value }
            return .object(JSONObject(o.entries.map { ($0.key, check($0.value, type: valueType, at: path().appending($0.key), secret: secret)) }))
        case .oneOf(let types):
            // The first branch that accepts the value wins; if none does, a branch of the value's own
            // kind says why (`speed: 0` is out of the number range, not of the wrong type).
            var closest: [Diagnostic]?
            for t in types {
                var probe = ConfigValidator(substituted: substituted, unresolved: unresolved)
                let converted = probe.check(value, type: t, at: path(), secret: secret)
                if probe.diagnostics.isEmpty { return converted }
                if closest == nil, !probe.diagnostics.contains(where: { $0.code == .wrongType }) { closest = probe.diagnostics }
            }
            if let closest {
                diagnostics += closest.map { d in
                    var d = d
                    d.expected = type.expectation
                    return d
                }
            } else {
                wrongType(value, type, at: path(), secret: secret)
            }
        case .custom(_, let expected, _, let isValid):
            if !isValid(value) {
                diagnostics.append(Diagnostic(.invalidValue, at: path(), "invalid value: got \(show(value, secret: secret))", expected: expected))
            }
        }
        return value
    }
}

extension ConfigValidator {
    /// The largest integer a JSON number (a double) holds exactly: 2⁵³ − 1.
    static let largestExactInteger: Double = 9_007_199_254_740_991
}

extension JSONValue {
    /// Whether `other` is this very value: equal scalars, or containers with the same storage. Cheap,
    /// unlike `==` on containers, for telling "unchanged" from "rebuilt".
    func isSameValue(as other: JSONValue) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b || (a.isNaN && b.isNaN)
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)):
            return a.count == b.count && a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
        case (.object(let a), .object(let b)):
            return a.entries.count == b.entries.count
                && a.entries.withUnsafeBufferPointer { x in b.entries.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
        default: return false
        }
    }
}
