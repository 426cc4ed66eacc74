public import SluiceCore
public import SluiceQueue

/// How one stage's input queue is set up (`queue` in the pipeline file).
public struct QueueSpec: Sendable, Hashable {
    /// The most events the queue holds.
    public var capacity: Int
    /// What happens when it is full.
    public var policy: QueuePolicy
    /// For `conflate`: the fields whose values (with the record type) form the key.
    public var key: [String]

    /// The default: 4096 events, `block`.
    public static let `default` = QueueSpec(capacity: 4096, policy: .block, key: ["symbol"])

    /// Creates a queue spec.
    public init(capacity: Int, policy: QueuePolicy, key: [String] = ["symbol"]) {
        self.capacity = capacity
        self.policy = policy
        self.key = key
    }
}

/// A stage after validation: its specialized type, decoded configuration and wiring.
public struct PlannedStage: Sendable {
    /// The id from the pipeline file.
    public var id: String
    /// The kind.
    public var kind: String
    /// The stage's position in the file's `stages` array.
    public var index: Int
    /// Upstream stage ids.
    public var from: [String]
    /// Downstream stage ids.
    public var consumers: [String]
    /// The registered kind.
    public var descriptor: StageDescriptor
    /// The concrete stage type (generic stages specialized for their input).
    public var stageType: any Stage.Type
    /// The decoded configuration.
    public var configuration: any StageConfiguration
    /// The configuration with defaults filled in, secrets redacted (for display).
    public var displayConfiguration: JSONValue
    /// The input queue.
    public var queue: QueueSpec
    /// `on_error`.
    public var errorPolicy: ErrorPolicy
    /// The input type's name, or `nil` for a source.
    public var inputTypeName: String?
    /// The output type's name, or `nil` for a sink.
    public var outputTypeName: String?
}

/// A validated pipeline: stages in an order where every stage comes after its inputs.
public struct PipelinePlan: Sendable {
    /// The pipeline's name.
    public var name: String
    /// The file it came from, if any.
    public var file: String?
    /// The stages, sources first.
    public var stages: [PlannedStage]
    /// Values of secret fields, so the runtime can redact them from any log line or error.
    public var secrets: [String]
    /// Where the pipeline file asks the operator endpoint to listen (`http`), if it does.
    public var http: OperatorAddress?

    /// The stage with id `id`.
    public func stage(_ id: String) -> PlannedStage? { stages.first { $0.id == id } }
}

/// Redacts secret values from text that may reach a log or an error message.
public struct SecretRedactor: Sendable {
    let secrets: [String]

    /// Creates a redactor for these secret values (short values are ignored to avoid mangling text).
    public init(secrets: [String]) { self.secrets = secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count } }

    /// `text` with every secret replaced by `***`.
    public func redact(_ text: String) -> String {
        var out = text
        for s in secrets where out.contains(s) { out = out.replacingAll(s, with: "***") }
        return out
    }
}
