import SluiceCore
import Synchronization

/// Subscription changes asked of a running ``DXLinkSession`` from other tasks, waiting to be applied by
/// the connection (or, between connections, by the next one).
final class SubscriptionInbox: Sendable {
    /// One request.
    struct Change: Sendable {
        var add: [FeedSubscription]
        var remove: [FeedSubscription]
    }

    private let state = Mutex<(pending: [Change], posted: ShutdownSignal)>(([], ShutdownSignal()))

    /// Queues a change and wakes whoever waits for one.
    func post(_ change: Change) {
        let signal = state.withLock { s in
            s.pending.append(change)
            return s.posted
        }
        signal.trigger()
    }

    /// The changes queued so far, and a signal triggered at the next ``post(_:)`` (so a post between
    /// taking and waiting is never missed).
    func take() -> (changes: [Change], next: ShutdownSignal) {
        state.withLock { s in
            let changes = s.pending
            s.pending = []
            if s.posted.isRequested || !changes.isEmpty { s.posted = ShutdownSignal() }
            return (changes, s.posted)
        }
    }
}
