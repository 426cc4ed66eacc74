/// A step in a pipeline: it reads batches of `Input`, writes batches of `Output`, and is configured by a
/// `Configuration` declared with a spec.
///
/// Sources have `Input == Never`; sinks have `Output == Never`. A stage is created once per run (and again
/// on each restart) from its validated configuration, then ``run(input:output:)`` is called once.
///
/// ```swift
/// struct Doubler: Stage {
///     static let kind = "doubler"
///     static let summary = "Doubles every price."
///     init(configuration: EmptyConfiguration, context: StageContext) {}
///     func run(input: Inbound<Tick>, output: Outbound<Tick>) async throws {
///         for try await batch in input {
///             try await output.send(batch.map { var t = $0; t.price *= 2; return t })
///         }
///     }
/// }
/// ```
public protocol Stage: Sendable {
    /// What the stage consumes; `Never` for sources.
    associatedtype Input: Sendable = Never
    /// What the stage produces; `Never` for sinks.
    associatedtype Output: Sendable = Never
    /// The stage's configuration.
    associatedtype Configuration: StageConfiguration = EmptyConfiguration

    /// The name used in pipeline files, in snake_case (e.g. `dxlink_decode`).
    static var kind: String { get }
    /// One line for `sluice stages`.
    static var summary: String { get }

    /// The event kinds this stage needs on its input (e.g. `["Trade"]`), when it needs specific ones;
    /// checked against what the upstream stage declares it emits.
    static func requiredInputKinds(_ configuration: Configuration) -> Set<String>?

    /// The event kinds this stage emits with this configuration, when it can tell.
    static func emittedKinds(_ configuration: Configuration) -> Set<String>?

    /// The fields of the records this stage emits with this configuration, when the configuration decides
    /// them (an `exec` stage's declared output); `nil` means the output type's ``Record/declaredFields``.
    /// Used to check field names downstream when a pipeline is validated.
    static func outputFields(_ configuration: Configuration) -> [Column]?

    /// Whether the stage may run with nothing reading its output (it also delivers elsewhere, like
    /// `alerts`); otherwise an unread output is a validation error.
    static var outputIsOptional: Bool { get }

    /// Creates the stage. Throw ``StageError`` for problems only visible at start (a file that cannot be
    /// opened, …); configuration problems belong in the spec or ``StageConfiguration/validate()``.
    init(configuration: Configuration, context: StageContext) throws

    /// Runs until the input ends (or, for sources, until done or shutdown is requested).
    /// Returning means done; throwing means failed (the stage's `on_error` decides what happens).
    func run(input: Inbound<Input>, output: Outbound<Output>) async throws
}

extension Stage {
    public static func requiredInputKinds(_ configuration: Configuration) -> Set<String>? { nil }
    public static func emittedKinds(_ configuration: Configuration) -> Set<String>? { nil }
    public static var outputIsOptional: Bool { false }
    public static func outputFields(_ configuration: Configuration) -> [Column]? { nil }
}

/// A stage that works on records of any type; the runtime specializes it for the type its upstream
/// stage produces, so a filter between a decoder and a candle builder keeps the stream's type.
public protocol RecordGenericStage: Stage where Input: Record {
    /// This stage's type for input records of type `R`, e.g. `Filter<R>.self`.
    static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type
}

/// Where a stage sits in a pipeline.
public enum StageRole: String, Sendable, CaseIterable {
    /// No input; produces events.
    case source
    /// Input and output.
    case transform
    /// Input only.
    case sink
}

/// A failure inside a stage, with a stable code, the stage it happened in and the error underneath.
public struct StageError: Error, Sendable, CustomStringConvertible {
    /// A stable identifier for a kind of stage failure, e.g. `write_failed`; a stage module adds its own
    /// (`StageError.Code("quota_exceeded")`) without a change here.
    public typealias Code = StableCode<StageError>


    /// What kind of failure.
    public var code: Code
    /// What went wrong.
    public var message: String
    /// The stage id, when the error names one (the runtime's ``PipelineFailure`` always does).
    public var stageID: String?
    /// The underlying error, if any, kept as thrown.
    public var underlying: (any Error)?

    /// Creates a stage error.
    public init(_ code: Code, _ message: String, stageID: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.stageID = stageID
        self.underlying = underlying
    }

    public var description: String {
        var s = stageID.map { "stage '\($0)': " } ?? ""
        s += message
        if let underlying, "\(underlying)" != message { s += " (\(underlying))" }
        return s
    }
}

extension StableCode where Domain == StageError {
    /// A file, socket or program could not be opened or started.
    public static var openFailed: Self { Self("open_failed") }
    /// A write failed (full disk, closed pipe, a file made read-only).
    public static var writeFailed: Self { Self("write_failed") }
    /// A read failed.
    public static var readFailed: Self { Self("read_failed") }
    /// An external program failed or exited early.
    public static var execFailed: Self { Self("exec_failed") }
    /// A directory could not be created.
    public static var mkdirFailed: Self { Self("mkdir_failed") }
    /// A file could not be rotated.
    public static var rotateFailed: Self { Self("rotate_failed") }
    /// A record could not be written as asked.
    public static var recordFailed: Self { Self("record_failed") }
    /// Something a test or a stage waited for did not happen in time.
    public static var waitTimeout: Self { Self("wait_timeout") }
    /// A rule is invalid.
    public static var invalidRule: Self { Self("invalid_rule") }
    /// A path is invalid.
    public static var invalidPath: Self { Self("invalid_path") }
    /// A symbol, underlying or product the data source does not know.
    public static var unknownSymbol: Self { Self("unknown_symbol") }
}
