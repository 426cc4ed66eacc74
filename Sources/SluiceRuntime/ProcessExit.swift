package import Foundation
import Synchronization

/// Waits for a child process to exit without spinning. Foundation's `waitUntilExit()` on Linux polls an
/// empty run loop — a core at 100 % for as long as it waits — so Sluice waits on the process's
/// termination handler instead.
///
/// ```swift
/// let exit = ProcessExit(process)  // before process.run()
/// try process.run()
/// await exit.wait()
/// ```
package final class ProcessExit: Sendable {
    private let state = Mutex<(exited: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    private let semaphore = DispatchSemaphore(value: 0)

    /// Installs the termination handler on `process`; create it before `process.run()`.
    package init(_ process: Process) {
        process.terminationHandler = { [self] _ in
            let waiters = state.withLock { s in
                s.exited = true
                defer { s.waiters = [] }
                return s.waiters
            }
            for w in waiters { w.resume() }
            semaphore.signal()
        }
    }

    /// Whether the process has exited.
    package var hasExited: Bool { state.withLock { $0.exited } }

    /// Returns once the process has exited. Not cut short by cancellation (the process's status is only
    /// readable once it has exited): a caller that is cancelled kills the process, and then this returns.
    package func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let exited = state.withLock { s in
                if !s.exited { s.waiters.append(c) }
                return s.exited
            }
            if exited { c.resume() }
        }
    }

    /// Blocks the calling thread (without spinning) until the process has exited: for synchronous
    /// commands.
    package func waitBlocking() {
        guard !hasExited else { return }
        semaphore.wait()
    }
}
