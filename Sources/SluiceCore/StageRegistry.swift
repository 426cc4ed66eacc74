/// The description of one registered stage kind: its docs, its ports and how to make it.
public struct StageDescriptor: Sendable {
    /// The pipeline-file name.
    public var kind: String
    /// One line of docs.
    public var summary: String
    /// Source, transform or sink.
    public var role: StageRole
    /// The configuration's spec.
    public var spec: ConfigSpec
    /// Where the kind came from: `built-in`, a plugin's name, or a library path.
    public var origin: String
    /// The stage type (for generic stages, specialized with ``FieldRecord``; see ``isGeneric``).
    public var stageType: any Stage.Type
    /// The input type's name (`any record` for generic stages), or `nil` for sources.
    public var inputDescription: String?
    /// The output type's name (`same as input` for generic transforms), or `nil` for sinks.
    public var outputDescription: String?
    /// Whether the stage is specialized for its upstream's record type.
    public var isGeneric: Bool
    /// The record shapes the output takes (see ``Record/recordSchemas``); `nil` for sinks, generic
    /// transforms and outputs known only at run time.
    public var outputSchemas: [RecordSchema]?
}

/// A plugin module's entry point: it registers its stage kinds.
///
/// ```swift
/// public enum CandlesPlugin: SluicePlugin {
///     public static let name = "candles"
///     public static func register(into registry: inout StageRegistry) {
///         registry.register(CandleBuilder.self, origin: name)
///     }
/// }
/// ```
public protocol SluicePlugin {
    /// The plugin's name, shown as the origin of its kinds.
    static var name: String { get }
    /// Registers the plugin's kinds.
    static func register(into registry: inout StageRegistry)
}

/// The set of stage kinds a pipeline may use. A value: every test and every runner builds its own.
public struct StageRegistry: Sendable {
    private var byKind: [String: StageDescriptor] = [:]
    /// Kinds registered twice; the first registration is kept.
    public private(set) var conflicts: [(kind: String, keptOrigin: String, rejectedOrigin: String)] = []

    /// An empty registry.
    public init() {}

    /// Registers a stage type. Returns `false` (and records a conflict) if the kind is taken.
    @discardableResult
    public mutating func register<S: Stage>(_ type: S.Type, origin: String = "built-in") -> Bool {
        let kind = S.kind
        if let existing = byKind[kind] {
            conflicts.append((kind, existing.origin, origin))
            return false
        }
        let generic = S.self is any RecordGenericStage.Type
        let role: StageRole = S.Input.self == Never.self ? .source : (S.Output.self == Never.self ? .sink : .transform)
        byKind[kind] = StageDescriptor(
            kind: kind, summary: S.summary, role: role, spec: S.Configuration.spec, origin: origin, stageType: S.self,
            inputDescription: role == .source ? nil : (generic ? "any record" : typeName(S.Input.self)),
            outputDescription: role == .sink ? nil : (generic && S.Output.self == S.Input.self ? "same as input" : typeName(S.Output.self)),
            isGeneric: generic,
            outputSchemas: role == .sink || (generic && S.Output.self == S.Input.self) ? nil : (S.Output.self as? any Record.Type)?.recordSchemas
        )
        return true
    }

    /// Registers every kind of a plugin.
    public mutating func register(plugin: any SluicePlugin.Type) {
        plugin.register(into: &self)
    }

    /// The descriptor of `kind`.
    public func descriptor(for kind: String) -> StageDescriptor? { byKind[kind] }

    /// All registered kinds, sorted.
    public var kinds: [String] { byKind.keys.sorted() }

    /// All descriptors, sorted by kind.
    public var descriptors: [StageDescriptor] { kinds.compactMap { byKind[$0] } }
}

/// A readable name for a type in messages: `Tick` for `Tick`, `FilterStage` for `FilterStage<Tick>`.
package func typeName(_ type: Any.Type) -> String {
    let full = String(describing: type)
    return full.firstIndex(of: "<").map { String(full[..<$0]) } ?? full
}
