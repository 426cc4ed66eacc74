import DXLink
import MarketData
import SluiceCore
import Testing

@Suite("FeedDecoder: COMPACT and FULL frames to typed events")
struct FeedDecoderTests {
    let quoteLayout = FeedLayout(id: 1, channel: 7, dataFormat: .compact,
                                 eventFields: ["Quote": ["eventSymbol", "bidPrice", "askPrice", "bidSize", "askSize"],
                                               "Trade": ["eventType", "eventSymbol", "price", "size", "dayVolume"]])

    func decode(_ text: String, _ layout: FeedLayout) -> ([MarketEvent], FeedDecoder.Statistics) {
        var d = FeedDecoder()
        var events: [MarketEvent] = []
        d.decode(text, layout: layout, into: &events)
        return (events, d.statistics)
    }

    @Test("COMPACT: several events per group and several groups per frame, NaN strings and exponent numbers")
    func compactMultiGroup() {
        let text = #"{"type":"FEED_DATA","channel":7,"data":["Quote",["AAPL",229.51,229.53,300.0,100.0,"MSFT",415.02,415.1,200.0,"NaN"],"Trade",["Trade","AAPL",229.52,25.0,3.1004E7]]}"#
        let (events, stats) = decode(text, quoteLayout)
        #expect(stats.events == 3 && stats.malformedFrames == 0)
        guard events.count == 3, case .quote(let a) = events[0], case .quote(let m) = events[1], case .trade(let t) = events[2] else {
            Issue.record("unexpected events \(events)"); return
        }
        #expect(a.eventSymbol == "AAPL" && a.bidPrice == 229.51 && a.askPrice == 229.53 && a.bidSize == 300 && a.askSize == 100)
        #expect(m.eventSymbol == "MSFT" && m.askSize.isNaN)
        #expect(t.eventSymbol == "AAPL" && t.price == 229.52 && t.size == 25 && t.dayVolume == 31_004_000)
    }

    @Test("Infinity, -Infinity, null, empty strings, escapes and the \\u0000 exchange code")
    func specialValues() {
        let layout = FeedLayout(id: 2, channel: 1, dataFormat: .compact,
                                eventFields: ["Profile": ["eventSymbol", "description", "statusReason", "high52WeekPrice", "low52WeekPrice", "beta"],
                                              "Quote": ["eventSymbol", "bidExchangeCode", "bidPrice"]])
        let text = #"{"type":"FEED_DATA","channel":1,"data":["Profile",["SPX","S&P \"500\" \u00e9","",  "Infinity","-Infinity",null],"Quote",["SPX","\u0000",null]]}"#
        let (events, stats) = decode(text, layout)
        #expect(stats.events == 2)
        guard case .profile(let p) = events.first, case .quote(let q) = events.last else { Issue.record("\(events)"); return }
        #expect(p.description == "S&P \"500\" é")
        #expect(p.statusReason == "")
        #expect(p.high52WeekPrice == .infinity && p.low52WeekPrice == -.infinity && p.beta.isNaN)
        #expect(q.bidExchangeCode == "\u{0}" && q.bidPrice.isNaN)
    }

    @Test("indexes above 2^53 decode exactly as Int64; flags and times are read")
    func int64Index() {
        let layout = FeedLayout(id: 3, channel: 3, dataFormat: .compact, eventFields: ["Greeks": ["eventSymbol", "eventFlags", "index", "time", "delta"]])
        let text = #"{"type":"FEED_DATA","channel":3,"data":["Greeks",[".AAPL251219C230",4,7235129486797176832,1684559855338,0.5123]]}"#
        let (events, _) = decode(text, layout)
        guard case .greeks(let g) = events.first else { Issue.record("\(events)"); return }
        #expect(g.index == 7_235_129_486_797_176_832)
        #expect(g.flags == .snapshotBegin)
        #expect(g.time.millisecondsSinceEpoch == 1_684_559_855_338 && g.delta == 0.5123)
    }

    @Test("FULL: objects keyed by field, omitted fields empty, eventType anywhere, VWAP and vwap both accepted")
    func full() {
        let layout = FeedLayout(id: 4, channel: 5, dataFormat: .full, eventFields: [:])
        let text = #"{"type":"FEED_DATA","channel":5,"data":[{"eventType":"Quote","eventSymbol":"AAPL","bidPrice":229.51,"askPrice":229.53},{"eventSymbol":".AAPL251219C230","volatility":0.2841,"eventType":"Greeks"},{"eventType":"Candle","eventSymbol":"SPY{=5m}","VWAP":501.5,"close":502}]}"#
        let (events, stats) = decode(text, layout)
        #expect(stats.events == 3)
        guard events.count == 3, case .quote(let q) = events[0], case .greeks(let g) = events[1], case .candle(let c) = events[2] else {
            Issue.record("\(events)"); return
        }
        #expect(q.bidPrice == 229.51 && q.bidSize.isNaN)
        #expect(g.volatility == 0.2841)
        #expect(c.vwap == 501.5 && c.close == 502)
    }

    @Test("a value count that does not divide by the field count drops the whole frame and counts it")
    func misaligned() {
        let (events, stats) = decode(#"{"type":"FEED_DATA","channel":7,"data":["Quote",["AAPL",1,2,3,4,"MSFT",5]]}"#, quoteLayout)
        #expect(events.isEmpty)
        #expect(stats.malformedFrames == 1)
    }

    @Test("a dropped frame is one skipped unit: events of it already counted as malformed are not counted again")
    func misalignedCountsOnce() {
        var decoder = FeedDecoder()
        var events: [MarketEvent] = []
        for _ in 0..<23 {
            decoder.decode(#"{"type":"FEED_DATA","channel":7,"data":["Quote",["AAPL",true,2,3,4,"MSFT",5]]}"#, layout: quoteLayout, into: &events)
        }
        #expect(events.isEmpty)
        #expect(decoder.statistics.malformedFrames == 23)
        #expect(decoder.statistics.malformedEvents == 0)
    }

    @Test("truncated and non-JSON frames are counted, never fatal; the next good frame decodes")
    func truncated() {
        var d = FeedDecoder()
        var events: [MarketEvent] = []
        d.decode(#"{"type":"FEED_DATA","channel":7,"data":["Quote",["AAPL",1.0,"#, layout: quoteLayout, into: &events)
        d.decode("not json at all", layout: quoteLayout, into: &events)
        d.decode(#"{"type":"FEED_DATA","channel":7,"data":["Quote",["AAPL",1,2,3,4]]}"#, layout: quoteLayout, into: &events)
        #expect(d.statistics.malformedFrames == 2)
        #expect(events.count == 1)
    }

    @Test("an event with a wrong-kind value or no symbol is dropped alone and counted")
    func badEvent() {
        let (events, stats) = decode(#"{"type":"FEED_DATA","channel":7,"data":["Quote",["AAPL",true,2,3,4,null,1,2,3,4,"MSFT",1,2,3,4]]}"#, quoteLayout)
        #expect(events.count == 1)
        #expect(stats.malformedEvents == 2)
    }

    @Test("types Sluice does not model, or the layout does not describe, are skipped and counted")
    func unknownType() {
        let (events, stats) = decode(#"{"type":"FEED_DATA","channel":7,"data":["Order",["X",1],"Quote",["AAPL",1,2,3,4]]}"#, quoteLayout)
        #expect(events.count == 1)
        #expect(stats.unknownEventTypes == 1)
    }

    @Test("what FeedDataEncoder writes, FeedDecoder reads back field for field, for every event type", arguments: [DataFormat.compact, .full])
    func roundTrip(format: DataFormat) {
        var encoder = FeedDataEncoder()
        for type in MarketEventType.allCases {
            var slots = EventSlots(count: type.fields.count)
            for (i, f) in type.fields.enumerated() {
                switch f.kind {
                case .double: slots.doubles[i] = Double(i) + 0.25
                case .int, .time: slots.ints[i] = Int64(i) * 1_000_003
                case .string: slots.strings[i] = i == 0 ? "SYM\(i)" : "s\(i)"
                case .optionalString: slots.strings[i] = i % 2 == 0 ? nil : "o\(i)"
                case .bool: slots.bools[i] = i % 2 == 1
                }
            }
            let event = type.make(slots)
            let payload = event.payload as! any MarketEventPayload
            let fields = type.fields.map(\.wireName)
            let text = encoder.message(channel: 1, format: format, groups: [(fields, [payload])])
            let layout = FeedLayout(id: 1, channel: 1, dataFormat: format, eventFields: [type.rawValue: fields])
            let (decoded, stats) = decode(text, layout)
            #expect(stats.events == 1, "\(type): \(text)")
            #expect(decoded.first == event, "\(type) did not round-trip")
        }
    }
}
