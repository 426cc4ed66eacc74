/// What happens when a stage fails (its `on_error` in the pipeline file).
public struct ErrorPolicy: Hashable, Sendable, CustomStringConvertible {
    enum Base: Hashable, Sendable {
        case fail
        case skip
        case restart(RestartPolicy)
    }
    let base: Base

    /// The pipeline fails with a message naming the stage. The default.
    public static let fail = ErrorPolicy(base: .fail)
    /// Record-level errors are counted, logged (rate-limited) and the record skipped; a stage-level
    /// failure still fails the pipeline.
    public static let skip = ErrorPolicy(base: .skip)
    /// The stage is created again and restarted after a backoff; record-level errors are skipped.
    public static func restart(_ policy: RestartPolicy = RestartPolicy()) -> ErrorPolicy { ErrorPolicy(base: .restart(policy)) }

    /// The restart policy, when this policy restarts.
    public var restartPolicy: RestartPolicy? { if case .restart(let p) = base { return p } else { return nil } }

    /// Whether record-level errors are skipped rather than failing the stage.
    public var skipsRecordErrors: Bool { base != .fail }

    public var description: String {
        switch base {
        case .fail: return "fail"
        case .skip: return "skip"
        case .restart: return "restart"
        }
    }
}

/// How a failing stage is restarted: exponential backoff with full jitter, and an optional limit.
public struct RestartPolicy: Hashable, Sendable {
    /// The first backoff.
    public var initialBackoff: Duration
    /// The largest backoff.
    public var maxBackoff: Duration
    /// Give up (fail the pipeline) after this many consecutive restarts; `nil` means never.
    public var maxRestarts: Int?

    /// Creates a restart policy.
    public init(initialBackoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(30), maxRestarts: Int? = nil) {
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.maxRestarts = maxRestarts
    }

    /// The upper bound of the backoff before restart number `attempt` (from 1); the wait is drawn
    /// uniformly from zero to this bound ("full jitter").
    public func backoffCeiling(attempt: Int) -> Duration { backoff.ceiling(attempt: attempt) }

    /// The backoff between restarts.
    public var backoff: Backoff { Backoff(initial: initialBackoff, cap: maxBackoff) }
}
