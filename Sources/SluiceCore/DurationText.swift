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

    /// The shortest exact text for `duration`, e.g. `1.5s` or `250ms`.
    public static func format(_ duration: Duration) -> String {
        let ns = duration.nanoseconds
        for (unit, size) in [("d", Int64(86_400_000_000_000)), ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1000)]
        where ns != 0 && ns % size == 0 {
            return "\(ns / size)\(unit)"
        }
        if ns != 0 && ns % 1_000_000 == 0 { return "\(Double(ns) / 1e9)s" }
        return "\(ns)ns"
    }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> Substring {
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
