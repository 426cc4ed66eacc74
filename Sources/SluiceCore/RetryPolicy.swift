/// How many times a request is tried, and how long to wait between tries: ``Backoff`` (exponential,
/// full jitter), unless the server said how long with `Retry-After`.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// The delays between attempts.
    public var backoff: Backoff

    /// Creates a policy; by default 4 attempts, 250 ms doubling to at most 10 s.
    public init(maxAttempts: Int = 4, initialBackoff: Duration = .milliseconds(250), maxBackoff: Duration = .seconds(10)) {
        self.maxAttempts = max(maxAttempts, 1)
        self.backoff = Backoff(initial: initialBackoff, cap: maxBackoff)
    }

    /// The delay before attempt `attempt + 1` after attempt `attempt` failed: the server's `Retry-After`
    /// (capped) when it gave one, else a draw from ``Backoff``.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?) -> Duration {
        var rng = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, retryAfter: retryAfter, using: &rng)
    }

    /// ``delay(afterAttempt:retryAfter:)`` with the given random source.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?, using rng: inout some RandomNumberGenerator) -> Duration {
        if let retryAfter { return min(retryAfter, backoff.cap) }
        return backoff.delay(attempt: attempt, using: &rng)
    }
}
