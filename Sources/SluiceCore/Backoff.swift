/// Exponential backoff with full jitter: before attempt `n + 1`, wait a time drawn uniformly from zero to
/// `initial × 2^(n-1)`, capped at `cap`.
///
/// One rule for every retry in Sluice: stage restarts, DXLink reconnects, REST retries and webhook
/// deliveries.
public struct Backoff: Hashable, Sendable {
    /// The upper bound of the first delay.
    public var initial: Duration
    /// The cap on any delay.
    public var cap: Duration

    /// Creates a backoff.
    public init(initial: Duration, cap: Duration) {
        self.initial = initial
        self.cap = cap
    }

    /// The upper bound of the delay after failed attempt `attempt` (1-based).
    public func ceiling(attempt: Int) -> Duration {
        let shift = min(max(attempt - 1, 0), 62)
        let (product, overflow) = initial.nanoseconds.multipliedReportingOverflow(by: Int64(1) << shift)
        return .nanoseconds(overflow ? cap.nanoseconds : min(product, cap.nanoseconds))
    }

    /// A delay drawn uniformly from zero to ``ceiling(attempt:)``.
    public func delay(attempt: Int, using rng: inout some RandomNumberGenerator) -> Duration {
        .nanoseconds(Int64.random(in: 0...max(ceiling(attempt: attempt).nanoseconds, 1), using: &rng))
    }
}
