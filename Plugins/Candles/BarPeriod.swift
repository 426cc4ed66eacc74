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

    /// Parses `text`; `nil` when it is not a count followed by one of `s m h d w t v`.
    public init?(_ text: String) {
        let digits = text.prefix { $0.isNumber || $0 == "." }
        let unit = text.dropFirst(digits.count)
        let count = digits.isEmpty ? 1 : (Double(digits) ?? 0)
        guard count > 0, count.isFinite else { return nil }
        let second: Int64 = 1000
        switch unit {
        case "s": kind = .time(milliseconds: Int64((count * Double(second)).rounded()))
        case "m": kind = .time(milliseconds: Int64((count * Double(60 * second)).rounded()))
        case "h": kind = .time(milliseconds: Int64((count * Double(3600 * second)).rounded()))
        case "d": kind = .time(milliseconds: Int64((count * Double(86_400 * second)).rounded()))
        case "w": kind = .time(milliseconds: Int64((count * Double(7 * 86_400 * second)).rounded()))
        case "t":
            guard count == count.rounded() else { return nil }
            kind = .ticks(Int64(count))
        case "v": kind = .volume(count)
        default: return nil
        }
        if case .time(let ms) = kind, ms <= 0 { return nil }
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
