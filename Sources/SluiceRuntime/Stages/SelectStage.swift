public import SluiceCore

/// `select` (transform): keeps, drops and renames fields; emits ``FieldRecord``s.
public struct SelectStage<Element: Record>: RecordGenericStage {
    public typealias Input = Element
    public typealias Output = FieldRecord

    /// The configuration of `select`.
    public struct Configuration: StageConfiguration {
        /// The fields to keep, in this order (`nil`: all).
        public var keep: [String]?
        /// The fields to drop.
        public var drop: [String]
        /// New names, old → new.
        public var rename: [String: String]

        public static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("keep", .array(.string, minCount: 1), optional: true, doc: "Fields to keep, in this order (default: all)."),
                ConfigField("drop", .array(.string), default: .array([]), doc: "Fields to remove."),
                ConfigField("rename", .map(.string), default: .object(JSONObject()), doc: "New names for fields, as {\"old\": \"new\"}."),
            ])
        }

        public func validate() -> [Diagnostic] {
            var problems: [Diagnostic] = []
            var seen = Set<String>()
            for (i, name) in (keep ?? []).enumerated() where !seen.insert(name).inserted {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("keep", i), "\"\(name)\" is listed twice", expected: "distinct field names"))
            }
            let targets = rename.values.sorted()
            for (a, b) in zip(targets, targets.dropFirst()) where a == b {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("rename"), "two fields are renamed to \"\(a)\"", expected: "distinct new names"))
            }
            return problems
        }
    }

    public static var kind: String { "select" }
    public static var summary: String { "Keeps, drops and renames fields." }

    let configuration: Configuration

    public init(configuration: Configuration, context: StageContext) {
        self.configuration = configuration
    }

    public static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type { SelectStage<R>.self }

    /// The output schema and source column per output column, for one input schema.
    struct Projection {
        let schema: RecordSchema
        let sources: [Int]
    }

    func projection(for input: RecordSchema) -> Projection {
        let dropped = Set(configuration.drop)
        let chosen: [Int]
        if let keep = configuration.keep {
            chosen = keep.compactMap { input.index(of: $0) }
        } else {
            chosen = Array(input.columns.indices)
        }
        let kept = chosen.filter { !dropped.contains(input.columns[$0].name) }
        let columns = kept.map { i -> Column in
            var c = input.columns[i]
            c.name = configuration.rename[c.name] ?? c.name
            return c
        }
        return Projection(schema: RecordSchema(recordType: input.recordType, columns: columns), sources: kept)
    }

    public func run(input: Inbound<Element>, output: Outbound<FieldRecord>) async throws {
        var cache: [ObjectIdentifier: Projection] = [:]
        for try await batch in input {
            var out: [FieldRecord] = []
            out.reserveCapacity(batch.count)
            for record in batch {
                let schema = record.schema
                let p: Projection
                if let cached = cache[ObjectIdentifier(schema)] {
                    p = cached
                } else {
                    p = projection(for: schema)
                    cache[ObjectIdentifier(schema)] = p
                }
                out.append(FieldRecord(schema: p.schema, values: p.sources.map { record.value(at: $0) }))
            }
            try await output.send(out)
        }
    }
}
