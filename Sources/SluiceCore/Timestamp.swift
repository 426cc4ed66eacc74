#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in wall-clock time with nanosecond resolution, counted from the Unix epoch (UTC).
///
/// Market data is stamped in wall time (dxFeed sends milliseconds since the epoch), so Sluice uses one
/// small value type for event times, receive times and clocks alike.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanosecondsSinceEpoch: Int64

    /// Creates a timestamp from nanoseconds since the Unix epoch.
    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// Creates a timestamp from milliseconds since the Unix epoch.
    public init(millisecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = millisecondsSinceEpoch &* 1_000_000
    }

    /// Milliseconds since the Unix epoch, rounded towards negative infinity.
    public var millisecondsSinceEpoch: Int64 {
        let (q, r) = nanosecondsSinceEpoch.quotientAndRemainder(dividingBy: 1_000_000)
        return r < 0 ? q - 1 : q
    }

    /// The current wall-clock time.
    public static var now: Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(nanosecondsSinceEpoch: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }

    /// The timestamp `duration` later than this one, saturating at the first and last representable
    /// instants (years 1677 and 2262) instead of wrapping around.
    public func advanced(by duration: Duration) -> Timestamp {
        let (sum, overflow) = nanosecondsSinceEpoch.addingReportingOverflow(duration.nanoseconds)
        if overflow { return Timestamp(nanosecondsSinceEpoch: duration < .zero ? .min : .max) }
        return Timestamp(nanosecondsSinceEpoch: sum)
    }

    /// The duration from this timestamp to `other` (negative when `other` is earlier), exact for any
    /// two timestamps.
    public func duration(to other: Timestamp) -> Duration {
        let (difference, overflow) = other.nanosecondsSinceEpoch.subtractingReportingOverflow(nanosecondsSinceEpoch)
        if !overflow { return .nanoseconds(difference) }
        return .nanoseconds(other.nanosecondsSinceEpoch) - .nanoseconds(nanosecondsSinceEpoch)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    /// ISO-8601 in UTC with millisecond precision, e.g. `2025-06-03T14:00:00.123Z`.
    public var description: String { iso8601 }

    /// ISO-8601 in UTC with millisecond precision, e.g. `2025-06-03T14:00:00.123Z`.
    public var iso8601: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        writeISO8601(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``iso8601`` to `bytes` without building a string (for sinks on hot paths).
    public func writeISO8601(into bytes: inout [UInt8]) {
        let ms = millisecondsSinceEpoch
        var (days, msOfDay) = ms.quotientAndRemainder(dividingBy: 86_400_000)
        if msOfDay < 0 { msOfDay += 86_400_000; days -= 1 }
        let (y, m, d) = Timestamp.civilDate(fromDays: days)
        let h = msOfDay / 3_600_000, mi = (msOfDay / 60_000) % 60, s = (msOfDay / 1000) % 60, f = msOfDay % 1000
        if y < 0 || y > 9999 {
            bytes.append(contentsOf: String(y).utf8)
        } else {
            digits(y, 4, &bytes)
        }
        bytes.append(UInt8(ascii: "-")); digits(m, 2, &bytes)
        bytes.append(UInt8(ascii: "-")); digits(d, 2, &bytes)
        bytes.append(UInt8(ascii: "T")); digits(h, 2, &bytes)
        bytes.append(UInt8(ascii: ":")); digits(mi, 2, &bytes)
        bytes.append(UInt8(ascii: ":")); digits(s, 2, &bytes)
        bytes.append(UInt8(ascii: ".")); digits(f, 3, &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// The UTC date, `YYYY-MM-DD`.
    public var utcDate: String { String(iso8601.prefix(10)) }

    /// Converts days since the epoch to a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func civilDate(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// Appends `value` (non-negative, below 10^width) as exactly `width` decimal digits.
@inline(__always)
private func digits(_ value: Int64, _ width: Int, _ bytes: inout [UInt8]) {
    var divisor: Int64 = 1
    for _ in 1..<width { divisor *= 10 }
    var v = value
    while divisor > 0 {
        bytes.append(UInt8(truncatingIfNeeded: 48 + v / divisor))
        v %= divisor
        divisor /= 10
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    public var nanoseconds: Int64 {
        let (s, a) = components
        let (product, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return s < 0 ? .min : .max }
        return product &+ a / 1_000_000_000
    }

    /// The duration in whole milliseconds (truncated toward zero).
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }

    /// The duration in seconds as a floating-point number.
    public var seconds: Double {
        let (s, a) = components
        return Double(s) + Double(a) / 1e18
    }
}
