/// Conversions of numbers that came from outside (a file, a frame, a header, the environment) that
/// cannot trap: Swift's `Int64(_: Double)` stops the process on NaN, infinity or a value out of range.
extension Int64 {
    /// `value` rounded toward zero, or `nil` when it is not finite or does not fit.
    @inlinable
    public init?(checking value: Double) {
        guard value.isFinite, value > -9.223_372_036_854_775e18, value < 9.223_372_036_854_775e18 else { return nil }
        self.init(value)
    }

    /// `value` rounded toward zero and clamped to `Int64.min...Int64.max`; NaN is 0.
    @inlinable
    public init(clamping value: Double) {
        if value.isNaN { self = 0 } else if let v = Int64(checking: value) { self = v } else { self = value < 0 ? .min : .max }
    }
}

extension Duration {
    /// `seconds` as a duration, or `nil` when it is negative, not finite, or longer than `Int64.max`
    /// nanoseconds (about 292 years).
    @inlinable
    public static func checkedSeconds(_ seconds: Double) -> Duration? {
        guard seconds >= 0, let ns = Int64(checking: (seconds * 1e9).rounded()) else { return nil }
        return .nanoseconds(ns)
    }

    /// `seconds` as a duration, clamped to 0…`Int64.max` nanoseconds (NaN is zero).
    @inlinable
    public static func clampedSeconds(_ seconds: Double) -> Duration {
        guard seconds > 0 else { return .zero }
        return .nanoseconds(Int64(clamping: (seconds * 1e9).rounded()))
    }
}
