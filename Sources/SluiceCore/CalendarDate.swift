/// A day of the proleptic Gregorian calendar, as in an option's expiration date or a future's last trade
/// date: `2026-12-18`. A value counted in days since 1970-01-01, so differences and weekdays are exact.
public struct CalendarDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01 (negative before).
    public var daysSinceEpoch: Int64

    /// Creates a date from days since 1970-01-01.
    public init(daysSinceEpoch: Int64) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// Creates a date from its parts, or `nil` when they name no day (month 13, February 30, year 0).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), (1...Self.days(inMonth: month, year: year)).contains(day) else { return nil }
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = y / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        daysSinceEpoch = era * 146_097 + doe - 719_468
    }

    /// Parses `YYYY-MM-DD`, or `YYYY-MM-DD` followed by a time (some future options send one).
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8.prefix(10))
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ r: Range<Int>) -> Int? {
            var v = 0
            for b in bytes[r] {
                guard (48...57).contains(b) else { return nil }
                v = v * 10 + Int(b - 48)
            }
            return v
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The UTC day of `time`.
    public init(_ time: Timestamp) {
        let ms = time.millisecondsSinceEpoch
        let (q, r) = ms.quotientAndRemainder(dividingBy: 86_400_000)
        daysSinceEpoch = r < 0 ? q - 1 : q
    }

    /// Year, month (1–12) and day (1–31).
    public var parts: (year: Int, month: Int, day: Int) {
        let (y, m, d) = Timestamp.civilDate(fromDays: daysSinceEpoch)
        return (Int(y), Int(m), Int(d))
    }

    /// 0 for Sunday … 6 for Saturday.
    public var weekday: Int {
        Int(((daysSinceEpoch % 7) + 7 + 4) % 7)  // 1970-01-01 was a Thursday
    }

    /// Monday to Friday.
    public var isWeekday: Bool { (1...5).contains(weekday) }

    /// The date `days` later (earlier when negative).
    public func adding(days: Int64) -> CalendarDate { CalendarDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// Calendar days from this date to `other`.
    public func days(to other: CalendarDate) -> Int64 { other.daysSinceEpoch - daysSinceEpoch }

    /// Midnight UTC of this day.
    public var start: Timestamp { Timestamp(millisecondsSinceEpoch: daysSinceEpoch * 86_400_000) }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (y, m, d) = parts
        return Self.padded(y, 4) + "-" + Self.padded(m, 2) + "-" + Self.padded(d, 2)
    }

    /// `YYMMDD`, as in OCC and streamer option symbols.
    public var yymmdd: String {
        let (y, m, d) = parts
        return Self.padded(y % 100, 2) + Self.padded(m, 2) + Self.padded(d, 2)
    }

    /// The `n`th (1-based) `weekday` (0 Sunday … 6 Saturday) of a month: the third Friday is `(3, 5)`.
    public static func nth(_ n: Int, weekday: Int, year: Int, month: Int) -> CalendarDate? {
        guard let first = CalendarDate(year: year, month: month, day: 1) else { return nil }
        let offset = Int64((weekday - first.weekday + 7) % 7 + 7 * (n - 1))
        let date = first.adding(days: offset)
        return date.parts.month == month ? date : nil
    }

    /// Days in `month` of `year`.
    public static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    private static func padded(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
