public import SluiceCore

/// An equity or index option's identity — root, expiration, call or put, strike — read from and written
/// as the two symbologies tastytrade uses: OCC (`SPXW  261218C05700000`: root padded to 6, `yymmdd`,
/// `C`/`P`, strike × 1000 in 8 digits) and dxFeed's streamer symbol (`.SPXW261218C5700`: the strike
/// written plainly). The root is the option's own (`SPXW`, `BRKB`), not the underlying's.
public struct OptionSymbol: Sendable, Hashable, CustomStringConvertible {
    /// Call or put.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case call = "C"
        case put = "P"
    }

    /// The option root, e.g. `SPXW`.
    public var root: String
    /// The expiration date.
    public var expiration: CalendarDate
    /// Call or put.
    public var kind: Kind
    /// The strike price, in thousandths (5700 → 5_700_000), so it round-trips both symbologies exactly.
    public var strikeThousandths: Int64

    /// Creates a symbol; `nil` for an empty or over-long root, or a strike outside OCC's 8 digits.
    public init?(root: String, expiration: CalendarDate, kind: Kind, strikeThousandths: Int64) {
        guard (1...6).contains(root.utf8.count), root.utf8.allSatisfy(Self.isRootByte), (1...99_999_999).contains(strikeThousandths) else { return nil }
        self.root = root
        self.expiration = expiration
        self.kind = kind
        self.strikeThousandths = strikeThousandths
    }

    /// The strike price.
    public var strike: Double { Double(strikeThousandths) / 1000 }

    /// Parses an OCC symbol (`AAPL  230616C00185000`); `nil` when it is not one.
    public init?(occ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 21, let kind = Kind(rawValue: String(UnicodeScalar(bytes[12]))) else { return nil }
        guard case let root = String(decoding: bytes[0..<6], as: UTF8.self).trimmingTrailingSpaces(), !root.isEmpty,
              let date = Self.date(bytes[6..<12]), let strike = Self.integer(bytes[13..<21]) else { return nil }
        self.init(root: root, expiration: date, kind: kind, strikeThousandths: strike)
    }

    /// Parses a streamer symbol (`.SPXW261218C5700`, `.F250620C2.02`); `nil` when it is not one.
    public init?(streamer text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 10, bytes.count <= 32, bytes[0] == UInt8(ascii: ".") else { return nil }
        // The root is letters (and digits after the first); the date is the first 6 digits that follow a
        // letter and are followed by C or P.
        var i = 1
        while i < bytes.count, Self.isRootByte(bytes[i]), !(i > 1 && Self.isDigit(bytes[i]) && i + 7 <= bytes.count && Self.dateAt(bytes, i)) { i += 1 }
        guard i > 1, i + 7 <= bytes.count, Self.dateAt(bytes, i), let date = Self.date(bytes[i..<(i + 6)]),
              let kind = Kind(rawValue: String(UnicodeScalar(bytes[i + 6]))),
              let strike = Self.decimalThousandths(bytes[(i + 7)...]) else { return nil }
        self.init(root: String(decoding: bytes[1..<i], as: UTF8.self), expiration: date, kind: kind, strikeThousandths: strike)
    }

    /// `SPXW  261218C05700000`.
    public var occ: String {
        let strike = String(strikeThousandths)
        return root + String(repeating: " ", count: 6 - root.utf8.count) + expiration.yymmdd + kind.rawValue
            + String(repeating: "0", count: 8 - strike.count) + strike
    }

    /// `.SPXW261218C5700` (`187.5`, `2.02`: no trailing zeros).
    public var streamerSymbol: String {
        let whole = strikeThousandths / 1000, fraction = strikeThousandths % 1000
        var strike = String(whole)
        if fraction != 0 {
            var f = String(fraction)
            f = String(repeating: "0", count: 3 - f.count) + f
            while f.hasSuffix("0") { f.removeLast() }
            strike += "." + f
        }
        return "." + root + expiration.yymmdd + kind.rawValue + strike
    }

    public var description: String { streamerSymbol }

    private static func isDigit(_ b: UInt8) -> Bool { (48...57).contains(b) }
    private static func isRootByte(_ b: UInt8) -> Bool { isDigit(b) || (65...90).contains(b) }

    private static func dateAt(_ bytes: [UInt8], _ i: Int) -> Bool {
        bytes[i..<(i + 6)].allSatisfy(isDigit) && (bytes[i + 6] == UInt8(ascii: "C") || bytes[i + 6] == UInt8(ascii: "P"))
    }

    private static func date(_ digits: ArraySlice<UInt8>) -> CalendarDate? {
        guard digits.count == 6, let v = integer(digits) else { return nil }
        return CalendarDate(year: 2000 + Int(v / 10_000), month: Int(v / 100 % 100), day: Int(v % 100))
    }

    private static func integer(_ digits: ArraySlice<UInt8>) -> Int64? {
        guard !digits.isEmpty, digits.count <= 12 else { return nil }
        var v: Int64 = 0
        for b in digits {
            guard isDigit(b) else { return nil }
            v = v * 10 + Int64(b - 48)
        }
        return v
    }

    /// `5700` → 5_700_000, `2.02` → 2_020; at most three decimals.
    private static func decimalThousandths(_ text: ArraySlice<UInt8>) -> Int64? {
        let parts = text.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = integer(parts[0]), whole <= 99_999 else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            guard (1...3).contains(parts[1].count), let f = integer(parts[1]) else { return nil }
            fraction = f * [1, 100, 10, 1][parts[1].count]
        }
        return whole * 1000 + fraction
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
