/// What a queue does when a producer sends more than its capacity holds.
public struct QueuePolicy: Hashable, Sendable, CustomStringConvertible {
    enum Base: String, Hashable, Sendable, CaseIterable {
        case block
        case dropOldest = "drop_oldest"
        case dropNewest = "drop_newest"
        case conflate
    }
    let base: Base

    /// The producer suspends until there is room (backpressure). Never drops. The default.
    public static let block = QueuePolicy(base: .block)
    /// The oldest queued events are dropped to make room; the producer never waits.
    public static let dropOldest = QueuePolicy(base: .dropOldest)
    /// Events that do not fit are dropped; the producer never waits.
    public static let dropNewest = QueuePolicy(base: .dropNewest)
    /// Only the latest event per key is kept (e.g. per symbol and type); the producer never waits.
    public static let conflate = QueuePolicy(base: .conflate)

    /// The names used in pipeline files.
    public static let allNames = Base.allCases.map(\.rawValue)

    /// The policy with the pipeline-file name `name`.
    public init?(name: String) {
        guard let b = Base(rawValue: name) else { return nil }
        base = b
    }

    init(base: Base) { self.base = base }

    /// The pipeline-file name, e.g. `drop_oldest`.
    public var description: String { base.rawValue }
}

/// The key `conflate` keeps the latest event for. The queue only compares keys; what a key is made of
/// is the caller's (a pipeline keys records by type and key fields: `ConflationKey(recordType:values:)`
/// in SluiceCore).
public struct ConflationKey: Hashable, @unchecked Sendable {
    // Unchecked: `AnyHashable` is not `Sendable`, but the only initializer takes a `Sendable` value.
    private let base: AnyHashable

    /// A key made of `value`: two keys are equal when their values are.
    public init(_ value: some Hashable & Sendable) { base = AnyHashable(value) }
}

/// A snapshot of a queue's counters. All counts are exact.
public struct QueueStatistics: Sendable, Hashable {
    /// Events accepted into the queue.
    public var enqueued: Int = 0
    /// Events handed to the consumer.
    public var dequeued: Int = 0
    /// Events dropped by a policy: `drop_oldest`/`drop_newest`, or evicted by `conflate` when full.
    /// `block` never drops.
    public var dropped: Int = 0
    /// Events that were in the queue, waiting to enter it, or sent to it, when its consumer had stopped
    /// for good (the run failed or was cancelled). Not a policy's doing, but lost all the same, so
    /// counted apart.
    public var abandoned: Int = 0
    /// Events replaced by a newer event with the same key under `conflate`.
    public var conflated: Int = 0
    /// Events in the queue now.
    public var depth: Int = 0
    /// The most events the queue has held at once.
    public var highWaterMark: Int = 0

    /// Creates zeroed statistics.
    public init() {}
}
