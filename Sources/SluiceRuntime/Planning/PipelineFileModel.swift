import SluiceCore
import SluiceQueue
import SluiceExpressions

/// A stage as the file declares it, with the pointer of every part; the configuration phase adds its
/// kind's descriptor and its checked configuration.
struct StageDraft {
    /// The position in the file's `stages` array.
    let index: Int
    /// The id, or `nil` when it is missing or invalid (already reported): such a stage takes no part
    /// in the graph.
    let id: String?
    /// The kind as written.
    let kind: String?
    /// Whether the stage has no `kind` member at all.
    let kindIsMissing: Bool
    /// Upstream ids.
    let from: [String]
    /// How `from` is written: `nil` for a single string, else the position in the array of each id
    /// (they differ only where an element that is not a string was skipped).
    let fromPositions: FromPositions
    /// The `config` member as written (after substitution), or `nil`.
    let rawConfig: JSONValue?
    let queue: QueueSpec
    let errorPolicy: ErrorPolicy

    // Set by the configuration phase.

    /// The registered kind, or `nil` when the kind is unknown (already reported).
    var descriptor: StageDescriptor?
    /// The configuration with defaults filled in.
    var config: JSONValue = .object(JSONObject())
    /// Whether the configuration has no field-level problems.
    var configValid = false
    /// For a configuration with field-level problems: the same with each bad field set to its default,
    /// so the stage's own cross-field checks and the checks against other stages still run and report
    /// in the same pass. `nil` when that is not possible (a bad field has no default).
    var repairedConfig: JSONValue?
    /// Every string inside a secret field.
    var secrets: [String] = []
    /// The configuration's top-level expression fields, parsed when the configuration was validated.
    var expressions: [(field: String, expression: SluiceExpressions.Expression)] = []

    /// The id for messages: the stage's own, or `#N`.
    var displayID: String { id ?? "#\(index)" }

    // Pointers are computed when a message needs one, not stored: a file of 200 000 stages would hold
    // a million of them.

    /// `/stages/N`.
    var pointer: JSONPointer { JSONPointer(tokens: ["stages", String(index)]) }
    /// `/stages/N/config`.
    var configPointer: JSONPointer { JSONPointer(tokens: ["stages", String(index), "config"]) }

    /// Where `from[j]` is written.
    func fromPointer(_ j: Int) -> JSONPointer {
        switch fromPositions {
        case .single: return pointer.appending("from")
        case .list: return pointer.appending("from").appending(j)
        case .sparse(let positions): return pointer.appending("from").appending(positions[j])
        }
    }

    /// Where each of `from` is written.
    var fromPointers: [JSONPointer] { from.indices.map(fromPointer) }

    /// How `from` was written.
    enum FromPositions {
        /// One string (or absent).
        case single
        /// A list of strings: `from[j]` is element `j`.
        case list
        /// A list with elements that are not strings (reported): `from[j]` is element `positions[j]`.
        case sparse([Int])
    }
}

/// Phase 2: the top level of a pipeline file and one ``StageDraft`` per stage. Needs no registry: what
/// is read here is the same whatever kinds exist.
struct PipelineFileModel {
    /// `name`, when given.
    var name: String?
    /// `plugins`, when given (loaded in the next phase).
    var plugins: JSONValue?
    /// `http`: where the operator endpoint listens, when given.
    var http: OperatorAddress?
    /// The stages, or `nil` when there are none to check (no `stages`, not an array, or empty).
    var stages: [StageDraft]?

    /// `$schema` binds the file to a JSON Schema in editors (VS Code, JetBrains); Sluice only checks it is
    /// a string.
    static let topLevelKeys = ["$schema", "name", "description", "plugins", "http", "stages"]
    /// The most stages a pipeline may have.
    static let maximumStages = 10_000
    static let stageKeys = ["id", "kind", "from", "config", "queue", "on_error", "description"]

    static func read(_ root: JSONValue, substituted: Set<JSONPointer>, problems: inout [Diagnostic]) -> PipelineFileModel {
        var model = PipelineFileModel()
        guard case .object(let object) = root else {
            problems.report(.wrongType, .root, "a pipeline file must be a JSON object, got \(root.kindName)", expected: "{\"stages\": [...]}")
            return model
        }
        for key in object.keys where !topLevelKeys.contains(key) {
            problems.report(.unknownField, JSONPointer.root.appending(key), "unknown top-level field \"\(key)\"",
                            expected: "one of " + topLevelKeys.map { "\"\($0)\"" }.joined(separator: ", "), hint: didYouMean(key, in: topLevelKeys))
        }
        if let schema = object["$schema"], schema.stringValue == nil {
            problems.report(.wrongType, .root.appending("$schema"), "wrong type: got \(schema.kindName)", expected: "the URL or path of a JSON Schema, as a string")
        }
        if let n = object["name"] {
            if case .string(let s) = n { model.name = s } else { problems.report(.wrongType, .root.appending("name"), "wrong type: got \(n.kindName)", expected: "a string") }
        }
        if let d = object["description"], d.stringValue == nil {
            problems.report(.wrongType, .root.appending("description"), "wrong type: got \(d.kindName)", expected: "a string")
        }
        model.plugins = object["plugins"]
        if let h = object["http"] {
            if case .string(let text) = h, let address = OperatorAddress(parsing: text) {
                model.http = address
            } else {
                problems.report(h.stringValue == nil ? .wrongType : .invalidValue, .root.appending("http"),
                                h.stringValue.map { "not an address: \"\($0)\"" } ?? "wrong type: got \(h.kindName)",
                                expected: OperatorAddress.expected)
            }
        }
        guard let stagesValue = object["stages"] else {
            problems.report(.missingField, .root, "missing required field \"stages\"", expected: "an array of stage objects")
            return model
        }
        guard case .array(let stageValues) = stagesValue else {
            problems.report(.wrongType, .root.appending("stages"), "wrong type: got \(stagesValue.kindName)", expected: "an array of stage objects")
            return model
        }
        if stageValues.isEmpty {
            problems.report(.invalidValue, .root.appending("stages"), "the pipeline has no stages", expected: "at least a source and a sink")
            return model
        }
        // Every stage is a task and a queue: past this, a file is a mistake or an attack, and checking
        // it stage by stage would cost far more than reading it.
        if stageValues.count > Self.maximumStages {
            problems.report(.invalidValue, .root.appending("stages"), "too many stages: \(stageValues.count) (limit \(Self.maximumStages))",
                            expected: "at most \(Self.maximumStages) stages in one pipeline; split the work across pipelines")
            return model
        }
        var stages: [StageDraft] = []
        stages.reserveCapacity(stageValues.count)
        for (i, value) in stageValues.enumerated() {
            if let draft = readStage(value, index: i, substituted: substituted, problems: &problems) { stages.append(draft) }
        }
        model.stages = stages
        return model
    }

    /// One stage's members; `nil` for a stage that is not an object.
    static func readStage(_ value: JSONValue, index i: Int, substituted: Set<JSONPointer>, problems: inout [Diagnostic]) -> StageDraft? {
        let p = JSONPointer.root.appending("stages").appending(i)
        guard case .object(let o) = value else {
            problems.report(.wrongType, p, "wrong type: got \(value.kindName)", expected: "a stage object with \"id\" and \"kind\"")
            return nil
        }
        for key in o.keys where !stageKeys.contains(key) {
            problems.report(.unknownField, p.appending(key), "unknown stage field \"\(key)\"",
                            expected: "one of " + stageKeys.map { "\"\($0)\"" }.joined(separator: ", "), hint: didYouMean(key, in: stageKeys))
        }
        var id: String?
        switch o["id"] {
        case .string(let s)?:
            if isValidID(s) {
                id = s
            } else {
                problems.report(.invalidValue, p.appending("id"), "invalid stage id \"\(s)\"", expected: "letters, digits, '_' and '-'")
            }
        case let v?:
            problems.report(.wrongType, p.appending("id"), "wrong type: got \(v.kindName)", expected: "a string")
        case nil:
            problems.report(.missingField, p, "missing required field \"id\"", expected: "a unique stage id string")
        }
        var kind: String?
        var kindIsMissing = false
        switch o["kind"] {
        case .string(let s)?:
            kind = s
        case let v?:
            problems.report(.wrongType, p.appending("kind"), "wrong type: got \(v.kindName)", expected: "a string naming a stage kind")
        case nil:
            // The kinds to suggest are known only once plugins are loaded: the configuration phase says it.
            kindIsMissing = true
        }
        var from: [String] = []
        var fromPositions = StageDraft.FromPositions.single
        switch o["from"] {
        case nil: break
        case .string(let s)?:
            from = [s]
        case .array(let a)?:
            var positions: [Int] = []
            for (j, e) in a.enumerated() {
                if case .string(let s) = e {
                    from.append(s)
                    positions.append(j)
                } else {
                    problems.report(.wrongType, p.appending("from").appending(j), "wrong type: got \(e.kindName)", expected: "a stage id string")
                }
            }
            if a.isEmpty { problems.report(.invalidValue, p.appending("from"), "\"from\" is empty", expected: "a stage id or a non-empty list of them") }
            fromPositions = positions.count == a.count ? .list : .sparse(positions)
        case let v?:
            problems.report(.wrongType, p.appending("from"), "wrong type: got \(v.kindName)", expected: "a stage id or a list of stage ids")
        }
        let queue = readQueue(o["queue"], at: p.appending("queue"), substituted: substituted, problems: &problems)
        let policy = readErrorPolicy(o["on_error"], at: p.appending("on_error"), problems: &problems)
        return StageDraft(index: i, id: id, kind: kind, kindIsMissing: kindIsMissing, from: from, fromPositions: fromPositions,
                          rawConfig: o["config"], queue: queue, errorPolicy: policy)
    }

    /// A stage id: letters, digits, `_` and `-`, not starting with `-` (ASCII checked without the
    /// Unicode tables).
    static func isValidID(_ s: String) -> Bool {
        guard let first = s.utf8.first, first != UInt8(ascii: "-") else { return false }
        return s.utf8.allSatisfy { b in
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "-"): true
            default: false
            }
        } || s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
    }

    static let queueSpec = ConfigSpec([
        ConfigField("capacity", .integer(1...100_000_000), default: .number(4096), doc: "The most events the queue holds."),
        ConfigField("policy", .oneOf(QueuePolicy.allNames), default: .string("block"), doc: "What happens when it is full."),
        ConfigField("key", .array(.string, minCount: 1), default: .array([.string("symbol")]), doc: "For conflate: the fields that, with the record type, identify the latest value to keep."),
    ])

    static func readQueue(_ value: JSONValue?, at p: JSONPointer, substituted: Set<JSONPointer>, problems: inout [Diagnostic]) -> QueueSpec {
        guard let value else { return .default }
        var validator = ConfigValidator(substituted: substituted)
        let v = validator.validate(value, spec: queueSpec, at: p)
        problems += validator.diagnostics
        guard validator.diagnostics.isEmpty, case .object(let o) = v else { return .default }
        return QueueSpec(
            capacity: Int(o["capacity"]?.integerValue ?? 4096),
            policy: QueuePolicy(name: o["policy"]?.stringValue ?? "block") ?? .block,
            key: o["key"]?.arrayValue?.compactMap(\.stringValue) ?? ["symbol"])
    }

    /// A stage's `on_error` written as an object.
    struct OnError: Decodable {
        /// What happens when the stage fails.
        enum Action: String, ConfigOption { case fail, skip, restart }

        var action: Action
        var maxRestarts: Int?
        var backoff: ConfigDuration
        var maxBackoff: ConfigDuration

        static let spec = ConfigSpec([
            ConfigField("action", Action.self, default: .fail, doc: "fail, skip or restart."),
            ConfigField("max_restarts", .integer(0...1_000_000), optional: true, doc: "Give up after this many consecutive restarts (default: never)."),
            ConfigField("backoff", .duration, default: .string("500ms"), doc: "The first restart backoff."),
            ConfigField("max_backoff", .duration, default: .string("30s"), doc: "The largest restart backoff."),
        ])

        /// The policy this describes.
        var policy: ErrorPolicy {
            switch action {
            case .fail: .fail
            case .skip: .skip
            case .restart: .restart(RestartPolicy(initialBackoff: backoff.duration, maxBackoff: maxBackoff.duration, maxRestarts: maxRestarts))
            }
        }
    }

    static func readErrorPolicy(_ value: JSONValue?, at p: JSONPointer, problems: inout [Diagnostic]) -> ErrorPolicy {
        switch value {
        case nil: return .fail
        case .string(let s)?:
            guard let action = OnError.Action(rawValue: s) else {
                let names = OnError.Action.allCases.map(\.rawValue)
                problems.report(.invalidValue, p, "invalid value \"\(s)\"", expected: "one of \"fail\", \"skip\", \"restart\" (or an object with \"action\")", hint: didYouMean(s, in: names))
                return .fail
            }
            // The shorthand is the object with only an action: the spec supplies the rest.
            return readErrorPolicy(.object(JSONObject([("action", .string(action.rawValue))])), at: p, problems: &problems)
        case .object?:
            var validator = ConfigValidator()
            let v = validator.validate(value, spec: OnError.spec, at: p)
            problems += validator.diagnostics
            guard validator.diagnostics.isEmpty else { return .fail }
            do {
                return try JSONValueDecoder.decode(OnError.self, from: v).policy
            } catch {
                problems.report(.invalidValue, p, "\(error)")
                return .fail
            }
        case let v?:
            problems.report(.wrongType, p, "wrong type: got \(v.kindName)", expected: "\"fail\", \"skip\", \"restart\" or an object with \"action\"")
            return .fail
        }
    }
}
