import DXLink
import MarketData
import SluiceCore
import Synchronization

/// Decodes a session's frames into a ``SnapshotBook`` until it is complete, and remembers how far the
/// feed got: for `sluice snapshot` and for `until: complete`. Frames arrive on the session's reader task;
/// the lock is for whoever reads the book after.
final class SnapshotCollector: Sendable {
    private struct State {
        var decoder = FeedDecoder()
        var book: SnapshotBook
        var events: [MarketEvent] = []
        var complete: Bool
        var subscribed = false
        var status: FeedStatus?
    }

    private let state: Mutex<State>
    /// The pairs the book waits for.
    let pairs: Int

    init(_ book: SnapshotBook) {
        pairs = book.pairs
        state = Mutex(State(book: book, complete: book.isComplete))
    }

    /// Takes one frame; `true` once, for the frame that completes the book (nothing is decoded after).
    func add(_ frame: DXLinkFrame) -> Bool {
        state.withLock { s in
            switch frame.content {
            case .data(let text, let layout):
                guard !s.complete else { return false }
                s.events.removeAll(keepingCapacity: true)
                s.decoder.decode(text, layout: layout, into: &s.events)
                for e in s.events { s.book.record(e) }
                s.complete = s.book.isComplete
                return s.complete
            case .status(let status):
                if status.state == .subscribed { s.subscribed = true }
                // The close at the snapshot's own end says nothing about the feed.
                if !(status.state == .closed && status.reason == "shutdown") { s.status = status }
                return false
            case .universe:
                return false
            }
        }
    }

    /// The book so far.
    var book: SnapshotBook { state.withLock { $0.book } }

    /// Whether the feed was ever subscribed, and its last state change.
    var feed: (subscribed: Bool, status: FeedStatus?) { state.withLock { ($0.subscribed, $0.status) } }
}
