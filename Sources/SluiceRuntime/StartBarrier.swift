import SluiceCore
import SluiceQueue
import Synchronization

/// Holds every stage task until all stages of the pipeline have been created.
final class StartBarrier: Sendable {
    private struct State {
        var remaining: Int
        var waiters: [UInt64: UnsafeContinuation<Void, any Error>] = [:]
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    init(parties: Int) {
        state = Mutex(State(remaining: parties))
    }

    /// Arrives without waiting (a stage that failed to be created).
    func arriveWithoutWaiting() {
        let ready = state.withLock { s -> [UnsafeContinuation<Void, any Error>] in
            s.remaining -= 1
            guard s.remaining <= 0 else { return [] }
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for c in ready { c.resume() }
    }

    /// Arrives and waits for the others.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting (another stage failed).
    func arrive() async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        try await suspend { c in
            let (ready, now) = state.withLock { s -> ([UnsafeContinuation<Void, any Error>], Result<Void, any Error>?) in
                s.remaining -= 1
                if s.remaining <= 0 {
                    defer { s.waiters.removeAll() }
                    return (Array(s.waiters.values), .success(()))
                }
                if Task.isCancelled { return ([], .failure(CancellationError())) }
                s.waiters[id] = c
                return ([], nil)
            }
            for w in ready { w.resume() }
            return now
        } cancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }
        }
    }
}
