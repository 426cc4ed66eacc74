import MarketData
import SluiceCore
import Testing

/// Option symbology: OCC and streamer symbols name the same contract, and dates are exact calendar days.
@Suite("Option symbols and calendar dates")
struct OptionSymbolTests {
    @Test("OCC and streamer symbols convert both ways, with the option's own root and the strike written plainly", arguments: [
        ("SPXW  261218C05700000", ".SPXW261218C5700"),
        ("AAPL  230616C00185000", ".AAPL230616C185"),
        ("F     250620C00002020", ".F250620C2.02"),
        ("IRBT  260116P00022500", ".IRBT260116P22.5"),
        ("BRKB  261218P00500000", ".BRKB261218P500"),
        ("BAC1  261218C00030000", ".BAC1261218C30"),
    ])
    func roundTrip(occ: String, streamer: String) throws {
        let fromOCC = try #require(OptionSymbol(occ: occ))
        let fromStreamer = try #require(OptionSymbol(streamer: streamer))
        #expect(fromOCC == fromStreamer)
        #expect(fromOCC.streamerSymbol == streamer)
        #expect(fromStreamer.occ == occ)
    }

    @Test("what is not an option symbol is nil, never a crash", arguments: [
        "", ".", "SPY", "/ESZ26:XCME", ".SPXW261318C5700", ".SPXW261218X5700", ".SPXW261218C", ".261218C5700",
        "SPXW  261218C0570000", "SPXW  261218C0570000X", ".SPXW261218C5700.1234", ".SPXW261218C-5", "spxw  261218c05700000",
    ])
    func rejected(text: String) {
        #expect(OptionSymbol(occ: text) == nil && OptionSymbol(streamer: text) == nil)
    }

    @Test("random contracts round-trip through both symbologies; random text never crashes either parser", arguments: 0..<4)
    func property(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for _ in 0..<500 {
            let root = String((0..<(1 + Int(rng.next() % 5))).map { _ in letters[Int(rng.next() % 26)] })
            let date = CalendarDate(daysSinceEpoch: 10_957 + Int64(rng.next() % 36_000))  // 2000…2098
            let strike = Int64(1 + rng.next() % 99_999) * [1, 10, 100, 500, 1000][Int(rng.next() % 5)]
            guard strike <= 99_999_999, let option = OptionSymbol(root: root, expiration: date, kind: rng.next() % 2 == 0 ? .call : .put, strikeThousandths: strike) else { continue }
            #expect(OptionSymbol(occ: option.occ) == option, "\(option.occ)")
            #expect(OptionSymbol(streamer: option.streamerSymbol) == option, "\(option.streamerSymbol)")
        }
        let alphabet = Array(".ABCPZ0123456789 :/-".utf8)
        for _ in 0..<2000 {
            let text = String(decoding: (0..<Int(rng.next() % 30)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }, as: UTF8.self)
            if let o = OptionSymbol(streamer: text) { #expect(o.strikeThousandths > 0) }
            if let o = OptionSymbol(occ: text) { #expect(o.occ == text) }
        }
    }

    @Test("calendar dates: parts, weekdays, the third Friday, day arithmetic and parsing")
    func dates() throws {
        let d = try #require(CalendarDate(iso8601: "2026-12-18"))
        #expect(d.description == "2026-12-18" && d.yymmdd == "261218")
        #expect(d.weekday == 5, "a Friday")
        #expect(CalendarDate.nth(3, weekday: 5, year: 2026, month: 12) == d)
        #expect(CalendarDate.nth(5, weekday: 5, year: 2026, month: 2) == nil, "February 2026 has four Fridays")
        #expect(CalendarDate(year: 2024, month: 2, day: 29) != nil && CalendarDate(year: 2026, month: 2, day: 29) == nil)
        #expect(CalendarDate(iso8601: "2026-13-01") == nil && CalendarDate(iso8601: "26-12-18") == nil)
        #expect(CalendarDate(iso8601: "2026-12-18 00:00:00") == d, "a date with a time suffix")
        #expect(CalendarDate(Timestamp(millisecondsSinceEpoch: 0)).description == "1970-01-01")
        #expect(CalendarDate(Timestamp(millisecondsSinceEpoch: -1)).description == "1969-12-31")
        #expect(d.days(to: try #require(CalendarDate(iso8601: "2027-01-01"))) == 14)
        for day in stride(from: Int64(-800_000), to: 800_000, by: 997) {
            let date = CalendarDate(daysSinceEpoch: day)
            let (y, m, dd) = date.parts
            guard (1...9999).contains(y) else { continue }
            #expect(CalendarDate(year: y, month: m, day: dd) == date)
        }
    }
}
