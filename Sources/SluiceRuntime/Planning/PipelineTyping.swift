import SluiceCore
import SluiceExpressions

/// Phase 6: the stages in topological order, each typed against its inputs — merged inputs of one
/// type, a generic stage specialized for its input record, a typed stage given what it takes — and
/// its configuration decoded and checked against the fields and event kinds its input carries. A stage
/// whose inputs failed is skipped (its problem is upstream); a stage with configuration problems is
/// checked further as repaired, so one pass reports everything.
struct PipelineTyping {
    /// The drafts; what only typing needs (checked configurations, parsed expressions) is released as
    /// each stage is planned, so a big file does not hold it twice.
    private(set) var drafts: [StageDraft]
    let graph: StageGraph
    /// Per node: the type it emits, once typed.
    private var outputTypes: [Any.Type?]
    /// Per node: the fields it declares it emits, where it says.
    private var declaredFields: [[Column]?]
    /// Per node: the event kinds its planned stage emits, where it says.
    private var emittedKinds: [Set<String>?]
    /// ``typeName(_:)`` per type, computed once (it formats the type's full name every time).
    private var typeNames: [ObjectIdentifier: String] = [:]

    init(drafts: [StageDraft], graph: StageGraph) {
        self.drafts = drafts
        self.graph = graph
        outputTypes = Array(repeating: nil, count: graph.nodes.count)
        declaredFields = Array(repeating: nil, count: graph.nodes.count)
        emittedKinds = Array(repeating: nil, count: graph.nodes.count)
    }

    /// The planned stages, in topological order.
    mutating func plan(problems: inout [Diagnostic]) -> [PlannedStage] {
        var stages: [PlannedStage] = []
        for n in graph.order {
            if let stage = plan(node: n, problems: &problems) {
                emittedKinds[n] = SluiceRuntime.emittedKinds(of: stage.stageType, stage.configuration)
                stages.append(stage)
            }
            let i = graph.nodes[n]
            drafts[i].expressions = []
            drafts[i].config = .null
            drafts[i].repairedConfig = nil
        }
        return stages
    }

    private mutating func plan(node n: Int, problems: inout [Diagnostic]) -> PlannedStage? {
        let d = drafts[graph.nodes[n]]
        guard let descriptor = d.descriptor, graph.wired[n] else { return nil }
        let upstream = graph.upstream[n]
        var upstreamTypes: [Any.Type] = []
        for u in upstream {
            guard let t = outputTypes[u] else { return nil }
            upstreamTypes.append(t)
        }
        let id = d.displayID
        var stageType = descriptor.stageType
        if descriptor.role != .source {
            let first = upstreamTypes[0]
            if let k = upstreamTypes.firstIndex(where: { ObjectIdentifier($0) != ObjectIdentifier(first) }) {
                problems.report(.portMismatch, d.fromPointer(k),
                                "stage \"\(id)\" merges different types: \"\(d.from[0])\" emits \(typeName(first)), \"\(d.from[k])\" emits \(typeName(upstreamTypes[k]))",
                                expected: "every input of a stage to emit the same type")
                return nil
            }
            if let generic = stageType as? any RecordGenericStage.Type {
                guard let recordType = first as? any Record.Type else {
                    problems.report(.portMismatch, d.fromPointer(0), "stage \"\(id)\" (\(descriptor.kind)) takes records, but \"\(d.from[0])\" emits \(typeName(first)), which is not a record",
                                    expected: "an upstream stage that emits records")
                    return nil
                }
                stageType = specialize(generic, forRecord: recordType)
            } else if ObjectIdentifier(inputType(of: stageType)) != ObjectIdentifier(first) {
                problems.report(.portMismatch, d.fromPointer(0),
                                "stage \"\(id)\" (\(descriptor.kind)) takes \(typeName(inputType(of: stageType))), but \"\(d.from[0])\" (\(drafts[graph.nodes[upstream[0]]].kind ?? "?")) emits \(typeName(first))",
                                expected: "an upstream stage that emits \(typeName(inputType(of: stageType)))")
                return nil
            }
        }
        // The output type is known from the type alone, so stages downstream are still checked.
        let out = outputType(of: stageType)
        if descriptor.role != .sink { outputTypes[n] = out }
        // A configuration with field problems (already reported) is checked further as repaired.
        guard let configJSON = d.configValid ? d.config : d.repairedConfig else { return nil }
        let configuration: any StageConfiguration
        switch decodeConfiguration(configurationType(of: stageType), from: configJSON, at: d.configPointer) {
        case .success(let (c, found)):
            configuration = c
            problems += found
        case .failure(let failure):
            if d.configValid { problems += failure.diagnostics }
            return nil
        }
        if let fields = outputFields(of: stageType, configuration) { declaredFields[n] = fields }
        if descriptor.role != .source, let declared = declaredFields[upstream[0]] ?? (upstreamTypes[0] as? any Record.Type)?.declaredFields {
            checkInputFields(d, configuration, declared: declared.map(\.name), problems: &problems)
        }
        checkEventKinds(d, descriptor: descriptor, stageType: stageType, configuration, upstream: upstream, problems: &problems)
        return PlannedStage(
            id: id, kind: descriptor.kind, index: d.index, from: d.from, consumers: graph.consumers[n].map { drafts[graph.nodes[$0]].displayID },
            descriptor: descriptor, stageType: stageType, configuration: configuration,
            displayConfiguration: ConfigRedaction.redacted(d.config, spec: descriptor.spec),
            queue: d.queue, errorPolicy: d.errorPolicy,
            inputTypeName: descriptor.role == .source ? nil : displayName(of: inputType(of: stageType)),
            outputTypeName: descriptor.role == .sink ? nil : displayName(of: out))
    }

    /// Field names used by expressions, by the configuration and by conflation keys, against the
    /// fields the input declares.
    private func checkInputFields(_ d: StageDraft, _ configuration: any StageConfiguration, declared names: [String], problems: inout [Diagnostic]) {
        let upstream = d.from[0]
        for (field, expression) in d.expressions {
            for problem in expression.unknownFields(among: names) {
                problems.report(.expression, d.configPointer.appending(field),
                                "\(problem.message) at column \(problem.column): \"\(upstream)\" emits \(fieldListing(names))",
                                expected: "a field of the input", hint: problem.hint)
            }
        }
        let references = configuration.inputFieldReferences()
        let known = references.isEmpty ? [] : Set(names)
        for reference in references where !known.contains(reference.field) {
            let pointer = JSONPointer(tokens: d.configPointer.tokens + reference.pointer.tokens)
            if let column = reference.column {
                problems.report(.expression, pointer,
                                "unknown field '\(reference.field)' at column \(column): \"\(upstream)\" emits \(fieldListing(names))",
                                expected: "a field of the input", hint: didYouMean(reference.field, in: names))
            } else {
                problems.report(.unknownField, pointer, "\"\(upstream)\" emits no field \"\(reference.field)\"",
                                expected: "one of " + fieldListing(names), hint: didYouMean(reference.field, in: names))
            }
        }
        if d.queue.policy == .conflate {
            for (k, key) in d.queue.key.enumerated() where !names.contains(key) {
                problems.report(.unknownField, d.pointer.appending("queue").appending("key").appending(k),
                                "\"\(upstream)\" emits no field \"\(key)\" to conflate on", expected: "one of " + names.joined(separator: ", "), hint: didYouMean(key, in: names))
            }
        }
    }

    /// The event kinds a stage builds from, against what its inputs emit.
    private func checkEventKinds(_ d: StageDraft, descriptor: StageDescriptor, stageType: any Stage.Type, _ configuration: any StageConfiguration,
                                 upstream: [Int], problems: inout [Diagnostic]) {
        guard let required = requiredKinds(of: stageType, configuration) else { return }
        for u in upstream {
            guard let emitted = emittedKinds[u] else { continue }
            let up = drafts[graph.nodes[u]]
            if required.isDisjoint(with: emitted) {
                problems.report(.portMismatch, d.pointer.appending("from"),
                                "stage \"\(d.displayID)\" (\(descriptor.kind)) builds from \(required.sorted().joined(separator: " or ")), but \"\(up.displayID)\" emits only \(emitted.sorted().joined(separator: ", "))",
                                expected: "an upstream stage that emits \(required.sorted().joined(separator: " or "))")
            }
        }
    }

    private mutating func displayName(of type: Any.Type) -> String {
        if let known = typeNames[ObjectIdentifier(type)] { return known }
        let name = typeName(type)
        typeNames[ObjectIdentifier(type)] = name
        return name
    }
}
