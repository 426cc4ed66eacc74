/// The `eventFlags` bits of indexed events: transactions and snapshots of time series and order books.
public struct EventFlags: OptionSet, Sendable, Hashable {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// Part of a multi-event transaction: hold until an event without this flag arrives.
    public static let txPending = EventFlags(rawValue: 0x01)
    /// Delete the event with this index (also marks an empty snapshot or the `fromTime` boundary).
    public static let removeEvent = EventFlags(rawValue: 0x02)
    /// First event of a (re)snapshot: what is held for this symbol is replaced.
    public static let snapshotBegin = EventFlags(rawValue: 0x04)
    /// Last event of a complete snapshot.
    public static let snapshotEnd = EventFlags(rawValue: 0x08)
    /// Last event of a snapshot cut short by a server limit.
    public static let snapshotSnip = EventFlags(rawValue: 0x10)
    /// A publisher-side flag consumers ignore.
    public static let snapshotMode = EventFlags(rawValue: 0x40)
}
