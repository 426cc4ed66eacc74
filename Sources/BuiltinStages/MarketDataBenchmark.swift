import DXLink
import Logging
import MarketData
public import SluiceCore
import SluiceRuntime

/// The market-data benchmarks behind `sluice bench`: decoding alone, and the whole path over loopback.
public enum MarketDataBenchmark {
    /// Decodes `events` Quotes from 100-event COMPACT frames on the calling task (one core); events/s.
    /// With `watching`, every decoded event is also noted by a ``SymbolWatch`` with staleness on (what
    /// `dxlink_decode` does at worst).
    public static func decode(events: Int, watching: Bool = false) -> Double {
        var encoder = FeedDataEncoder()
        let fields = MarketEventType.quote.fields.map(\.wireName)
        let layout = FeedLayout(id: 1, channel: 7, dataFormat: .compact, eventFields: ["Quote": fields])
        // 16 distinct frames of 100 quotes over 100 symbols, with realistic prices, sizes and NaNs.
        var frames: [String] = []
        var rng = SystemRandomNumberGenerator()
        for f in 0..<16 {
            var quotes: [any MarketEventPayload] = []
            for i in 0..<100 {
                var q = Quote(eventSymbol: "SYM\(i)")
                let p = Double(Int.random(in: 1000...50000, using: &rng)) / 100
                q.sequence = Int64(f * 100 + i)
                q.bidTime = Timestamp(millisecondsSinceEpoch: 1_763_000_000_000 + Int64(f * 100 + i))
                q.askTime = q.bidTime
                q.bidExchangeCode = "Q"
                q.askExchangeCode = "Z"
                q.bidPrice = p
                q.askPrice = ((p + 0.01) * 100).rounded() / 100
                q.bidSize = i % 10 == 0 ? .nan : Double(Int.random(in: 1...900, using: &rng))
                q.askSize = Double(Int.random(in: 1...900, using: &rng))
                quotes.append(q)
            }
            frames.append(encoder.message(channel: 7, format: .compact, groups: [(fields, quotes)]))
        }
        var decoder = FeedDecoder()
        var out: [MarketEvent] = []
        out.reserveCapacity(100)
        var watch = SymbolWatch()
        if watching {
            let subscriptions = (0..<100).map { SymbolWatch.Subscription(symbol: "SYM\($0)", type: .quote) }
            watch.subscribed(SymbolWatch.Plan(subscriptions: subscriptions, noDataAfter: .seconds(30), staleAfter: .seconds(60)), at: .now)
        }
        let now = Timestamp.now
        let clock = ContinuousClock()
        var decoded = 0
        let elapsed = clock.measure {
            var i = 0
            while decoded < events {
                out.removeAll(keepingCapacity: true)
                decoded += decoder.decode(frames[i & 15], layout: layout, into: &out)
                if watching {
                    for e in out { if let type = e.type, let symbol = e.symbol { watch.observe(symbol: symbol, type: type, at: now) } }
                }
                i += 1
            }
        }
        return Double(decoded) / max(1e-9, elapsed.seconds)
    }

    /// The resident memory a ``SymbolWatch`` of `symbols` option symbols × Quote, Trade and Greeks adds,
    /// in bytes per subscription (from `/proc/self/statm`; `nil` where it cannot be read).
    public static func watchMemory(symbols: Int) -> Double? {
        func resident() -> Int? {
            guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
                  let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
            return pages * 4096
        }
        // The symbols themselves belong to the source's configuration either way: make them first.
        let names = (0..<symbols).map { ".SPXW261218\($0 % 2 == 0 ? "C" : "P")\(1000 + $0 / 2)" }
        let subscriptions = names.flatMap { n in [MarketEventType.quote, .trade, .greeks].map { SymbolWatch.Subscription(symbol: n, type: $0) } }
        guard let before = resident() else { return nil }
        var watch = SymbolWatch()
        watch.subscribed(SymbolWatch.Plan(subscriptions: subscriptions, noDataAfter: .seconds(30), staleAfter: nil), at: .now)
        for n in names { watch.observe(symbol: n, type: .quote, at: .now) }
        guard let after = resident() else { return nil }
        return withExtendedLifetime(watch) { Double(after - before) / Double(subscriptions.count) }
    }

    /// Runs simulator → WebSocket over loopback → `dxlink` → `dxlink_decode` → `null` until `events`
    /// events are decoded; events/s. With `url`, the client connects to a simulator already running
    /// there (e.g. `sluice simulate --flood` in another process); without, it starts one in this process.
    public static func endToEnd(events: Int, registry: StageRegistry, url: String? = nil) async throws -> Double {
        let symbols = (0..<100).map { "\"SYM\($0)\"" }.joined(separator: ",")
        let source = url.map { #""url": "\#($0)", "token": "bench""# }
            ?? #""simulate": {"max_events": \#(events), "events_per_frame": 100}"#
        let text = """
        {"name": "bench-e2e", "stages": [
          {"id": "feed", "kind": "dxlink", "config": {\(source),
             "symbols": [\(symbols)], "events": ["Quote"]}},
          {"id": "decode", "kind": "dxlink_decode", "from": "feed", "config": {"feed_status": false}},
          {"id": "sink", "kind": "null", "from": "decode"}
        ]}
        """
        let plan = try PipelinePlanner(registry: registry, environment: [:]).plan(text: text, file: "bench:e2e")
        var logger = Logger(label: "sluice.bench")
        logger.logLevel = .warning
        let pipeline = Pipeline(plan: plan, logger: logger)
        let start = ContinuousClock.now
        let elapsed: Duration = try await withThrowingTaskGroup(of: Duration?.self) { group in
            group.addTask { _ = try await pipeline.run(); return nil }
            group.addTask {
                while pipeline.report().stages.first(where: { $0.id == "sink" })?.eventsIn ?? 0 < events {
                    try await Task.sleep(for: .milliseconds(2))
                }
                let d = start.duration(to: .now)
                pipeline.requestShutdown()
                return d
            }
            var result: Duration = .zero
            for try await r in group { if let r { result = r } }
            return result
        }
        return Double(events) / max(1e-9, elapsed.seconds)
    }
}
