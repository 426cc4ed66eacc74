public import SluiceCore
import SluiceRuntime

/// Checks that a configuration's spec and its struct describe the same fields — the test that lets a
/// stage declare each option once, as a spec line plus a property, and still never drift.
///
/// ```swift
/// @Test func configurationConformsToItsSpec() {
///     #expect(ConfigurationConformance.problems(of: MyStage.Configuration.self) == [])
/// }
/// ```
///
/// It builds a complete sample from the spec (every field present: its default, or a value of its type),
/// loads it the way a pipeline file is loaded, and reports:
/// - a spec field the configuration never reads (a typo in the spec or a forgotten property);
/// - a member the configuration reads that the spec does not declare (it could never be set, because
///   validation rejects unknown fields);
/// - an option of a `oneOf` field that the configuration cannot decode (the spec and the enum disagree);
/// - a problem from the configuration's own `validate()` whose pointer names no field of the spec;
/// - a spec whose own defaults fail it.
///
/// Fields of type `any`, `custom` or `either` of those cannot be synthesized: give them, or any value
/// the configuration's own checks need, in `sample` (merged member by member over the synthesized one).
/// A member set to `null` in `sample` is left out, and is not expected to be read.
public enum ConfigurationConformance {
    /// One way in which a configuration and its spec disagree.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The field concerned.
        public var pointer: JSONPointer
        /// What is wrong.
        public var message: String

        /// Creates a problem.
        public init(at pointer: JSONPointer, _ message: String) {
            self.pointer = pointer
            self.message = message
        }

        public var description: String { "\(pointer.displayText): \(message)" }
    }

    /// Every way in which `type` and `type.spec` disagree; empty when they agree.
    public static func problems<C: StageConfiguration>(of type: C.Type, sample overrides: JSONObject = JSONObject()) -> [Problem] {
        var problems: [Problem] = []
        let sample = SampleBuilder.object(for: C.spec, overriding: overrides, at: .root, problems: &problems)
        guard problems.isEmpty else { return problems }

        let reads = MemberReads()
        let configuration: C
        switch load(C.self, sample, reads: reads) {
        case .failure(let problem): return [Problem(at: problem.pointer, "the sample " + problem.message)]
        case .success(let c): configuration = c
        }

        for pointer in expectedReads(of: C.spec, in: sample, at: .root) where !reads.found.contains(pointer) {
            problems.append(Problem(at: pointer, "declared in the spec but never read by \(C.self)"))
        }
        for pointer in reads.missing.sorted() where !C.spec.resolves(pointer) {
            problems.append(Problem(at: pointer, "read by \(C.self) but not declared in the spec"))
        }
        for (pointer, cases) in options(of: C.spec, in: sample, at: .root) {
            for option in cases {
                if case .failure(let problem) = load(C.self, replacing(pointer, in: sample, with: .string(option)), reads: nil) {
                    problems.append(Problem(at: pointer, "option \"\(option)\" \(problem.message)"))
                }
            }
        }
        for diagnostic in configuration.validate() where !C.spec.resolves(diagnostic.path) {
            problems.append(Problem(at: diagnostic.path, "validate() reports \"\(diagnostic.message)\" at a pointer the spec does not declare"))
        }
        return problems
    }

    /// Every way in which the configuration of the stage `descriptor` registers and its spec disagree.
    public static func problems(of descriptor: StageDescriptor, sample: JSONObject = JSONObject()) -> [Problem] {
        func open<S: Stage>(_ stage: S.Type) -> [Problem] { problems(of: S.Configuration.self, sample: sample) }
        return open(descriptor.stageType)
    }

    /// Loads `sample` as a pipeline file's `config` member is loaded: spec validation with defaults, then
    /// decoding. The configuration's own `validate()` is not applied (the sample need not satisfy it).
    private static func load<C: StageConfiguration>(_ type: C.Type, _ sample: JSONValue, reads: MemberReads?) -> Result<C, Problem> {
        var validator = ConfigValidator()
        let value = validator.validate(sample, spec: C.spec, at: .root)
        if let first = validator.diagnostics.first {
            return .failure(Problem(at: first.path, "fails the spec: \(first.message)" + (first.expected.map { " (expected \($0))" } ?? "")))
        }
        do {
            if let reads { return .success(try JSONValueDecoder.decode(C.self, from: value, recordingReadsIn: reads)) }
            return .success(try JSONValueDecoder.decode(C.self, from: value))
        } catch {
            return .failure(Problem(at: decodingPointer(error, base: .root), "does not decode: \(describeDecodingError(error))"))
        }
    }

    /// The pointer of every spec field present in `value`, at any depth (objects, arrays and maps of
    /// objects).
    private static func expectedReads(of spec: ConfigSpec, in value: JSONValue, at pointer: JSONPointer) -> [JSONPointer] {
        guard case .object(let object) = value else { return [] }
        var out: [JSONPointer] = []
        for field in spec.fields {
            guard let member = object[field.name], member != .null else { continue }
            let path = pointer.appending(field.name)
            out.append(path)
            out += nested(field.type, member, at: path) { spec, value, path in expectedReads(of: spec, in: value, at: path) }
        }
        return out
    }

    /// Every `oneOf` field present in `value`, with the options its spec lists.
    private static func options(of spec: ConfigSpec, in value: JSONValue, at pointer: JSONPointer) -> [(JSONPointer, [String])] {
        guard case .object(let object) = value else { return [] }
        var out: [(JSONPointer, [String])] = []
        for field in spec.fields {
            guard let member = object[field.name], member != .null else { continue }
            let path = pointer.appending(field.name)
            switch field.type.kind {
            case .enumeration(let cases): out.append((path, cases))
            case .array(let element, _):
                if case .enumeration(let cases) = element.kind, member.arrayValue?.isEmpty == false { out.append((path.appending(0), cases)) }
            default: break
            }
            out += nested(field.type, member, at: path) { spec, value, path in options(of: spec, in: value, at: path) }
        }
        return out
    }

    /// `visit` applied to the objects inside `value` that `type` gives a spec: the value itself, the
    /// first element of an array, the first value of a map.
    private static func nested<T>(
        _ type: ConfigType, _ value: JSONValue, at path: JSONPointer,
        _ visit: (ConfigSpec, JSONValue, JSONPointer) -> [T]
    ) -> [T] {
        switch type.kind {
        case .object(let spec): return visit(spec, value, path)
        case .array(let element, _):
            guard let first = value.arrayValue?.first else { return [] }
            return nested(element, first, at: path.appending(0), visit)
        case .map(let element):
            guard let first = value.objectValue?.entries.first else { return [] }
            return nested(element, first.value, at: path.appending(first.key), visit)
        case .oneOf(let alternatives):
            for alternative in alternatives {
                if case .object(let spec) = alternative.kind, case .object = value { return visit(spec, value, path) }
            }
            return []
        default: return []
        }
    }

    /// `value` with the value at `pointer` replaced by `replacement`.
    private static func replacing(_ pointer: JSONPointer, in value: JSONValue, with replacement: JSONValue) -> JSONValue {
        guard let token = pointer.tokens.first else { return replacement }
        let rest = JSONPointer(tokens: Array(pointer.tokens.dropFirst()))
        switch value {
        case .object(var object):
            if let member = object[token] { object[token] = replacing(rest, in: member, with: replacement) }
            return .object(object)
        case .array(var items):
            if let index = Int(token), items.indices.contains(index) { items[index] = replacing(rest, in: items[index], with: replacement) }
            return .array(items)
        default:
            return value
        }
    }
}

/// Builds a value for every field of a spec.
private enum SampleBuilder {
    static func object(for spec: ConfigSpec, overriding overrides: JSONObject, at pointer: JSONPointer,
                       problems: inout [ConfigurationConformance.Problem]) -> JSONValue {
        var out = JSONObject()
        for field in spec.fields {
            let path = pointer.appending(field.name)
            let given = overrides[field.name]
            if given == .null { continue }
            if case .object(let nested) = field.type.kind {
                let nestedOverrides = given?.objectValue ?? JSONObject()
                out[field.name] = object(for: nested, overriding: nestedOverrides, at: path, problems: &problems)
            } else if let given {
                out[field.name] = given
            } else if let value = field.defaultValue ?? value(of: field.type, at: path, problems: &problems) {
                out[field.name] = value
            }
        }
        return .object(out)
    }

    static func value(of type: ConfigType, at path: JSONPointer, problems: inout [ConfigurationConformance.Problem]) -> JSONValue? {
        switch type.kind {
        case .string: return .string("sample")
        case .integer(let range): return .number(Double(range.map { $0.contains(1) ? 1 : $0.lowerBound } ?? 1))
        case .number(let range): return .number(range.map { $0.contains(1) ? 1 : $0.lowerBound } ?? 1)
        case .boolean: return .bool(true)
        case .duration: return .string("1s")
        case .expression: return .string("true")
        case .enumeration(let cases):
            guard let first = cases.first else { break }
            return .string(first)
        case .array(let element, let minCount):
            guard let item = value(of: element, at: path.appending(0), problems: &problems) else { return nil }
            return .array(Array(repeating: item, count: max(1, minCount)))
        case .object(let spec):
            return object(for: spec, overriding: JSONObject(), at: path, problems: &problems)
        case .map(let element):
            guard let item = value(of: element, at: path.appending("key"), problems: &problems) else { return nil }
            return .object(JSONObject([(key: "key", value: item)]))
        case .oneOf(let alternatives):
            var ignored: [ConfigurationConformance.Problem] = []
            for alternative in alternatives {
                if let found = value(of: alternative, at: path, problems: &ignored) { return found }
            }
        case .custom(_, _, let example, _):
            return example
        case .any:
            break
        }
        problems.append(.init(at: path, "cannot make a sample \(type.description) value; give one in `sample`"))
        return nil
    }
}
