public import DXLink
public import DXLinkSimulator
public import Logging
public import MarketData
public import SluiceCore
import Tastytrade

/// Snapshot, then exit: one connection, every symbol × event type subscribed, and back as soon as each
/// pair has an event or the timeout passes — what `sluice snapshot` and its benchmark run.
public enum DXLinkSnapshot {
    /// Where the feed comes from.
    public enum Feed: Sendable {
        /// A DXLink endpoint and its token.
        case endpoint(DXLinkEndpoint)
        /// tastytrade OAuth credentials: the quote token and URL are fetched.
        case tastytrade(baseURL: String, clientSecret: String, refreshToken: String)
        /// The built-in simulator, started on loopback for the snapshot.
        case simulate(SimulatorConfiguration)
    }

    /// What a snapshot got.
    public struct Result: Sendable {
        /// The latest event of every pair that had one.
        public var book: SnapshotBook
        /// From the start to complete (or to the timeout).
        public var elapsed: Duration
        /// Whether the feed was ever subscribed.
        public var subscribed: Bool
        /// The feed's last state change (why it never got there, when it did not).
        public var lastStatus: FeedStatus?
    }

    /// Takes the snapshot. Throws when the feed fails for good (a refused token, reconnects exhausted);
    /// an incomplete book is not an error.
    public static func take(symbols: [String], types: [MarketEventType], from feed: Feed, timeout: Duration,
                            logger: Logger, clock: any StageClock = SystemClock()) async throws -> Result {
        switch feed {
        case .endpoint(let endpoint):
            return try await take(symbols: symbols, types: types, tokens: StaticTokenProvider(endpoint), timeout: timeout, logger: logger, clock: clock)
        case .tastytrade(let baseURL, let secret, let refresh):
            let client = TastytradeClient(
                configuration: TastytradeConfiguration(baseURL: baseURL, credentials: TastytradeCredentials(clientSecret: secret, refreshToken: refresh)),
                clock: clock, logger: logger)
            return try await take(symbols: symbols, types: types, tokens: TastytradeTokenProvider(client: client), timeout: timeout, logger: logger, clock: clock)
        case .simulate(var configuration):
            configuration.token = configuration.token ?? "snapshot"
            let token = configuration.token!
            return try await DXLinkSimulator.withRunning(configuration, clock: clock) { simulator in
                try await take(symbols: symbols, types: types, tokens: StaticTokenProvider(DXLinkEndpoint(url: simulator.url, token: token)),
                               timeout: timeout, logger: logger, clock: clock)
            }
        }
    }

    private static func take(symbols: [String], types: [MarketEventType], tokens: any DXLinkTokenProvider, timeout: Duration,
                             logger: Logger, clock: any StageClock) async throws -> Result {
        let start = clock.now
        let collector = SnapshotCollector(SnapshotBook(symbols: symbols, types: types))
        let subscriptions = collector.book.symbols.flatMap { s in types.map { FeedSubscription(type: $0.rawValue, symbol: s) } }
        let session = DXLinkSession(configuration: DXLinkClientConfiguration(subscriptions: subscriptions), tokens: tokens,
                                    logger: logger, clock: clock, metricsLabel: "snapshot")
        let done = ShutdownSignal()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = try await clock.sleep(until: start.advanced(by: timeout), unless: done)
                done.trigger()
            }
            defer { group.cancelAll() }
            try await session.run(shutdown: done) { frame in
                if collector.add(frame) { done.trigger() }
            }
        }
        let feed = collector.feed
        return Result(book: collector.book, elapsed: start.duration(to: clock.now), subscribed: feed.subscribed, lastStatus: feed.status)
    }
}
