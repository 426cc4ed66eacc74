import SluiceCore
import Synchronization
import UnixSignals

/// Requests to re-read a file now: each SIGHUP the process gets (while something listens) wakes the
/// current waiter; a request made while nobody waits is kept for the next.
final class ReloadRequests: Sendable {
    private let signal = Mutex(ShutdownSignal())

    /// The signal the next request triggers (a fresh one once the last was used).
    func next() -> ShutdownSignal {
        signal.withLock { s in
            if s.isRequested { s = ShutdownSignal() }
            return s
        }
    }

    /// Requests a reload.
    func request() {
        signal.withLock { $0 }.trigger()
    }

    /// Turns every SIGHUP into a request until cancelled, calling `listening` once the signal is trapped.
    /// (While it runs, SIGHUP no longer ends the process: it reloads, as daemons do.)
    func listenForHangups(listening: () -> Void = {}) async {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        listening()
        for await _ in hangups {
            request()
        }
    }
}
