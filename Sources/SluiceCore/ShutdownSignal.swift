import SluiceQueue
import Synchronization

/// Tells sources that the pipeline is shutting down gracefully: stop producing, then return.
///
/// Downstream stages need not watch it: their input simply ends once the sources have returned and the
/// queues are drained.
public final class ShutdownSignal: Sendable {
    private let state = Mutex<(requested: Bool, waiters: [UInt64: UnsafeContinuation<Void, any Error>], next: UInt64)>((false, [:], 0))

    /// Creates a signal that has not fired.
    public init() {}

    /// Whether shutdown has been requested.
    public var isRequested: Bool { state.withLock { $0.requested } }

    /// Requests shutdown; wakes every waiter. Calling it again has no effect.
    public func trigger() {
        let waiters = state.withLock { s -> [UnsafeContinuation<Void, any Error>] in
            guard !s.requested else { return [] }
            s.requested = true
            let w = Array(s.waiters.values)
            s.waiters.removeAll()
            return w
        }
        for w in waiters { w.resume() }
    }

    /// Returns when shutdown is requested or the task is cancelled.
    public func wait() async {
        let id = state.withLock { s -> UInt64 in
            s.next += 1
            return s.next
        }
        // Cancelled or not, the wait is over: a cancelled waiter returns like one that was woken.
        try? await suspend { c in
            state.withLock { s in
                if s.requested || Task.isCancelled { return .success(()) }
                s.waiters[id] = c
                return nil
            }
        } cancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }
        }
    }
}
