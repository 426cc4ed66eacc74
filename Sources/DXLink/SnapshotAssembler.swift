public import MarketData

/// Applies the event flags of indexed events (candles, Greeks, time and sales, …) so that downstream
/// stages see a consistent series: snapshots are held until complete and then released oldest first with
/// removals applied; transactions are held until their last event. Events outside snapshots and
/// transactions pass straight through.
///
/// Follows dxFeed's reference algorithm: SNAPSHOT_BEGIN starts collecting for (type, symbol);
/// SNAPSHOT_END or SNAPSHOT_SNIP completes it; TX_PENDING holds events until one without it arrives.
public struct SnapshotAssembler: Sendable {
    struct Key: Hashable {
        var type: MarketEventType
        var symbol: String
    }

    struct Pending {
        var events: [MarketEvent] = []
        var inSnapshot = false
        var snapshotComplete = false
    }

    private var pending: [Key: Pending] = [:]

    /// Creates an assembler.
    public init() {}

    /// Events held back, waiting for a snapshot or transaction to complete.
    public var heldEvents: Int { pending.values.reduce(0) { $0 + $1.events.count } }

    /// Drops everything held (after a reconnect the server sends new snapshots); returns how many.
    public mutating func reset() -> Int {
        let n = heldEvents
        pending = [:]
        return n
    }

    /// Feeds one event; appends to `output` whatever can be released now.
    public mutating func add(_ event: MarketEvent, type: MarketEventType, to output: inout [MarketEvent]) {
        guard let indexed = event.indexed else {
            output.append(event)
            return
        }
        let flags = indexed.flags
        let key = Key(type: type, symbol: indexed.eventSymbol)
        var p = pending[key] ?? Pending()
        if flags.contains(.snapshotBegin) {
            p = Pending(events: [], inSnapshot: true, snapshotComplete: false)
        }
        let holding = p.inSnapshot || flags.contains(.txPending) || !p.events.isEmpty
        guard holding else {
            output.append(event)
            return
        }
        p.events.append(event)
        if p.inSnapshot && (flags.contains(.snapshotEnd) || flags.contains(.snapshotSnip)) {
            p.snapshotComplete = true
        }
        if flags.contains(.txPending) || (p.inSnapshot && !p.snapshotComplete) {
            pending[key] = p
            return
        }
        pending[key] = nil
        release(p, to: &output)
    }

    private mutating func release(_ p: Pending, to output: inout [MarketEvent]) {
        guard p.inSnapshot else {
            output.append(contentsOf: p.events)
            return
        }
        // A complete snapshot replaces the series: keep the last version of each index, drop removals,
        // release oldest first.
        var byIndex: [Int64: MarketEvent] = [:]
        for e in p.events {
            guard let i = e.indexed else { continue }
            if i.flags.contains(.removeEvent) {
                byIndex.removeValue(forKey: i.index)
            } else {
                byIndex[i.index] = e
            }
        }
        output.append(contentsOf: byIndex.keys.sorted().map { byIndex[$0]! })
    }
}
