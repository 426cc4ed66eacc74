public import MarketData

/// Where each candle series resumes after a reconnect: the newest candle the pipeline has actually been
/// given — from a completed snapshot, or a live update after one — and never a candle of a snapshot that a
/// dropped connection left unfinished (the decoder drops those, so resuming after them would skip history).
///
/// It follows the same rules as ``SnapshotAssembler``: SNAPSHOT_BEGIN starts holding a series, SNAPSHOT_END
/// or SNAPSHOT_SNIP completes it, TX_PENDING holds until an event without it; only what the assembler would
/// release moves the resume point. A REMOVE_EVENT (an empty snapshot's marker) never does.
public struct CandleResumePoints: Sendable, Hashable {
    struct Series: Sendable, Hashable {
        /// The newest candle time given downstream and released (epoch ms).
        var delivered: Int64?
        /// The newest candle time of what is held, waiting for its snapshot or transaction to complete.
        var held: Int64?
        var inSnapshot = false
        var holding = false
    }

    private var series: [String: Series] = [:]

    /// No series yet.
    public init() {}

    /// The newest delivered candle time of `symbol` (epoch ms), if any.
    public func resumeTime(symbol: String) -> Int64? { series[symbol]?.delivered }

    /// A new connection: whatever a snapshot or transaction held on the old one never completes.
    public mutating func connectionStarted() {
        for key in series.keys {
            series[key]!.held = nil
            series[key]!.inSnapshot = false
            series[key]!.holding = false
        }
    }

    /// A candle of `symbol` was handed downstream with these `flags`.
    public mutating func delivered(symbol: String, time: Int64, flags: EventFlags) {
        var s = series[symbol] ?? Series()
        defer { series[symbol] = s }
        if flags.contains(.snapshotBegin) {
            s.inSnapshot = true
            s.holding = true
            s.held = nil
        }
        let counts = !flags.contains(.removeEvent)
        guard s.holding || flags.contains(.txPending) else {
            if counts { s.delivered = Swift.max(s.delivered ?? .min, time) }
            return
        }
        s.holding = true
        if counts { s.held = Swift.max(s.held ?? .min, time) }
        let snapshotDone = s.inSnapshot && (flags.contains(.snapshotEnd) || flags.contains(.snapshotSnip))
        if snapshotDone { s.inSnapshot = false }
        guard !flags.contains(.txPending), !s.inSnapshot else { return }
        if let held = s.held { s.delivered = Swift.max(s.delivered ?? .min, held) }
        s.held = nil
        s.holding = false
    }
}
