/// Retries with exponential backoff and full jitter, honouring `Retry-After`.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// Upper bound of the first delay.
    public var initialBackoff: Duration
    /// Cap on any delay (also on `Retry-After`).
    public var maxBackoff: Duration

    /// Creates a policy; by default 4 attempts, 250 ms doubling to at most 10 s.
    public init(maxAttempts: Int = 4, initialBackoff: Duration = .milliseconds(250), maxBackoff: Duration = .seconds(10)) {
        self.maxAttempts = max(maxAttempts, 1)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    /// The delay before attempt `attempt + 1` after attempt `attempt` failed: the server's `Retry-After`
    /// when it gave one, else a uniform draw from zero to `initialBackoff × 2^(attempt-1)`, capped.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?, random: (ClosedRange<Int64>) -> Int64 = { Int64.random(in: $0) }) -> Duration {
        if let retryAfter { return min(retryAfter, maxBackoff) }
        let ceiling = min(initialBackoff * (1 << min(max(attempt - 1, 0), 30)), maxBackoff)
        return .nanoseconds(random(0...max(ceiling.nanoseconds, 1)))
    }
}
