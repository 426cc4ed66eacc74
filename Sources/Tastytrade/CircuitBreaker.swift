public import SluiceCore
import Synchronization

/// Stops calling a failing server for a while: closed → open after `failureThreshold` consecutive
/// failures; open → half-open after `openDuration`; half-open lets one probe through, which closes the
/// circuit on success and opens it again on failure.
public final class CircuitBreaker: Sendable {
    /// The breaker's state.
    public enum State: Sendable, Equatable {
        /// Calls go through; `failures` consecutive ones have failed.
        case closed(failures: Int)
        /// Calls are refused until this time (epoch nanoseconds).
        case open(until: Int64)
        /// One probe is in flight; other calls are refused.
        case halfOpen
    }

    /// The pure state machine.
    struct Machine: Sendable {
        var state = State.closed(failures: 0)
        let failureThreshold: Int
        let openDuration: Int64

        /// Whether a call may go now (a half-open probe is claimed).
        mutating func admit(now: Int64) -> Bool {
            switch state {
            case .closed: return true
            case .open(let until):
                guard now >= until else { return false }
                state = .halfOpen
                return true
            case .halfOpen: return false
            }
        }

        mutating func succeeded() { state = .closed(failures: 0) }

        mutating func failed(now: Int64) {
            switch state {
            case .closed(let failures):
                state = failures + 1 >= failureThreshold ? .open(until: now + openDuration) : .closed(failures: failures + 1)
            case .halfOpen, .open:
                state = .open(until: now + openDuration)
            }
        }
    }

    private let machine: Mutex<Machine>
    private let clock: any StageClock

    /// Opens after `failureThreshold` consecutive failures, for `openDuration`.
    public init(failureThreshold: Int, openDuration: Duration, clock: any StageClock) {
        machine = Mutex(Machine(failureThreshold: max(failureThreshold, 1), openDuration: openDuration.nanoseconds))
        self.clock = clock
    }

    /// The current state.
    public var state: State { machine.withLock { $0.state } }

    /// Whether a call may go now.
    public func admit() -> Bool {
        let now = clock.now.nanosecondsSinceEpoch
        return machine.withLock { $0.admit(now: now) }
    }

    /// Records a successful call.
    public func succeeded() { machine.withLock { $0.succeeded() } }

    /// Records a failed call (only failures of the server count: transport, timeout, 429, 5xx).
    public func failed() {
        let now = clock.now.nanosecondsSinceEpoch
        machine.withLock { $0.failed(now: now) }
    }
}
