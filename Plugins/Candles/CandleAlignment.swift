public import Foundation

/// Where time candles begin: UTC period boundaries, and for daily and longer periods optionally a trading
/// session's start in its time zone (e.g. 18:00 America/New_York for CME futures).
///
/// Weeks begin on Monday. With a session, a day runs from the session start to the next one in local
/// time, so days around a daylight-saving change are 23 or 25 hours long.
public struct CandleAlignment: Sendable {
    /// The session's time zone; `nil` aligns everything to UTC.
    public let timeZone: TimeZone?
    /// The session's start as an offset from local midnight, in milliseconds.
    public let sessionStart: Int64

    /// Every period on UTC boundaries.
    public static let utc = CandleAlignment(timeZone: nil, sessionStart: 0)

    /// Aligns daily and longer periods to `sessionStart` (milliseconds after local midnight) in `timeZone`.
    public init(timeZone: TimeZone?, sessionStart: Int64) {
        self.timeZone = timeZone
        self.sessionStart = sessionStart
    }

    private static let day: Int64 = 86_400_000
    private static let mondayOffset: Int64 = 4 * day  // 1970-01-01 was a Thursday

    /// The interval `[start, end)` in epoch milliseconds of the `period`-long candle containing `time`.
    public func interval(containing time: Int64, periodMilliseconds period: Int64) -> (start: Int64, end: Int64) {
        let weekly = period % (7 * Self.day) == 0
        let shift = weekly ? Self.mondayOffset : 0
        guard period >= Self.day, let timeZone else {
            let start = floorDiv(time - shift, period) * period + shift
            return (start, start + period)
        }
        let days = period / Self.day
        let local = time + offset(timeZone, at: time) - sessionStart
        let dayIndex = floorDiv(local - shift, Self.day)
        let firstDay = floorDiv(dayIndex, days) * days
        let start = utcInstant(ofLocal: firstDay * Self.day + shift + sessionStart, in: timeZone)
        let end = utcInstant(ofLocal: (firstDay + days) * Self.day + shift + sessionStart, in: timeZone)
        return (start, end)
    }

    private func offset(_ zone: TimeZone, at millis: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(millis) / 1000))) * 1000
    }

    /// The UTC instant whose local time in `zone` is `local` (the later one at an ambiguous hour).
    private func utcInstant(ofLocal local: Int64, in zone: TimeZone) -> Int64 {
        let guess = local - offset(zone, at: local)
        return local - offset(zone, at: guess)
    }

    private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
