/// Parses and prints durations in the form pipeline files use: `250ms`, `1.5s`, `2m`, `1h`, `1d`.
public enum DurationText {
    /// The units accepted, for messages.
    public static let expected = "a duration like \"500ms\", \"2s\", \"5m\", \"1h\" or \"1d\""

    /// Parses `text`; returns `nil` when it is not a valid, non-negative duration.
    public static func parse(_ text: String) -> Duration? {
        let t = text.trimmingASCIIWhitespace()
        guard let split = t.firstIndex(where: { !($0.isNumber || $0 == ".") }) else { return nil }
        guard let value = Double(t[..<split]), value >= 0, value.isFinite else { return nil }
        let unit = t[split...]
        let nanos: Double
        switch unit {
        case "ns": nanos = 1
        case "us", "µs": nanos = 1e3
        case "ms": nanos = 1e6
        case "s": nanos = 1e9
        case "m": nanos = 60e9
        case "h": nanos = 3600e9
        case "d": nanos = 86400e9
        default: return nil
        }
        guard let total = Int64(checking: (value * nanos).rounded()) else { return nil }
        return .nanoseconds(total)
    }

    /// Text for `duration` a person reads at a glance: exact in the largest unit that divides it
    /// (`250ms`, `2m`), otherwise to three significant digits in the unit that fits (`64.8ms`, `1.23s`:
    /// a jittered backoff, never `64837022ns`).
    public static func format(_ duration: Duration) -> String {
        let ns = duration.nanoseconds
        if ns == 0 { return "0s" }
        for (unit, size) in [("d", Int64(86_400_000_000_000)), ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1000)]
        where ns % size == 0 {
            return "\(ns / size)\(unit)"
        }
        let magnitude = ns.magnitude
        let (unit, size): (String, Double) = magnitude >= 1_000_000_000 ? ("s", 1e9) : magnitude >= 1_000_000 ? ("ms", 1e6) : magnitude >= 1000 ? ("us", 1e3) : ("ns", 1)
        let value = Double(ns) / size
        let decimals = abs(value) >= 100 ? 0 : abs(value) >= 10 ? 1 : 2
        return roundedText(value, decimals: decimals) + unit
    }

    /// `value` with at most `decimals` decimals, trailing zeros dropped.
    static func roundedText(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value * scale).rounded()
        guard let whole = Int64(exactly: scaled) else { return "\(value)" }
        let sign = whole < 0 ? "-" : ""
        let digits = String(whole.magnitude)
        guard decimals > 0 else { return sign + digits }
        let padded = String(repeating: "0", count: max(0, decimals + 1 - digits.count)) + digits
        var fraction = String(padded.suffix(decimals))
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let integer = String(padded.dropLast(decimals))
        return sign + integer + (fraction.isEmpty ? "" : "." + fraction)
    }
}

extension StringProtocol {
    package func trimmingASCIIWhitespace() -> Substring {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s = s.dropLast() }
        return Substring(s)
    }
}

/// A duration field of a stage configuration, written as `"500ms"`, `"2s"` … or a number of seconds.
public struct ConfigDuration: Hashable, Sendable, Decodable, CustomStringConvertible {
    /// The duration.
    public var duration: Duration

    /// Wraps a duration.
    public init(_ duration: Duration) { self.duration = duration }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let seconds = try? container.decode(Double.self) {
            guard let d = Duration.checkedSeconds(seconds) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected \(DurationText.expected), at most 292 years")
            }
            duration = d
            return
        }
        let text = try container.decode(String.self)
        guard let d = DurationText.parse(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected \(DurationText.expected), got \"\(text)\"")
        }
        duration = d
    }

    public var description: String { DurationText.format(duration) }
}
