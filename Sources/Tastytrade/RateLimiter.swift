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

        /// Reserves a slot: returns `nil` to go at once, or the time to go at (the slot is then taken).
        mutating func reserve(now: Int64) -> Int64? {
            sent.removeAll { $0 <= now - window }
            if sent.count < limit {
                sent.append(now)
                return nil
            }
            // The earliest time at which a slot frees up: the (count - limit + 1)-th oldest plus the window.
            let at = sent.sorted()[sent.count - limit] + window
            sent.append(at)
            return at
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
        let now = clock.now.nanosecondsSinceEpoch
        guard let at = state.withLock({ $0.reserve(now: now) }) else { return }
        try await clock.sleep(until: Timestamp(nanosecondsSinceEpoch: at))
    }
}
