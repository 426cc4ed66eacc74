/// Suspends the current task as a waiter on some state a lock guards, until the owner resumes it or the
/// task is cancelled: the continuation-and-cancellation dance every waiter in Sluice does (queues, the
/// shutdown signal, the start barrier, manual clocks, caches), written once.
///
/// - `register` runs once, with the new continuation. Under the owner's lock it either stores the
///   continuation (under the waiter's ticket) and returns `nil`, or returns what to resume with at once:
///   the wait is already over, or `Task.isCancelled` (then it returns `.failure(CancellationError())`).
/// - `cancel` runs if the task is cancelled while suspended. Under the owner's lock it removes the
///   waiter and returns its continuation, if the owner has not resumed it yet; that one is resumed with
///   `CancellationError`.
///
/// The owner resumes a stored continuation exactly once, outside its lock.
package func suspend<T: Sendable>(
    register: (UnsafeContinuation<T, any Error>) -> Result<T, any Error>?,
    cancel: @Sendable () -> UnsafeContinuation<T, any Error>?
) async throws -> T {
    try await withTaskCancellationHandler {
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<T, any Error>) in
            if let now = register(continuation) { continuation.resume(with: now) }
        }
    } onCancel: {
        cancel()?.resume(throwing: CancellationError())
    }
}
