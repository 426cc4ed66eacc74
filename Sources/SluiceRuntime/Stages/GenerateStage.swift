public import SluiceCore

/// `generate` (source): synthetic ticks at a rate or as fast as possible, for a count, a duration or until
/// shutdown. Deterministic for a given seed — for demos, tests and benchmarks.
public struct GenerateStage: Stage {
    public typealias Output = Tick

    /// The configuration of `generate`.
    public struct Configuration: StageConfiguration {
        /// Stop after this many events (`nil`: no limit).
        public var count: Int64?
        /// Stop after this long (`nil`: no limit).
        public var duration: ConfigDuration?
        /// Events per second (`nil`: as fast as possible).
        public var rate: Double?
        /// The symbols, used in turn.
        public var symbols: [String]
        /// The random seed.
        public var seed: Int64
        /// The first price of every symbol.
        public var startPrice: Double
        /// The most events per batch.
        public var batchSize: Int

        public static let spec = ConfigSpec([
            ConfigField("count", .integer(0...Int64.max), optional: true, doc: "Stop after this many events (default: no limit)."),
            ConfigField("duration", .duration, optional: true, doc: "Stop after this long (default: no limit)."),
            ConfigField("rate", .number(0.001...1e9), optional: true, doc: "Events per second (default: as fast as possible)."),
            ConfigField("symbols", .array(.string, minCount: 1), default: .array(["AAPL", "MSFT", "SPY"].map(JSONValue.string)), doc: "Symbols, used in turn."),
            ConfigField("seed", .integer, default: .number(42), doc: "Random seed; the same seed gives the same stream."),
            ConfigField("start_price", .number(0.01...1e9), default: .number(100), doc: "First price of every symbol."),
            ConfigField("batch_size", .integer(1...65536), default: .number(256), advanced: true, doc: "Most events per batch."),
        ])
    }

    public static let kind = "generate"
    public static let summary = "Synthetic ticks (seeded random walk) at a rate or flat out, for a count or a duration."

    let configuration: Configuration
    let context: StageContext

    public init(configuration: Configuration, context: StageContext) {
        self.configuration = configuration
        self.context = context
    }

    public func run(input: Inbound<Never>, output: Outbound<Tick>) async throws {
        let c = configuration
        var rng = SplitMix64(seed: UInt64(bitPattern: c.seed))
        var prices = [Double](repeating: c.startPrice, count: c.symbols.count)
        let clock = context.clock
        let start = clock.now
        let deadline = c.duration.map { start.advanced(by: $0.duration) }
        // At a fixed rate a duration is a count: the events scheduled before the deadline.
        var limit = c.count
        if let rate = c.rate, let d = c.duration {
            let scheduled = Int64(clamping: (d.duration.seconds * rate).rounded(.up))
            limit = min(limit ?? .max, scheduled)
        }
        var emitted: Int64 = 0
        var batch: [Tick] = []
        defer {
            context.logger.info("generate finished", metadata: ["emitted": "\(emitted)"])
        }
        while !context.shutdown.isRequested {
            var n = Int64(c.batchSize)
            if let limit {
                if emitted >= limit { break }
                n = min(n, limit - emitted)
            }
            let now = clock.now
            if c.rate == nil, let deadline, now >= deadline { break }
            var time = now
            if let rate = c.rate {
                // Events due by now on the schedule start + i / rate; wait for at least one, at most 10 ms.
                let elapsed = start.duration(to: now).seconds
                let due = Int64(clamping: (elapsed * rate).rounded(.down)) &+ 1 &- emitted
                if due <= 0 {
                    let nextDue = start.advanced(by: Duration.clampedSeconds(Double(emitted) / rate))
                    let full = start.advanced(by: Duration.clampedSeconds(Double(emitted + n - 1) / rate))
                    let wake = max(nextDue, min(full, now.advanced(by: .milliseconds(10))))
                    guard try await context.sleep(until: wake) else { break }
                    continue
                }
                n = min(n, due)
            }
            batch.removeAll(keepingCapacity: true)
            batch.reserveCapacity(Int(n))
            for i in 0..<n {
                let seq = emitted + i
                let s = Int(seq % Int64(c.symbols.count))
                let step = (rng.unit() - 0.5) * 0.002 * prices[s]
                let price = max(0.01, ((prices[s] + step) * 100).rounded() / 100)
                prices[s] = price
                if let rate = c.rate {
                    time = start.advanced(by: Duration.clampedSeconds(Double(seq) / rate))
                }
                batch.append(Tick(symbol: c.symbols[s], sequence: seq, time: time, price: price,
                                  size: Int64(1 + rng.next() % 500), bid: ((price - 0.01) * 100).rounded() / 100,
                                  ask: ((price + 0.01) * 100).rounded() / 100))
            }
            try await output.send(batch)
            emitted += n
        }
    }
}
