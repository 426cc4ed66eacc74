extension Timestamp {
    /// Parses ISO-8601 date-times as APIs write them: `2025-06-03T14:00:00Z`, with an optional fraction
    /// (`.123`, up to nanoseconds) and `Z` or an offset (`+02:00`, `-0500`); a bare date (`2025-06-03`)
    /// is midnight UTC. `nil` for anything else.
    public init?(iso8601 text: String) {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= b.count else { return nil }
            var v: Int64 = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        guard b.count >= 10, b[4] == 45, b[7] == 45, let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10),
              (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var h: Int64 = 0, mi: Int64 = 0, s: Int64 = 0, nanos: Int64 = 0, offset: Int64 = 0
        if b.count > 10 {
            guard b.count >= 19, b[10] == 84 || b[10] == 32, b[13] == 58, b[16] == 58,
                  let hh = number(11..<13), let mm = number(14..<16), let ss = number(17..<19) else { return nil }
            (h, mi, s) = (hh, mm, ss)
            var i = 19
            if i < b.count, b[i] == 46 {
                i += 1
                var digits = 0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if digits < 9 { nanos = nanos * 10 + Int64(b[i] - 48) }
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { return nil }
                if digits < 9 { for _ in digits..<9 { nanos *= 10 } }
            }
            if i < b.count {
                if b[i] == 90, i + 1 == b.count {
                    i += 1
                } else if b[i] == 43 || b[i] == 45 {
                    let sign: Int64 = b[i] == 43 ? 1 : -1
                    guard let oh = number(i + 1..<i + 3) else { return nil }
                    var om: Int64 = 0
                    if i + 3 < b.count {
                        let start = b[i + 3] == 58 ? i + 4 : i + 3
                        guard let m = number(start..<start + 2), start + 2 == b.count else { return nil }
                        om = m
                    } else {
                        guard i + 3 == b.count else { return nil }
                    }
                    offset = sign * (oh * 3600 + om * 60)
                } else {
                    return nil
                }
            }
        }
        // Days from civil (Howard Hinnant's algorithm).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = ((days * 24 + h) * 60 + mi) * 60 + s - offset
        self.init(nanosecondsSinceEpoch: seconds * 1_000_000_000 + nanos)
    }
}
