import Synchronization

/// Holds every stage task until all stages of the pipeline have been created.
final class StartBarrier: Sendable {
    private struct State {
        var remaining: Int
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    init(parties: Int) {
        state = Mutex(State(remaining: parties))
    }

    /// Arrives without waiting (a stage that failed to be created).
    func arriveWithoutWaiting() {
        let ready = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
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
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                enum Outcome { case wait, go, cancelled }
                let (ready, outcome) = state.withLock { s -> ([CheckedContinuation<Void, any Error>], Outcome) in
                    s.remaining -= 1
                    if s.remaining <= 0 {
                        defer { s.waiters.removeAll() }
                        return (Array(s.waiters.values), .go)
                    }
                    if Task.isCancelled { return ([], .cancelled) }
                    s.waiters[id] = c
                    return ([], .wait)
                }
                for w in ready { w.resume() }
                switch outcome {
                case .go: c.resume()
                case .cancelled: c.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            let c = state.withLock { $0.waiters.removeValue(forKey: id) }
            c?.resume(throwing: CancellationError())
        }
    }
}
