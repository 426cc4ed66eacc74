/// How a candle series is cut: by time, by event count or by volume.
///
/// Written as a count and a unit: `1s`, `5s`, `1m`, `15m`, `1h`, `4h`, `1d`, `1w` (time, aligned to
/// UTC boundaries or to a session), `100t` (every 100 events), `5000v` (every 5 000 in volume) — the
/// letters dxFeed uses in candle symbols.
public struct BarPeriod: Hashable, Sendable, CustomStringConvertible {
    /// The unit of a period.
    public enum Kind: Hashable, Sendable {
        /// A fixed length of time, in milliseconds.
        case time(milliseconds: Int64)
        /// A number of events.
        case ticks(Int64)
        /// An amount of traded volume.
        case volume(Double)
    }

    /// The period's unit and size.
    public let kind: Kind
    /// The text it was written as, e.g. `5m` (used as the bar's `period`).
    public let text: String

    /// The longest time period: 366 days.
    public static let maximumMilliseconds: Int64 = 366 * 86_400_000
    /// The most events in a tick bar.
    public static let maximumTicks: Int64 = 1_000_000_000
    /// The most volume in a volume bar.
    public static let maximumVolume: Double = 1e15
    /// What a period may be, for messages.
    public static let expected = "a period like \"1s\", \"1m\", \"4h\", \"1d\" (time, at most 366d), \"100t\" (ticks, at most 1000000000) or \"5000v\" (volume, at most 1e15)"

    /// Parses `text`; `nil` when it is not a count followed by one of `s m h d w t v`, or when the count
    /// is out of range (time from 1 ms to 366 days, ticks a whole number up to 10⁹, volume up to 10¹⁵).
    /// Every conversion is checked: no text can trap.
    public init?(_ text: String) {
        let digits = text.prefix { $0.isNumber || $0 == "." }
        let unit = text.dropFirst(digits.count)
        guard let count = digits.isEmpty ? 1 : Double(digits), count > 0, count.isFinite else { return nil }
        let unitMilliseconds: Double
        switch unit {
        case "s": unitMilliseconds = 1000
        case "m": unitMilliseconds = 60_000
        case "h": unitMilliseconds = 3_600_000
        case "d": unitMilliseconds = 86_400_000
        case "w": unitMilliseconds = 7 * 86_400_000
        case "t":
            guard count == count.rounded(), count <= Double(Self.maximumTicks), let n = Int64(exactly: count) else { return nil }
            kind = .ticks(n)
            self.text = text
            return
        case "v":
            guard count <= Self.maximumVolume else { return nil }
            kind = .volume(count)
            self.text = text
            return
        default: return nil
        }
        let ms = (count * unitMilliseconds).rounded()
        guard ms >= 1, ms <= Double(Self.maximumMilliseconds), let exact = Int64(exactly: ms) else { return nil }
        kind = .time(milliseconds: exact)
        self.text = text
    }

    /// The length of a time period in milliseconds; `nil` for tick and volume bars.
    public var milliseconds: Int64? {
        if case .time(let ms) = kind { return ms }
        return nil
    }

    /// Whether this period is a day or longer (the ones a session alignment applies to).
    public var isDailyOrLonger: Bool { (milliseconds ?? 0) >= 86_400_000 }

    /// Two periods are the same series when they cut the same way (`60s` and `1m` are one series).
    public static func == (lhs: BarPeriod, rhs: BarPeriod) -> Bool { lhs.kind == rhs.kind }
    public func hash(into hasher: inout Hasher) { hasher.combine(kind) }
    public var description: String { text }
}
