/// A dxFeed candle symbol, `BASE{=[n]unit[,attr=value…]}`, e.g. `SPY{=5m,tho=true}`.
public struct CandleSymbol: Sendable, Hashable, CustomStringConvertible {
    /// The underlying symbol, e.g. `SPY`.
    public var base: String
    /// The period text as written, e.g. `5m`.
    public var period: String
    /// Other attributes, in order (`tho=true`, `a=s`, …).
    public var attributes: [String]

    /// Parses a candle symbol; `nil` when the text has no `{=…}` period.
    public init?(_ text: String) {
        guard text.hasSuffix("}"), let open = text.firstIndex(of: "{") else { return nil }
        base = String(text[..<open])
        let inner = text[text.index(after: open)..<text.index(before: text.endIndex)]
        var parts = inner.split(separator: ",").map(String.init)
        guard let first = parts.first, first.hasPrefix("=") else { return nil }
        period = String(first.dropFirst())
        parts.removeFirst()
        attributes = parts
        guard !base.isEmpty, !period.isEmpty else { return nil }
    }

    /// Builds a candle symbol from its parts.
    public init(base: String, period: String, attributes: [String] = []) {
        self.base = base
        self.period = period
        self.attributes = attributes
    }

    /// The period's length for time-based units (`s`, `m`, `h`, `d`, `w`); `nil` for ticks, volume, price,
    /// months, option expirations and years, whose lengths vary.
    public var periodDuration: Duration? {
        var digits = ""
        var unit = ""
        for c in period {
            if unit.isEmpty, c.isNumber || c == "." { digits.append(c) } else { unit.append(c) }
        }
        guard let n = digits.isEmpty ? 1 : Double(digits), n > 0, n.isFinite else { return nil }
        let seconds: Double
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        case "d": seconds = 86_400
        case "w": seconds = 7 * 86_400
        default: return nil
        }
        // At most 366 days: longer is no candle period, and the conversion below stays in range.
        let ms = (n * seconds * 1000).rounded()
        guard ms >= 1, ms <= Self.maximumPeriodMilliseconds, let exact = Int64(exactly: ms) else { return nil }
        return .milliseconds(exact)
    }

    /// The longest time period with a duration: 366 days, in milliseconds.
    public static let maximumPeriodMilliseconds: Double = 366 * 86_400_000

    public var description: String {
        "\(base){=\(([period] + attributes).joined(separator: ","))}"
    }
}
