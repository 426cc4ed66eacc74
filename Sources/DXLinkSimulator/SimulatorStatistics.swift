public import DXLink
import Synchronization

/// What the simulator has done, for tests and the `simulate` command's summary.
public struct SimulatorStatistics: Sendable, Hashable {
    /// WebSocket connections accepted.
    public var connections = 0
    /// Live and history events sent, by `Type|symbol`.
    public var eventsSent: [String: Int] = [:]
    /// FEED_DATA frames sent.
    public var dataFrames = 0
    /// KEEPALIVE messages received from clients.
    public var keepalivesReceived = 0
    /// KEEPALIVE messages sent to clients.
    public var keepalivesSent = 0
    /// AUTH messages with a wrong token.
    public var rejectedTokens = 0
    /// Every client message received, per connection (1-based), in order.
    public var messages: [Int: [ClientMessage]] = [:]
    /// The largest client message received, in bytes.
    public var largestClientMessage = 0
    /// Faults injected, by kind (`drop`, `malformed`, `error`, `unknown`, `silent`).
    public var faults: [String: Int] = [:]

    /// All events sent.
    public var totalEvents: Int { eventsSent.values.reduce(0, +) }

    /// Creates empty statistics.
    public init() {}
}

final class SimulatorState: Sendable {
    let statistics = Mutex(SimulatorStatistics())
    let budget: Mutex<Int?>

    init(maxEvents: Int?) { budget = Mutex(maxEvents) }

    /// Takes up to `n` events from the budget; returns how many may be sent.
    func take(_ n: Int) -> Int {
        budget.withLock { b in
            guard let left = b else { return n }
            let granted = min(n, left)
            b = left - granted
            return granted
        }
    }
}
