/// The type of a configuration field, as the spec declares it.
///
/// A struct over a private enum, so new kinds of field can be added without breaking stage authors.
public struct ConfigType: Sendable, CustomStringConvertible {
    package indirect enum Kind: Sendable {
        case string
        case integer(ClosedRange<Int64>?)
        case number(ClosedRange<Double>?)
        case boolean
        case duration
        case enumeration([String])
        case array(ConfigType, minCount: Int)
        case object(ConfigSpec)
        case map(ConfigType)
        case expression
        case any
        case oneOf([ConfigType])
        case custom(name: String, expected: String, example: JSONValue, check: @Sendable (JSONValue) -> Bool)
    }
    package let kind: Kind

    /// Any string.
    public static let string = ConfigType(kind: .string)
    /// An integer, optionally within `range`.
    public static func integer(_ range: ClosedRange<Int64>? = nil) -> ConfigType { ConfigType(kind: .integer(range)) }
    /// Any integer.
    public static let integer = ConfigType(kind: .integer(nil))
    /// A number, optionally within `range`.
    public static func number(_ range: ClosedRange<Double>? = nil) -> ConfigType { ConfigType(kind: .number(range)) }
    /// Any number.
    public static let number = ConfigType(kind: .number(nil))
    /// `true` or `false`.
    public static let boolean = ConfigType(kind: .boolean)
    /// A duration: `"500ms"`, `"2s"`, `"5m"` … or a number of seconds. Decode it as ``ConfigDuration``.
    public static let duration = ConfigType(kind: .duration)
    /// A filter expression (checked when the pipeline is validated).
    public static let expression = ConfigType(kind: .expression)
    /// Any JSON value (the stage checks it itself).
    public static let any = ConfigType(kind: .any)
    /// One of a fixed set of strings.
    public static func oneOf(_ values: [String]) -> ConfigType { ConfigType(kind: .enumeration(values)) }
    /// One of the cases of `option`, by raw value: `.oneOf(Rotation.self)`.
    public static func oneOf<Option: ConfigOption>(_ option: Option.Type) -> ConfigType {
        ConfigType(kind: .enumeration(Option.allCases.map(\.rawValue)))
    }
    /// An array of `element`, with at least `minCount` elements.
    public static func array(_ element: ConfigType, minCount: Int = 0) -> ConfigType { ConfigType(kind: .array(element, minCount: minCount)) }
    /// An object with the fields of `spec`.
    public static func object(_ spec: ConfigSpec) -> ConfigType { ConfigType(kind: .object(spec)) }
    /// An object with arbitrary keys whose values are `value`.
    public static func map(_ value: ConfigType) -> ConfigType { ConfigType(kind: .map(value)) }
    /// Any of the given types (e.g. a string or a list of strings).
    public static func either(_ types: ConfigType...) -> ConfigType { ConfigType(kind: .oneOf(types)) }
    /// A value checked by `check`; `name` appears in docs, `expected` in error messages, and `example` (a
    /// value `check` accepts) in the JSON Schema and the samples of `ConfigurationConformance`.
    public static func custom(
        _ name: String, expected: String, example: JSONValue, check: @escaping @Sendable (JSONValue) -> Bool
    ) -> ConfigType {
        ConfigType(kind: .custom(name: name, expected: expected, example: example, check: check))
    }

    /// The spec of an object, or of the objects in an array or map, for walking nested configuration.
    public var nestedSpec: ConfigSpec? {
        switch kind {
        case .object(let spec): return spec
        case .array(let element, _), .map(let element): return element.nestedSpec
        default: return nil
        }
    }

    /// Whether this is a ``map(_:)`` (an object with arbitrary keys).
    public var isMap: Bool { if case .map = kind { return true } else { return false } }

    /// Whether this is ``expression``.
    public var isExpression: Bool { if case .expression = kind { return true } else { return false } }

    /// A short name for docs, e.g. `[string]`, `duration`, `block|drop_oldest`.
    public var description: String {
        switch kind {
        case .string: return "string"
        case .integer(let r):
            guard let r else { return "integer" }
            return r.upperBound == .max ? "integer ≥ \(r.lowerBound)" : "integer \(r.lowerBound)…\(r.upperBound)"
        case .number(let r): return r.map { "number \(compactNumber($0.lowerBound))…\(compactNumber($0.upperBound))" } ?? "number"
        case .boolean: return "boolean"
        case .duration: return "duration"
        case .enumeration(let v): return v.joined(separator: "|")
        case .array(let e, _): return "[\(e)]"
        case .object: return "object"
        case .map(let v): return "{string: \(v)}"
        case .expression: return "expression"
        case .any: return "any"
        case .oneOf(let types): return types.map(\.description).joined(separator: " or ")
        case .custom(let name, _, _, _): return name
        }
    }

    /// What a value of this type looks like, for "expected …" in messages.
    public var expectation: String {
        switch kind {
        case .string: return "a string"
        case .integer(let r):
            guard let r else { return "an integer" }
            return r.upperBound == .max ? "an integer of at least \(r.lowerBound)" : "an integer from \(r.lowerBound) to \(r.upperBound)"
        case .number(let r): return r.map { "a number from \(compactNumber($0.lowerBound)) to \(compactNumber($0.upperBound))" } ?? "a number"
        case .boolean: return "true or false"
        case .duration: return DurationText.expected
        case .enumeration(let v): return "one of " + v.map { "\"\($0)\"" }.joined(separator: ", ")
        case .array(let e, let min): return min > 0 ? "a non-empty array of \(e.plural)" : "an array of \(e.plural)"
        case .object: return "an object"
        case .map(let v): return "an object whose values are \(v.plural)"
        case .expression: return "a filter expression string"
        case .any: return "any value"
        case .oneOf(let types): return types.map(\.expectation).joined(separator: " or ")
        case .custom(_, let expected, _, _): return expected
        }
    }

    var plural: String {
        switch kind {
        case .string: return "strings"
        case .integer: return "integers"
        case .number: return "numbers"
        case .boolean: return "booleans"
        case .duration: return "durations"
        case .object: return "objects"
        case .enumeration(let v): return "values from " + v.map { "\"\($0)\"" }.joined(separator: ", ")
        default: return description + " values"
        }
    }
}

/// One field of a stage configuration: name, type, default, doc line and flags.
public struct ConfigField: Sendable {
    /// The JSON member name (snake_case).
    public var name: String
    /// The type of its value.
    public var type: ConfigType
    /// The value used when the field is absent; `nil` means the field is required unless ``isOptional``.
    public var defaultValue: JSONValue?
    /// One line of documentation.
    public var doc: String
    /// An absent optional field without default decodes as `nil`.
    public var isOptional: Bool
    /// Secret values (tokens, passwords) are redacted in every log line, message and printout.
    public var isSecret: Bool
    /// Advanced fields are listed after the others in `sluice stages`.
    public var isAdvanced: Bool

    /// Whether the pipeline file must give this field.
    public var isRequired: Bool { defaultValue == nil && !isOptional }

    /// Declares a field.
    public init(
        _ name: String, _ type: ConfigType, default defaultValue: JSONValue? = nil, optional: Bool = false,
        secret: Bool = false, advanced: Bool = false, doc: String
    ) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.doc = doc
        self.isOptional = optional
        self.isSecret = secret
        self.isAdvanced = advanced
    }
}

extension ConfigField {
    /// Declares a field whose value is one of the cases of `Option`, with a typed default:
    /// `ConfigField("rotate", Rotation.self, default: .none, doc: "…")`.
    public init<Option: ConfigOption>(
        _ name: String, _ option: Option.Type, default defaultValue: Option, advanced: Bool = false, doc: String
    ) {
        self.init(name, .oneOf(option), default: .string(defaultValue.rawValue), advanced: advanced, doc: doc)
    }
}

/// A configuration option with a fixed set of values, declared once as a `String` enum whose raw values
/// are what the pipeline file spells:
///
/// ```swift
/// enum Rotation: String, ConfigOption { case none, daily, size }
/// public var rotate: Rotation                                   // the property
/// ConfigField("rotate", Rotation.self, default: .none, doc: "…") // the spec line
/// ```
///
/// The spec lists the cases, the validator rejects anything else with "expected one of …", and the
/// configuration decodes the case itself — no string compared later, no silent fallback.
public protocol ConfigOption: CaseIterable, RawRepresentable, Codable, Sendable where RawValue == String {}

/// How a sink writes times: ISO-8601 UTC text or milliseconds since the Unix epoch.
public enum TimeFormat: String, ConfigOption {
    /// `2026-12-02T14:30:00.000Z`.
    case iso8601
    /// `1796221800000`.
    case epochMilliseconds = "epoch_ms"
}

/// The declared fields of a configuration object.
public struct ConfigSpec: Sendable {
    /// The fields in documentation order.
    public var fields: [ConfigField]

    /// Creates a spec.
    public init(_ fields: [ConfigField]) { self.fields = fields }

    /// A spec with no fields.
    public static let empty = ConfigSpec([])

    /// The field called `name`.
    public func field(named name: String) -> ConfigField? { fields.first { $0.name == name } }

    /// The JSON Pointer to a field of this spec or below it, for a problem found by
    /// ``StageConfiguration/validate()``: `Self.spec.pointer("tastytrade", "base_url")`,
    /// `Self.spec.pointer("symbols", 3)`. Field names are checked against the spec (an array's or map's
    /// field is followed by an index or key), so a pointer cannot name a field that does not exist; a name
    /// the spec lacks is a programming error, caught by an assertion in debug builds and by
    /// `ConfigurationConformance` in the stage's tests.
    public func pointer(_ path: any ConfigPathComponent...) -> JSONPointer {
        var tokens: [String] = []
        var current: ConfigType.Kind? = .object(self)
        for component in path {
            let token = component.pointerToken
            tokens.append(token)
            guard let kind = current else { continue }
            current = Self.step(into: kind, token: token)
            if current == nil { assertionFailure("the spec has no field \(JSONPointer(tokens: tokens))") }
        }
        return JSONPointer(tokens: tokens)
    }

    /// Whether `pointer` names a field of this spec or a value below one (an element, a key, a member of
    /// an `any` value); ``pointer(_:)`` builds only pointers for which this holds.
    package func resolves(_ pointer: JSONPointer) -> Bool {
        var current: ConfigType.Kind = .object(self)
        for token in pointer.tokens {
            guard let next = Self.step(into: current, token: token) else { return false }
            current = next
        }
        return true
    }

    /// The kind of value `token` names inside a value of `kind`, or `nil` if it names nothing.
    private static func step(into kind: ConfigType.Kind, token: String) -> ConfigType.Kind? {
        switch kind {
        case .object(let spec): return spec.field(named: token)?.type.kind
        case .array(let element, _): return Int(token) != nil ? element.kind : nil
        case .map(let element): return element.kind
        case .oneOf(let alternatives): return alternatives.lazy.compactMap { step(into: $0.kind, token: token) }.first
        case .any: return .any
        default: return nil
        }
    }
}

/// A step of ``ConfigSpec/pointer(_:)``: a field name or key (`String`) or an array index (`Int`).
public protocol ConfigPathComponent {
    /// The JSON Pointer token.
    var pointerToken: String { get }
}

extension String: ConfigPathComponent {
    public var pointerToken: String { self }
}

extension Int: ConfigPathComponent {
    public var pointerToken: String { String(self) }
}

/// A stage's configuration: a `Decodable` struct plus the spec that drives validation, defaults,
/// documentation and JSON Schema export.
///
/// Validation runs against the spec first (reporting every problem with its path), defaults are filled
/// in, and only then is the struct decoded — so `init(from:)` sees complete, well-typed input.
public protocol StageConfiguration: Decodable, Sendable {
    /// The declared fields.
    static var spec: ConfigSpec { get }

    /// Checks that go beyond single fields (e.g. "give `count` or `duration`, not both"); each problem is
    /// reported at its path relative to the configuration object.
    func validate() -> [Diagnostic]

    /// The fields of its input this configuration names (besides expression fields of the spec, which
    /// are found by themselves); checked against what the upstream stage emits when the pipeline is
    /// validated.
    func inputFieldReferences() -> [InputFieldReference]
}

extension StageConfiguration {
    public func validate() -> [Diagnostic] { [] }
    public func inputFieldReferences() -> [InputFieldReference] { [] }
}

/// The configuration of a stage that has no options.
public struct EmptyConfiguration: StageConfiguration {
    public static let spec = ConfigSpec.empty
    /// Creates the empty configuration.
    public init() {}
}

/// A number without a trailing ".0" and without exponent noise for whole values.
package func compactNumber(_ v: Double) -> String {
    if v == v.rounded(), let i = Int64(exactly: v) { return String(i) }
    return String(v)
}
