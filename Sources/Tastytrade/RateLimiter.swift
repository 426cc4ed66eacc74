public import SluiceCore
import Synchronization

/// At most `limit` requests in any `window` (a sliding window over the times of recent requests).
///
/// ```swift
/// let limiter = RateLimiter(limit: 2, per: .seconds(1), clock: clock)
/// try await limiter.acquire()   // waits when two requests went out in the last second
/// ```
public final class RateLimiter: Sendable {
    /// The pure part: the times of recent requests and when the next may go.
    struct Window: Sendable {
        var limit: Int
        var window: Int64
        var sent: [Int64] = []

        /// Takes a slot at `now` if fewer than `limit` requests were sent in the window before it (returns
        /// `nil`); otherwise returns when the oldest of them leaves the window, without taking a slot.
        mutating func take(now: Int64) -> Int64? {
            sent.removeAll { $0 <= now - window }
            if sent.count < limit {
                sent.append(now)
                return nil
            }
            return sent.min()! + window
        }
    }

    private let state: Mutex<Window>
    private let clock: any StageClock

    /// At most `limit` requests per `window`.
    public init(limit: Int, per window: Duration, clock: any StageClock) {
        state = Mutex(Window(limit: max(limit, 1), window: window.nanoseconds))
        self.clock = clock
    }

    /// Waits for a slot.
    public func acquire() async throws {
        // The slot is stamped with the time the request goes out, not the time it was asked for: a caller
        // that waited (for a slot, or for anything else) never lets more than `limit` out in any window.
        while true {
            let now = clock.now.nanosecondsSinceEpoch
            guard let free = state.withLock({ $0.take(now: now) }) else { return }
            try await clock.sleep(until: Timestamp(nanosecondsSinceEpoch: free))
        }
    }
}
