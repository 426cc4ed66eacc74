import Synchronization

/// The latest report of one kind a stage made (its ``FeedHealth``, its ``SymbolHealth``): written by
/// the stage when something changes, read by the runtime's reporters (`/health`, `/metrics`, the status
/// line).
public final class ReportedValue<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)

    /// Creates an empty cell: nothing reported yet.
    public init() {}

    /// The latest report, if any.
    public var current: Value? { value.withLock { $0 } }

    func set(_ report: Value) { value.withLock { $0 = report } }
}
