import Foundation
public import SluiceCore
import SluiceExpressions

/// Turns a pipeline file into a ``PipelinePlan``, or reports every problem in it at once.
///
/// Problems found: JSON syntax (with line and column), unset environment variables, unknown top-level
/// and stage members, unknown kinds, configuration problems (unknown field, wrong type, missing required
/// field, bad enum value, out of range, bad expression), duplicate ids, dangling or self `from`, cycles,
/// sources given input, stages lacking input, outputs nobody reads, incompatible port types and event
/// kinds. Each comes with its JSON Pointer, what was expected and, where possible, a hint.
public struct PipelineLinter: Sendable {
    /// The stage kinds available.
    public var registry: StageRegistry
    /// The environment for `${NAME}`.
    public var environment: [String: String]

    /// Creates a linter.
    public init(registry: StageRegistry, environment: [String: String]) {
        self.registry = registry
        self.environment = environment
    }

    /// Creates a linter reading `${NAME}` from this process's environment.
    public init(registry: StageRegistry) {
        self.init(registry: registry, environment: ProcessInfo.processInfo.environment)
    }

    /// Reads and checks the pipeline file at `path`.
    public func plan(file path: String) throws(ValidationFailure) -> PipelinePlan {
        guard let bytes = Self.read(path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            var d = Diagnostic(.unreadableFile, at: .root, exists ? "cannot read the file" : "no such file")
            d.file = path
            throw ValidationFailure([d])
        }
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try plan(bytes: bytes, file: path, defaultName: name)
    }

    /// The file's bytes, read once into the array the parser uses (no `Data` copy beside it).
    static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var info = stat()
        guard fstat(fileno(file), &info) == 0, info.st_mode & S_IFMT != S_IFDIR else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size) + 1)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n > 0 { bytes.append(contentsOf: chunk[..<n]) }
            if n < chunk.count { return ferror(file) == 0 ? bytes : nil }
        }
    }

    /// Checks pipeline JSON text; `file` names it in messages.
    public func plan(text: String, file: String? = nil) throws(ValidationFailure) -> PipelinePlan {
        try plan(bytes: Array(text.utf8), file: file, defaultName: "pipeline")
    }

    func plan(bytes: [UInt8], file: String?, defaultName: String) throws(ValidationFailure) -> PipelinePlan {
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: bytes)
        } catch {
            var d = Diagnostic(error)
            d.file = file
            throw ValidationFailure([d])
        }
        var run = LintRun(registry: registry, environment: environment)
        let plan = run.lint(document.root, defaultName: defaultName, file: file)
        if !run.diagnostics.isEmpty {
            var all = run.diagnostics
            let positions = document.positions(of: Set(all.map(\.path)))
            for i in all.indices {
                all[i].file = file
                all[i].position = positions[all[i].path]
            }
            all.sort { a, b in
                switch (a.position, b.position) {
                case let (p?, q?) where p != q: return (p.line, p.column) < (q.line, q.column)
                default: return a.path < b.path
                }
            }
            throw ValidationFailure(all)
        }
        return plan!
    }
}

/// One linting pass; accumulates diagnostics.
struct LintRun {
    var registry: StageRegistry
    let environment: [String: String]
    var diagnostics: [Diagnostic] = []
    var typeNames: [ObjectIdentifier: String] = [:]

    init(registry: StageRegistry, environment: [String: String]) {
        self.registry = registry
        self.environment = environment
    }

    static let topLevelKeys = ["name", "description", "plugins", "stages"]
    static let stageKeys = ["id", "kind", "from", "config", "queue", "on_error", "description"]

    /// A stage as read from the file, before types are resolved. A class: a file of 200 000 stages
    /// holds each draft in several lists and maps, and a reference is 8 bytes where the value is ~400.
    final class Draft {
        let index: Int
        let pointer: JSONPointer
        let id: String
        let kind: String?
        let descriptor: StageDescriptor?
        let from: [String]
        let fromPointers: [JSONPointer]
        let config: JSONValue
        let configPointer: JSONPointer
        let configValid: Bool
        /// For a configuration with field-level problems: the same with each bad field set to its
        /// default, so the stage's own cross-field checks and the checks against other stages still run
        /// and report in the same pass. `nil` when that is not possible (a bad field has no default).
        let repairedConfig: JSONValue?
        let queue: QueueSpec
        let errorPolicy: ErrorPolicy
        let secrets: [String]
        /// The configuration's top-level expression fields, parsed when the configuration was validated.
        let expressions: [(field: String, expression: SluiceExpressions.Expression)]

        init(index: Int, pointer: JSONPointer, id: String, kind: String?, descriptor: StageDescriptor?, from: [String],
             fromPointers: [JSONPointer], config: JSONValue, configPointer: JSONPointer, configValid: Bool,
             repairedConfig: JSONValue?, queue: QueueSpec, errorPolicy: ErrorPolicy, secrets: [String],
             expressions: [(field: String, expression: SluiceExpressions.Expression)]) {
            self.index = index
            self.pointer = pointer
            self.id = id
            self.kind = kind
            self.descriptor = descriptor
            self.from = from
            self.fromPointers = fromPointers
            self.config = config
            self.configPointer = configPointer
            self.configValid = configValid
            self.repairedConfig = repairedConfig
            self.queue = queue
            self.errorPolicy = errorPolicy
            self.secrets = secrets
            self.expressions = expressions
        }
    }

    mutating func report(_ code: DiagnosticCode, _ pointer: JSONPointer, _ message: String, expected: String? = nil, hint: String? = nil) {
        diagnostics.append(Diagnostic(code, at: pointer, message, expected: expected, hint: hint))
    }

    /// Loads the plugin libraries a file names (paths relative to the file) into this linter's registry.
    mutating func loadPlugins(_ value: JSONValue, file: String?) {
        let pointer = JSONPointer.root.appending("plugins")
        guard case .array(let items) = value else {
            report(.wrongType, pointer, "wrong type: got \(value.kindName)", expected: "an array of shared-library paths")
            return
        }
        let base = file.map { URL(fileURLWithPath: $0).deletingLastPathComponent() } ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for (i, item) in items.enumerated() {
            guard case .string(let path) = item else {
                report(.wrongType, pointer.appending(i), "wrong type: got \(item.kindName)", expected: "a path to a plugin library")
                continue
            }
            let resolved = path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardizedFileURL.path
            do {
                try PluginLoader.load(resolved, into: &registry)
            } catch {
                report(DiagnosticCode("plugin"), pointer.appending(i), error.message, expected: "a plugin built by this sluice")
            }
        }
    }

    mutating func lint(_ rawRoot: JSONValue, defaultName: String, file: String?) -> PipelinePlan? {
        let substitution = EnvironmentSubstitution(environment: environment).apply(to: rawRoot)
        diagnostics += substitution.diagnostics
        guard case .object(let root) = substitution.value else {
            report(.wrongType, .root, "a pipeline file must be a JSON object, got \(rawRoot.kindName)", expected: "{\"stages\": [...]}")
            return nil
        }
        for key in root.keys where !Self.topLevelKeys.contains(key) {
            report(.unknownField, JSONPointer.root.appending(key), "unknown top-level field \"\(key)\"",
                   expected: "one of \"name\", \"description\", \"plugins\", \"stages\"", hint: didYouMean(key, in: Self.topLevelKeys))
        }
        var name = defaultName
        if let n = root["name"] {
            if case .string(let s) = n { name = s } else { report(.wrongType, .root.appending("name"), "wrong type: got \(n.kindName)", expected: "a string") }
        }
        if let d = root["description"], d.stringValue == nil {
            report(.wrongType, .root.appending("description"), "wrong type: got \(d.kindName)", expected: "a string")
        }
        if let plugins = root["plugins"] { loadPlugins(plugins, file: file) }
        guard let stagesValue = root["stages"] else {
            report(.missingField, .root, "missing required field \"stages\"", expected: "an array of stage objects")
            return nil
        }
        guard case .array(let stageValues) = stagesValue else {
            report(.wrongType, .root.appending("stages"), "wrong type: got \(stagesValue.kindName)", expected: "an array of stage objects")
            return nil
        }
        if stageValues.isEmpty {
            report(.invalidValue, .root.appending("stages"), "the pipeline has no stages", expected: "at least a source and a sink")
            return nil
        }

        var drafts: [Draft] = []
        for (i, value) in stageValues.enumerated() {
            if let d = readStage(value, index: i, substituted: substitution.substituted, unresolved: substitution.unresolved) { drafts.append(d) }
        }

        // Duplicate ids.
        var firstIndex: [String: Int] = [:]
        var usable: [Draft] = []
        for d in drafts {
            if let first = firstIndex[d.id] {
                report(.duplicateID, d.pointer.appending("id"), "duplicate stage id \"\(d.id)\" (also used by /stages/\(first))",
                       expected: "a unique id per stage")
            } else {
                firstIndex[d.id] = d.index
                usable.append(d)
            }
        }
        let byID = Dictionary(uniqueKeysWithValues: usable.map { ($0.id, $0) })
        let ids = usable.map(\.id)

        // Wiring: dangling, self, sources with input, stages without input, sinks as input.
        var edgesOK = Set<String>()
        for d in usable {
            var ok = true
            let role = d.descriptor?.role
            if role == .source && !d.from.isEmpty {
                report(.unexpectedInput, d.pointer.appending("from"), "stage \"\(d.id)\" is a source (\(d.kind ?? "?")) and takes no input",
                       expected: "no \"from\" on a source")
                ok = false
            }
            if let role, role != .source, d.from.isEmpty {
                report(.missingInput, d.pointer, "stage \"\(d.id)\" (\(d.kind ?? "?")) needs an input",
                       expected: "\"from\": the id of an upstream stage", hint: "sources here: " + usable.filter { $0.descriptor?.role == .source }.map { "\"\($0.id)\"" }.joined(separator: ", "))
                ok = false
            }
            for (j, up) in d.from.enumerated() {
                let p = d.fromPointers[j]
                if up == d.id {
                    report(.selfFrom, p, "stage \"\(d.id)\" cannot take input from itself", expected: "the id of another stage")
                    ok = false
                } else if let u = byID[up] {
                    if u.descriptor?.role == .sink {
                        report(.portMismatch, p, "stage \"\(up)\" is a sink (\(u.kind ?? "?")) and has no output", expected: "the id of a source or transform")
                        ok = false
                    }
                } else {
                    let others = ids.filter { $0 != d.id }
                    report(.danglingFrom, p, "no stage has the id \"\(up)\"",
                           expected: others.isEmpty ? "the id of another stage (this file has no other)" : "one of " + others.map { "\"\($0)\"" }.joined(separator: ", "),
                           hint: didYouMean(up, in: ids.filter { $0 != d.id }))
                    ok = false
                }
            }
            if d.from.count > 1, Set(d.from).count != d.from.count {
                report(.invalidValue, d.pointer.appending("from"), "the same stage is listed twice in \"from\"", expected: "distinct stage ids")
            }
            if ok { edgesOK.insert(d.id) }
        }

        // Topological order (Kahn); what remains is in or behind a cycle.
        var indegree: [String: Int] = [:]
        var consumers: [String: [String]] = [:]
        for d in usable {
            let ups = d.from.filter { byID[$0] != nil && $0 != d.id }
            indegree[d.id] = ups.count
            for u in ups { consumers[u, default: []].append(d.id) }
        }
        var order: [String] = []
        var ready = usable.filter { indegree[$0.id] == 0 }.map(\.id)
        var next = 0  // a queue by index: removeFirst() would make a wide fan-out quadratic
        while next < ready.count {
            let id = ready[next]
            next += 1
            order.append(id)
            for c in consumers[id] ?? [] {
                indegree[c]! -= 1
                if indegree[c] == 0 { ready.append(c) }
            }
        }
        if order.count < usable.count {
            let remaining = Set(usable.map(\.id)).subtracting(order)
            if let cycle = findCycle(in: remaining, byID: byID) {
                let first = byID[cycle[0]]!
                report(.cycle, first.pointer.appending("from"), "stages form a cycle: " + (cycle + [cycle[0]]).map { "\"\($0)\"" }.joined(separator: " → "),
                       expected: "data to flow one way, from sources to sinks")
            }
        }

        // Types, in topological order.
        var outputTypes: [String: Any.Type] = [:]
        var declaredOutputFields: [String: [Column]] = [:]
        // Planned stages in an array, found by id through an index: a stage is several hundred bytes.
        var plannedStages: [PlannedStage] = []
        var plannedIndex: [String: Int] = [:]
        var secrets: [String] = []
        for id in order {
            guard let d = byID[id], let descriptor = d.descriptor, edgesOK.contains(id),
                  d.from.allSatisfy({ outputTypes[$0] != nil })
            else { continue }
            secrets += d.secrets
            let upstreamTypes = d.from.map { outputTypes[$0]! }
            var stageType = descriptor.stageType
            if descriptor.role != .source {
                let first = upstreamTypes[0]
                if let k = upstreamTypes.firstIndex(where: { ObjectIdentifier($0) != ObjectIdentifier(first) }) {
                    report(.portMismatch, d.fromPointers[k],
                           "stage \"\(id)\" merges different types: \"\(d.from[0])\" emits \(typeName(first)), \"\(d.from[k])\" emits \(typeName(upstreamTypes[k]))",
                           expected: "every input of a stage to emit the same type")
                    continue
                }
                if let generic = stageType as? any RecordGenericStage.Type {
                    guard let recordType = first as? any Record.Type else {
                        report(.portMismatch, d.fromPointers[0], "stage \"\(id)\" (\(descriptor.kind)) takes records, but \"\(d.from[0])\" emits \(typeName(first)), which is not a record",
                               expected: "an upstream stage that emits records")
                        continue
                    }
                    stageType = specialize(generic, forRecord: recordType)
                } else if ObjectIdentifier(inputType(of: stageType)) != ObjectIdentifier(first) {
                    report(.portMismatch, d.fromPointers[0],
                           "stage \"\(id)\" (\(descriptor.kind)) takes \(typeName(inputType(of: stageType))), but \"\(d.from[0])\" (\(byID[d.from[0]]?.kind ?? "?")) emits \(typeName(first))",
                           expected: "an upstream stage that emits \(typeName(inputType(of: stageType)))")
                    continue
                }
            }
            // The output type is known from the type alone, so stages downstream are still checked.
            let out = outputType(of: stageType)
            if descriptor.role != .sink { outputTypes[id] = out }
            // A configuration with field problems (already reported) is checked further as repaired.
            guard let configJSON = d.configValid ? d.config : d.repairedConfig else { continue }
            let configuration: any StageConfiguration
            switch decodeConfiguration(configurationType(of: stageType), from: configJSON, at: d.configPointer) {
            case .success(let (c, problems)):
                configuration = c
                diagnostics += problems
            case .failure(let failure):
                if d.configValid { diagnostics += failure.diagnostics }
                continue
            }

            // Field names used by expressions and conflation keys, against what the input declares.
            if let fields = outputFields(of: stageType, configuration) { declaredOutputFields[id] = fields }
            if descriptor.role != .source,
               let declared = declaredOutputFields[d.from[0]] ?? (upstreamTypes[0] as? any Record.Type)?.declaredFields {
                let names = declared.map(\.name)
                checkExpressionFields(d, known: names, upstream: d.from[0])
                let references = configuration.inputFieldReferences()
                let known = references.isEmpty ? [] : Set(names)
                for reference in references where !known.contains(reference.field) {
                    let pointer = JSONPointer(tokens: d.configPointer.tokens + reference.pointer.tokens)
                    if let column = reference.column {
                        report(.expression, pointer,
                               "unknown field '\(reference.field)' at column \(column): \"\(d.from[0])\" emits \(fieldListing(names))",
                               expected: "a field of the input", hint: didYouMean(reference.field, in: names))
                    } else {
                        report(.unknownField, pointer, "\"\(d.from[0])\" emits no field \"\(reference.field)\"",
                               expected: "one of " + fieldListing(names), hint: didYouMean(reference.field, in: names))
                    }
                }
                if d.queue.policy == .conflate {
                    for (k, key) in d.queue.key.enumerated() where !names.contains(key) {
                        report(.unknownField, d.pointer.appending("queue").appending("key").appending(k),
                               "\"\(d.from[0])\" emits no field \"\(key)\" to conflate on", expected: "one of " + names.joined(separator: ", "), hint: didYouMean(key, in: names))
                    }
                }
            }
            // Event kinds.
            if let required = requiredKinds(of: stageType, configuration) {
                for up in d.from {
                    guard let pi = plannedIndex[up], case let p = plannedStages[pi], let emitted = emittedKinds(of: p.stageType, p.configuration) else { continue }
                    if required.isDisjoint(with: emitted) {
                        report(.portMismatch, d.pointer.appending("from"),
                               "stage \"\(id)\" (\(descriptor.kind)) builds from \(required.sorted().joined(separator: " or ")), but \"\(up)\" emits only \(emitted.sorted().joined(separator: ", "))",
                               expected: "an upstream stage that emits \(required.sorted().joined(separator: " or "))")
                    }
                }
            }
            plannedIndex[id] = plannedStages.count
            plannedStages.append(PlannedStage(
                id: id, kind: descriptor.kind, index: d.index, from: d.from, consumers: consumers[id] ?? [],
                descriptor: descriptor, stageType: stageType, configuration: configuration,
                displayConfiguration: redacted(d.config, spec: descriptor.spec),
                queue: d.queue, errorPolicy: d.errorPolicy,
                inputTypeName: descriptor.role == .source ? nil : displayName(of: inputType(of: stageType)),
                outputTypeName: descriptor.role == .sink ? nil : displayName(of: out)))
        }

        // Outputs nobody reads would lose events silently.
        for d in usable where d.descriptor != nil && d.descriptor?.role != .sink && d.descriptor?.stageType.outputIsOptional != true && (consumers[d.id] ?? []).isEmpty && edgesOK.contains(d.id) {
            report(.unusedOutput, d.pointer, "the output of stage \"\(d.id)\" (\(d.kind ?? "?")) goes nowhere",
                   expected: "another stage with \"from\": \"\(d.id)\"", hint: "add a sink, e.g. {\"id\": \"out\", \"kind\": \"jsonl\", \"from\": \"\(d.id)\"} or kind \"null\"")
        }

        guard diagnostics.isEmpty else { return nil }
        // Planned in topological order already: the array is the plan's, not a copy.
        return PipelinePlan(name: name, file: file, stages: plannedStages, secrets: secrets)
    }

    /// ``typeName(_:)``, computed once per type (it formats the type's full name every time).
    mutating func displayName(of type: Any.Type) -> String {
        if let known = typeNames[ObjectIdentifier(type)] { return known }
        let name = typeName(type)
        typeNames[ObjectIdentifier(type)] = name
        return name
    }

    mutating func checkExpressionFields(_ d: Draft, known: [String], upstream: String) {
        for (field, expression) in d.expressions {
            for problem in expression.unknownFields(among: known) {
                report(.expression, d.configPointer.appending(field),
                       "\(problem.message) at column \(problem.column): \"\(upstream)\" emits \(fieldListing(known))",
                       expected: "a field of the input", hint: problem.hint)
            }
        }
    }

    func findCycle(in remaining: Set<String>, byID: [String: Draft]) -> [String]? {
        // Walk upstream links within the remaining set until a stage repeats.
        guard var current = remaining.sorted(by: { byID[$0]!.index < byID[$1]!.index }).first else { return nil }
        var path: [String] = []
        var seen: [String: Int] = [:]
        while seen[current] == nil {
            seen[current] = path.count
            path.append(current)
            guard let next = byID[current]?.from.first(where: { remaining.contains($0) }) else { return nil }
            current = next
        }
        // The cycle in data-flow order, starting from the stage that comes first in the file.
        var cycle = Array(path[seen[current]!...].reversed())
        if let first = cycle.indices.min(by: { byID[cycle[$0]]!.index < byID[cycle[$1]]!.index }) {
            cycle = Array(cycle[first...] + cycle[..<first])
        }
        return cycle
    }

    /// `config` with every secret field, at any depth, replaced by `***`.
    func redacted(_ config: JSONValue, spec: ConfigSpec) -> JSONValue {
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

    private func redactedNested(_ value: JSONValue, spec: ConfigSpec, isMap: Bool) -> JSONValue {
        guard isMap, case .object(var o) = value else { return redacted(value, spec: spec) }
        for key in o.keys { o[key] = redacted(o[key]!, spec: spec) }
        return .object(o)
    }

    /// Every string inside a secret field, at any depth, for redaction wherever it may appear.
    func collectSecrets(_ config: JSONValue, spec: ConfigSpec) -> [String] {
        switch config {
        case .array(let items): return items.flatMap { collectSecrets($0, spec: spec) }
        case .object(let o):
            var out: [String] = []
            for field in spec.fields {
                guard let value = o[field.name] else { continue }
                if field.isSecret {
                    out += allStrings(value)
                } else if let nested = field.type.nestedSpec {
                    if case .object(let m) = value, field.type.isMap {
                        for key in m.keys { out += collectSecrets(m[key]!, spec: nested) }
                    } else {
                        out += collectSecrets(value, spec: nested)
                    }
                }
            }
            return out
        default: return []
        }
    }

    private func allStrings(_ value: JSONValue) -> [String] {
        switch value {
        case .string(let s): return [s]
        case .array(let items): return items.flatMap(allStrings)
        case .object(let o): return o.keys.flatMap { allStrings(o[$0]!) }
        default: return []
        }
    }

    mutating func readStage(_ value: JSONValue, index i: Int, substituted: Set<JSONPointer>, unresolved: Set<JSONPointer>) -> Draft? {
        let p = JSONPointer.root.appending("stages").appending(i)
        guard case .object(let o) = value else {
            report(.wrongType, p, "wrong type: got \(value.kindName)", expected: "a stage object with \"id\" and \"kind\"")
            return nil
        }
        for key in o.keys where !Self.stageKeys.contains(key) {
            report(.unknownField, p.appending(key), "unknown stage field \"\(key)\"",
                   expected: "one of " + Self.stageKeys.map { "\"\($0)\"" }.joined(separator: ", "), hint: didYouMean(key, in: Self.stageKeys))
        }
        var id = "#\(i)"
        var idOK = false
        switch o["id"] {
        case .string(let s)?:
            if Self.isValidID(s) {
                id = s
                idOK = true
            } else {
                report(.invalidValue, p.appending("id"), "invalid stage id \"\(s)\"", expected: "letters, digits, '_' and '-'")
            }
        case let v?:
            report(.wrongType, p.appending("id"), "wrong type: got \(v.kindName)", expected: "a string")
        case nil:
            report(.missingField, p, "missing required field \"id\"", expected: "a unique stage id string")
        }
        var descriptor: StageDescriptor?
        var kind: String?
        switch o["kind"] {
        case .string(let s)?:
            kind = s
            descriptor = registry.descriptor(for: s)
            if descriptor == nil {
                report(.unknownKind, p.appending("kind"), "unknown stage kind \"\(s)\"",
                       expected: "a registered kind (see `sluice stages`)", hint: didYouMean(s, in: registry.kinds))
            }
        case let v?:
            report(.wrongType, p.appending("kind"), "wrong type: got \(v.kindName)", expected: "a string naming a stage kind")
        case nil:
            report(.missingField, p, "missing required field \"kind\"", expected: "a stage kind such as " + registry.kinds.prefix(4).joined(separator: ", "))
        }
        var from: [String] = []
        var fromPointers: [JSONPointer] = []
        switch o["from"] {
        case nil: break
        case .string(let s)?:
            from = [s]
            fromPointers = [p.appending("from")]
        case .array(let a)?:
            for (j, e) in a.enumerated() {
                if case .string(let s) = e {
                    from.append(s)
                    fromPointers.append(p.appending("from").appending(j))
                } else {
                    report(.wrongType, p.appending("from").appending(j), "wrong type: got \(e.kindName)", expected: "a stage id string")
                }
            }
            if a.isEmpty { report(.invalidValue, p.appending("from"), "\"from\" is empty", expected: "a stage id or a non-empty list of them") }
        case let v?:
            report(.wrongType, p.appending("from"), "wrong type: got \(v.kindName)", expected: "a stage id or a list of stage ids")
        }
        let queue = readQueue(o["queue"], at: p.appending("queue"), substituted: substituted)
        let policy = readErrorPolicy(o["on_error"], at: p.appending("on_error"))
        var config = JSONValue.object(JSONObject())
        var configValid = false
        var repaired: JSONValue?
        var secrets: [String] = []
        var expressions: [(field: String, expression: SluiceExpressions.Expression)] = []
        if let descriptor {
            let before = diagnostics.count
            let configPointer = p.appending("config")
            var validator = ConfigValidator(substituted: substituted, unresolved: unresolved)
            config = validator.validate(o["config"], spec: descriptor.spec, at: configPointer)
            diagnostics += validator.diagnostics
            for (pointer, expression) in validator.expressions where pointer.tokens.count == configPointer.tokens.count + 1 {
                expressions.append((pointer.tokens[configPointer.tokens.count], expression))
            }
            let hasUnresolved = unresolved.contains(where: { $0.tokens.starts(with: p.tokens) })
            configValid = diagnostics.count == before && !hasUnresolved
            if !configValid, !hasUnresolved { repaired = Self.repair(config, spec: descriptor.spec, problems: validator.diagnostics, at: p.appending("config")) }
            secrets = collectSecrets(o["config"] ?? .null, spec: descriptor.spec)
        }
        guard idOK else { return nil }
        return Draft(index: i, pointer: p, id: id, kind: kind, descriptor: descriptor, from: from, fromPointers: fromPointers,
                     config: config, configPointer: p.appending("config"), configValid: configValid, repairedConfig: repaired,
                     queue: queue, errorPolicy: policy, secrets: secrets, expressions: expressions)
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

    static let queueSpec = ConfigSpec([
        ConfigField("capacity", .integer(1...100_000_000), default: .number(4096), doc: "The most events the queue holds."),
        ConfigField("policy", .oneOf(QueuePolicy.allNames), default: .string("block"), doc: "What happens when it is full."),
        ConfigField("key", .array(.string, minCount: 1), default: .array([.string("symbol")]), doc: "For conflate: the fields that, with the record type, identify the latest value to keep."),
    ])

    mutating func readQueue(_ value: JSONValue?, at p: JSONPointer, substituted: Set<JSONPointer>) -> QueueSpec {
        guard let value else { return .default }
        var validator = ConfigValidator(substituted: substituted)
        let v = validator.validate(value, spec: Self.queueSpec, at: p)
        diagnostics += validator.diagnostics
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

    mutating func readErrorPolicy(_ value: JSONValue?, at p: JSONPointer) -> ErrorPolicy {
        switch value {
        case nil: return .fail
        case .string(let s)?:
            guard let action = OnError.Action(rawValue: s) else {
                let names = OnError.Action.allCases.map(\.rawValue)
                report(.invalidValue, p, "invalid value \"\(s)\"", expected: "one of \"fail\", \"skip\", \"restart\" (or an object with \"action\")", hint: didYouMean(s, in: names))
                return .fail
            }
            // The shorthand is the object with only an action: the spec supplies the rest.
            return readErrorPolicy(.object(JSONObject([("action", .string(action.rawValue))])), at: p)
        case .object?:
            var validator = ConfigValidator()
            let v = validator.validate(value, spec: OnError.spec, at: p)
            diagnostics += validator.diagnostics
            guard validator.diagnostics.isEmpty else { return .fail }
            do {
                return try JSONValueDecoder.decode(OnError.self, from: v).policy
            } catch {
                report(.invalidValue, p, "\(error)")
                return .fail
            }
        case let v?:
            report(.wrongType, p, "wrong type: got \(v.kindName)", expected: "\"fail\", \"skip\", \"restart\" or an object with \"action\"")
            return .fail
        }
    }
}

/// Field names for a message: all of them when few, else the first twelve and how many there are
/// (`sluice stages KIND` and the did-you-mean hint say the rest).
func fieldListing(_ names: [String]) -> String {
    guard names.count > 12 else { return names.joined(separator: ", ") }
    return names.prefix(12).joined(separator: ", ") + ", … (\(names.count) fields)"
}

/// Where a `DecodingError` happened, below `base`.
package func decodingPointer(_ error: any Error, base: JSONPointer) -> JSONPointer {
    let path: [any CodingKey]
    switch error as? DecodingError {
    case .typeMismatch(_, let c)?, .valueNotFound(_, let c)?, .keyNotFound(_, let c)?, .dataCorrupted(let c)?: path = c.codingPath
    default: path = []
    }
    return JSONPointer(tokens: base.tokens + path.map { $0.intValue.map(String.init) ?? $0.stringValue })
}

/// A `DecodingError` as one line for a diagnostic.
package func describeDecodingError(_ error: any Error) -> String {
    switch error as? DecodingError {
    case .typeMismatch(let t, let c)?: return "expected \(t): \(c.debugDescription)"
    case .valueNotFound(let t, let c)?: return "missing \(t): \(c.debugDescription)"
    case .keyNotFound(let k, _)?: return "missing field \"\(k.stringValue)\""
    case .dataCorrupted(let c)?: return c.debugDescription
    default: return "\(error)"
    }
}
