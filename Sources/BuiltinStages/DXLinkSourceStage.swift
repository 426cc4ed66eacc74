public import DXLink
import DXLinkSimulator
import Logging
import Synchronization
import MarketData
public import SluiceCore
import Tastytrade

/// `dxlink` (source): connects to a DXLink endpoint (or to a simulator it starts on loopback), subscribes,
/// keeps the session alive through reconnects, and emits raw frames and feed-state changes.
public struct DXLinkSourceStage: Stage {
    public typealias Output = DXLinkFrame

    /// Candle subscriptions: every symbol × every period, with history from `from` ago.
    public struct Candles: Decodable, Sendable {
        /// The symbols.
        public var symbols: [String]
        /// The periods, e.g. `1m`, `5m`, `1h`, `1d`.
        public var periods: [String]
        /// How much history to request.
        public var from: ConfigDuration
        /// Include extended trading hours (false adds `tho=true`).
        public var extendedHours: Bool
        /// The FEED contract of the candle channel.
        public var contract: FeedContract


        static let spec = ConfigSpec([
            ConfigField("symbols", .array(.string, minCount: 1), doc: "Symbols to build candle subscriptions for."),
            ConfigField("periods", .array(.custom("candle period", expected: "a period like \"1m\", \"5m\", \"1h\" or \"1d\" (at most 366d)", example: "1m") { v in
                v.stringValue.map { CandleSymbol(base: "X", period: $0).periodDuration != nil } ?? false
            }, minCount: 1), doc: "Candle periods (s, m, h, d, w units)."),
            ConfigField("from", .duration, default: .string("1d"), doc: "History to request, as a duration before now."),
            ConfigField("extended_hours", .boolean, default: .bool(true), doc: "Include extended hours (false: regular hours only, tho=true)."),
            ConfigField("contract", FeedContract.self, default: .history, advanced: true, doc: "FEED contract of the candle channel (history arrives on HISTORY, not always on AUTO)."),
        ])
    }

    /// An option chain subscribed as a live window: the contracts of some roots within a days-to-expiration
    /// range, N strikes each side of the money, re-centred as the underlying moves.
    public struct OptionChains: Decodable, Sendable {
        /// Days to expiration, inclusive.
        public struct DTE: Decodable, Sendable {
            /// The fewest days (0: today's expirations).
            public var min: Int
            /// The most days.
            public var max: Int

            static let spec = ConfigSpec([
                ConfigField("min", .integer(0...3660), default: .number(0), doc: "Fewest calendar days to expiration (0: today's)."),
                ConfigField("max", .integer(0...3660), doc: "Most calendar days to expiration."),
            ])
        }

        /// `SPX`, `AAPL`, `BRK/B`; a futures product with a slash (`/ES`) for its futures options.
        public var underlying: String
        /// Option roots to keep (`SPXW`); all when left out.
        public var roots: [String]?
        /// The expiration window.
        public var dte: DTE
        /// Strikes each side of the at-the-money one.
        public var strikesAroundAtm: Int
        /// `call`, `put`.
        public var types: [String]
        /// Event types per contract.
        public var events: [String]
        /// Re-centre once the at-the-money strike moved this many strikes.
        public var recenterStrikes: Int
        /// How often to fetch the chain again (new strikes, new expirations).
        public var refresh: ConfigDuration

        static let spec = ConfigSpec([
            ConfigField("underlying", .string, doc: "The underlying (`SPX`, `AAPL`, `BRK/B`), or a futures product with its slash (`/ES`) for its futures options."),
            ConfigField("roots", .array(.string, minCount: 1), optional: true, doc: "Option roots to keep, e.g. [\"SPXW\"] for SPX's PM dailies (default: every root)."),
            ConfigField("dte", .object(DTE.spec), doc: "Days to expiration, inclusive: {\"min\": 0, \"max\": 7}."),
            ConfigField("strikes_around_atm", .integer(0...500), default: .number(10), doc: "Strikes each side of the at-the-money one (the strike nearest the underlying's live price)."),
            ConfigField("types", .array(.oneOf(["call", "put"]), minCount: 1), default: .array([.string("call"), .string("put")]), doc: "Calls, puts or both."),
            ConfigField("events", .array(.oneOf(MarketEventType.allCases.map(\.rawValue).filter { $0 != "Candle" }), minCount: 1),
                        default: .array([.string("Quote"), .string("Greeks")]), doc: "Event types per contract."),
            ConfigField("recenter_strikes", .integer(1...500), default: .number(2), doc: "Re-centre the window live (FEED_SUBSCRIPTION add/remove, no reconnect) once the at-the-money strike is this many strikes from its centre."),
            ConfigField("refresh", .duration, default: .string("6h"), advanced: true, doc: "How often to fetch the chain again for new strikes and expirations (expired contracts leave at 16:00 New York, taken as 21:00 UTC)."),
        ])
    }

    /// A futures product subscribed by month, following tastytrade's roll.
    public struct Futures: Decodable, Sendable {
        /// `ES`, `/ES`.
        public var product: String
        /// `active`, `front` or `next`.
        public var month: String
        /// Event types (default: the source's `events`).
        public var events: [String]?
        /// How often to ask tastytrade which contract is the month.
        public var refresh: ConfigDuration

        static let spec = ConfigSpec([
            ConfigField("product", .string, doc: "The product code, e.g. `ES`, `/NQ`, `CL`."),
            ConfigField("month", .oneOf(FutureContract.Month.allCases.map(\.rawValue)), default: .string("active"), doc: "active: tastytrade's active month (it rolls days before expiry); front: the nearest unexpired contract; next: the contract after the active one."),
            ConfigField("events", .array(.oneOf(MarketEventType.allCases.map(\.rawValue).filter { $0 != "Candle" }), minCount: 1), optional: true, doc: "Event types (default: the source's `events`)."),
            ConfigField("refresh", .duration, default: .string("1h"), advanced: true, doc: "How often to look up the contract again: a roll is applied live (subscribe the new contract, unsubscribe the old, a `Universe` record with reason `roll`)."),
        ])
    }

    /// tastytrade credentials from which the source gets its API quote token and DXLink URL.
    public struct TastytradeLogin: Decodable, Sendable {
        /// The API's base URL.
        public var baseURL: String
        /// The OAuth client secret.
        public var clientSecret: String
        /// The OAuth refresh token.
        public var refreshToken: String
        /// Most REST requests per second.
        public var requestsPerSecond: Int
        /// The timeout of each REST request.
        public var timeout: ConfigDuration


        static let spec = ConfigSpec([
            ConfigField("base_url", .string, default: .string(TastytradeConfiguration.production), doc: "API base URL (production, sandbox https://api.cert.tastyworks.com, or local)."),
            ConfigField("client_secret", .string, secret: true, doc: "OAuth client secret (use \"${TASTYTRADE_CLIENT_SECRET}\")."),
            ConfigField("refresh_token", .string, secret: true, doc: "OAuth refresh token (use \"${TASTYTRADE_REFRESH_TOKEN}\")."),
            ConfigField("requests_per_second", .integer(1...1000), default: .number(2), advanced: true, doc: "Most REST requests per second (token, chain and futures lookups), a sliding window."),
            ConfigField("timeout", .duration, default: .string("10s"), advanced: true, doc: "The timeout of each REST request (an SPX chain is a few megabytes)."),
        ])
    }

    /// An in-process simulator to connect to instead of a real endpoint.
    public struct Simulate: Decodable, Sendable {
        /// Seed of the random walks.
        public var seed: Int64
        /// Events per second (`nil`: flood).
        public var rate: Double?
        /// Stop sending after this many events.
        public var maxEvents: Int?
        /// Events per frame.
        public var eventsPerFrame: Int
        /// Symbols the simulator accepts and never serves.
        public var unservedSymbols: [String]


        static let spec = ConfigSpec([
            ConfigField("seed", .integer, default: .number(42), doc: "Seed; the same seed gives the same data."),
            ConfigField("rate", .number(0.001...1e9), optional: true, doc: "Events per second (default: flood, as fast as the client reads)."),
            ConfigField("max_events", .integer(0...Int64.max), optional: true, doc: "Stop sending after this many events."),
            ConfigField("events_per_frame", .integer(1...100_000), default: .number(100), doc: "Most events per FEED_DATA frame."),
            ConfigField("unserved_symbols", .array(.string), default: .array([]), doc: "Symbols the simulator accepts subscriptions for and never serves, as tastytrade does for a wrong streamer symbol (to see `no_data`)."),
        ])
    }

    /// Reconnect backoff.
    public struct Reconnect: Decodable, Sendable {
        /// First delay bound.
        public var initialDelay: ConfigDuration
        /// Largest delay.
        public var maxDelay: ConfigDuration
        /// Give up after this many consecutive failures.
        public var maxAttempts: Int?


        static let spec = ConfigSpec([
            ConfigField("initial_delay", .duration, default: .string("500ms"), doc: "Upper bound of the first delay (full jitter)."),
            ConfigField("max_delay", .duration, default: .string("30s"), doc: "Cap on any delay."),
            ConfigField("max_attempts", .integer(1...1_000_000), optional: true, doc: "Give up after this many consecutive failures (default: never)."),
        ])
    }

    /// When the source ends by itself.
    public enum Until: String, ConfigOption {
        /// Only at shutdown (or after `duration`).
        case shutdown
        /// Once every subscription (symbol × event type) has had an event — a snapshot — or after
        /// `duration`, whichever comes first.
        case complete
    }

    /// The configuration of `dxlink`.
    public struct Configuration: StageConfiguration {
        /// The WebSocket URL.
        public var url: String?
        /// The API quote token (secret).
        public var token: String?
        /// Start a simulator on loopback and connect to it.
        public var simulate: Simulate?
        /// Symbols for `events`.
        public var symbols: [String]
        /// A watchlist file of more symbols for `events`, re-read when it changes and on SIGHUP.
        public var symbolsFile: String?
        /// How often to look at `symbols_file` for a change.
        public var symbolsFilePoll: ConfigDuration
        /// Event types to subscribe for every symbol.
        public var events: [String]
        /// Candle subscriptions.
        public var candles: Candles?
        /// Option chains as live windows.
        public var optionChains: [OptionChains]
        /// Futures products by month.
        public var futures: [Futures]
        /// FEED contract.
        public var contract: FeedContract
        /// Accepted aggregation period, seconds.
        public var aggregationPeriod: Double
        /// COMPACT or FULL.
        public var dataFormat: DataFormat
        /// Field lists per event type.
        public var fields: [String: [String]]
        /// Channel layout.
        public var channels: ChannelLayout
        /// KEEPALIVE interval.
        public var keepalive: ConfigDuration
        /// Server silence limit.
        public var silenceTimeout: ConfigDuration?
        /// How long to wait for the server's Close frame before abandoning the socket.
        public var closeWait: ConfigDuration
        /// Reconnect backoff.
        public var reconnect: Reconnect
        /// Most bytes per FEED_SUBSCRIPTION message.
        public var subscriptionBatchBytes: Int
        /// Stop after this long.
        public var duration: ConfigDuration?
        /// When the source ends by itself.
        public var until: Until
        /// A subscription with no event this long after it was subscribed is reported `no_data` (0: off).
        public var noDataAfter: ConfigDuration
        /// A subscription that delivered, then was quiet this long while the feed was up, is `stale`.
        public var staleAfter: ConfigDuration?
        /// tastytrade credentials (instead of url and token).
        public var tastytrade: TastytradeLogin?


        public static let spec = ConfigSpec([
            ConfigField("url", .string, optional: true, doc: "DXLink WebSocket URL (wss://…; ws:// for loopback). Give url and token, or simulate."),
            ConfigField("token", .string, optional: true, secret: true, doc: "API quote token (from tastytrade's /api-quote-tokens)."),
            ConfigField("simulate", .object(Simulate.spec), optional: true, doc: "Start a DXLink simulator on loopback and connect to it (no account needed)."),
            ConfigField("tastytrade", .object(TastytradeLogin.spec), optional: true, doc: "tastytrade OAuth credentials: the quote token and URL are fetched (and renewed) from /api-quote-tokens."),
            ConfigField("symbols", .array(.string), default: .array([]), doc: "Streamer symbols for `events` (e.g. SPY, /ESZ25:XCME, .SPY251219C500)."),
            ConfigField("symbols_file", .string, optional: true, doc: "A watchlist: one streamer symbol per line (`#` comments, blank lines ignored), subscribed for `events` beside `symbols`. Re-read when it changes and on SIGHUP; the difference is applied live with FEED_SUBSCRIPTION add/remove, no reconnect. A file that cannot be read keeps the last good set."),
            ConfigField("symbols_file_poll", .duration, default: .string("2s"), advanced: true, doc: "How often to look at `symbols_file` for a change (its size, time and inode)."),
            ConfigField("events", .array(.oneOf(MarketEventType.allCases.map(\.rawValue).filter { $0 != "Candle" })), default: .array([.string("Quote"), .string("Trade")]), doc: "Event types to subscribe for every symbol."),
            ConfigField("candles", .object(Candles.spec), optional: true, doc: "Candle subscriptions: symbols × periods, with history."),
            ConfigField("option_chains", .array(.object(OptionChains.spec)), default: .array([]), doc: "Option chains as live windows: roots, a DTE range and N strikes around the money, fetched from tastytrade (needs `tastytrade` or `simulate`), centred on the underlying's live price and re-centred as it moves; every change is a `Universe` record (reasons chain, recenter, expiry)."),
            ConfigField("futures", .array(.object(Futures.spec)), default: .array([]), doc: "Futures by product and month, resolved through tastytrade's /instruments/futures (needs `tastytrade` or `simulate`) and rolled live when the active month moves (reason roll)."),
            ConfigField("contract", FeedContract.self, default: .auto, advanced: true, doc: "FEED contract of the channels of `events` (candles: `candles.contract`)."),
            ConfigField("aggregation_period", .number(0...3600), default: .number(0.1), advanced: true, doc: "Accepted aggregation period in seconds."),
            ConfigField("data_format", DataFormat.self, default: .compact, advanced: true, doc: "Data format to request."),
            ConfigField("fields", .map(.array(.string, minCount: 1)), default: .object(JSONObject()), advanced: true, doc: "Field lists per event type, replacing the full default lists."),
            ConfigField("channels", ChannelLayout.self, default: .perType, advanced: true, doc: "One FEED channel per event type, or one shared channel."),
            ConfigField("keepalive", .duration, default: .string("30s"), doc: "KEEPALIVE interval (at most half the server's timeout)."),
            ConfigField("silence_timeout", .duration, optional: true, doc: "Reconnect when the server sends nothing for this long (default: the server's keepalive timeout, 60 s)."),
            ConfigField("close_wait", .duration, default: .string("1s"), advanced: true, doc: "After deciding to close a connection (silence, timeout, shutdown), wait at most this long for the server's Close before abandoning the socket (at most 30s)."),
            ConfigField("reconnect", .object(Reconnect.spec), default: .object(JSONObject([("initial_delay", .string("500ms")), ("max_delay", .string("30s"))])), doc: "Reconnect backoff (exponential, full jitter)."),
            ConfigField("subscription_batch_bytes", .integer(512...1_000_000), default: .number(8192), advanced: true, doc: "Most bytes in one FEED_SUBSCRIPTION message."),
            ConfigField("duration", .duration, optional: true, doc: "Close the feed after this long (default: run until shutdown)."),
            ConfigField("until", Until.self, default: .shutdown, doc: "complete: end the feed once every subscription (symbol × event type, each candle symbol) has had an event — snapshot, then exit — or after `duration`; shutdown: run until shutdown."),
            ConfigField("no_data_after", .duration, default: .string("30s"), doc: "Report a subscription (symbol × event type) that has had no event this long after it was subscribed: a warning, a `Symbol` record with state `no_data`, /health and /metrics (0s: off). Judged by `dxlink_decode`."),
            ConfigField("stale_after", .duration, optional: true, doc: "Report a subscription that delivered, then was quiet this long while the feed was up, as `stale`, and `fresh` when it ticks again (default: off; quiet options are normal, so set it to what is abnormal for your symbols)."),
        ])

        public func validate() -> [Diagnostic] {
            var problems: [Diagnostic] = []
            let sources = [url != nil, simulate != nil, tastytrade != nil].filter { $0 }.count
            if sources > 1 {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer(tastytrade != nil ? "tastytrade" : "simulate"),
                                           "give one of `url` (with `token`), `tastytrade` or `simulate`"))
            }
            switch (url, simulate) {
            case (nil, nil):
                if tastytrade == nil {
                    problems.append(Diagnostic(.missingField, at: Self.spec.pointer("url"), "give `url` and `token`, `tastytrade` credentials, or `simulate`",
                                               hint: "add \"simulate\": {} to use the built-in simulator"))
                }
            case (.some, .some):
                break
            case (.some(let u), nil):
                if !(u.hasPrefix("wss://") || u.hasPrefix("ws://")) {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("url"), "not a WebSocket URL", expected: "a URL starting with wss:// (or ws:// on loopback)"))
                } else if URLHost.of(u) == nil {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("url"), "the URL \"\(u)\" has no host", expected: "a URL like wss://host/path"))
                }
                if token == nil {
                    problems.append(Diagnostic(.missingField, at: Self.spec.pointer("token"), "a `url` needs a `token`", hint: "use \"${DXLINK_TOKEN}\" to read it from the environment"))
                }
            case (nil, .some):
                break
            }
            if let staleAfter, staleAfter.duration <= .zero {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("stale_after"), "stale_after is \(DurationText.format(staleAfter.duration))", expected: "a duration above zero (leave it out to turn staleness off)"))
            }
            if noDataAfter.duration < .zero {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("no_data_after"), "no_data_after is negative", expected: "a duration, or 0s to turn it off"))
            }
            if closeWait.duration > .seconds(30) {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("close_wait"), "close_wait is \(DurationText.format(closeWait.duration))", expected: "at most 30s"))
            }
            if symbols.isEmpty && candles == nil && symbolsFile == nil && optionChains.isEmpty && futures.isEmpty {
                problems.append(Diagnostic(.missingField, at: Self.spec.pointer("symbols"), "nothing to subscribe to", expected: "`symbols`, `symbols_file`, `candles`, `option_chains` or `futures`"))
            }
            if (!optionChains.isEmpty || !futures.isEmpty) && tastytrade == nil && simulate == nil {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer(optionChains.isEmpty ? "futures" : "option_chains"),
                                           "option chains and futures are looked up through tastytrade's REST API, and a `url` with a `token` has none",
                                           expected: "`tastytrade` credentials, or `simulate`"))
            }
            for (i, chain) in optionChains.enumerated() {
                if chain.dte.min > chain.dte.max {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("option_chains", i, "dte"), "dte.min \(chain.dte.min) is above dte.max \(chain.dte.max)", expected: "min ≤ max"))
                }
                if chain.underlying.trimmingCharacters(in: .whitespaces).isEmpty {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("option_chains", i, "underlying"), "empty underlying", expected: "a symbol like \"SPX\" or a product like \"/ES\""))
                }
                if chain.refresh.duration < .seconds(1) {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("option_chains", i, "refresh"), "refresh is \(DurationText.format(chain.refresh.duration))", expected: "at least 1s"))
                }
            }
            for (i, future) in futures.enumerated() {
                if TastytradeClient.productCode(future.product).isEmpty || future.product.contains(" ") {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("futures", i, "product"), "\"\(future.product)\" is not a product code", expected: "a product code like \"ES\""))
                }
                if future.refresh.duration < .seconds(1) {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("futures", i, "refresh"), "refresh is \(DurationText.format(future.refresh.duration))", expected: "at least 1s"))
                }
            }
            if let path = symbolsFile {
                do {
                    _ = try SymbolsFile.read(path)
                } catch {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("symbols_file"), error.description, expected: "a readable file of streamer symbols, one per line"))
                }
            }
            if symbolsFilePoll.duration < .milliseconds(100) {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("symbols_file_poll"), "symbols_file_poll is \(DurationText.format(symbolsFilePoll.duration))", expected: "at least 100ms"))
            }
            for (i, symbol) in symbols.enumerated() where symbol.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("symbols", i), "empty symbol", expected: "a streamer symbol like \"SPY\""))
            }
            for (i, symbol) in (candles?.symbols ?? []).enumerated() where symbol.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("candles", "symbols", i), "empty symbol", expected: "a streamer symbol like \"SPY\""))
            }
            if (!symbols.isEmpty || symbolsFile != nil) && events.isEmpty {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("events"), "`events` is empty, so `symbols` subscribe to nothing", expected: "at least one event type, e.g. [\"Quote\", \"Trade\"]"))
            }
            if let login = tastytrade {
                if !(login.baseURL.hasPrefix("https://") || login.baseURL.hasPrefix("http://")) || URLHost.of(login.baseURL) == nil {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("tastytrade", "base_url"), "\"\(login.baseURL)\" is not an HTTP URL with a host", expected: "a URL like https://api.tastyworks.com"))
                }
                if login.clientSecret.isEmpty {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("tastytrade", "client_secret"), "the client secret is empty", expected: "the OAuth client secret"))
                }
                if login.refreshToken.isEmpty {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("tastytrade", "refresh_token"), "the refresh token is empty", expected: "the OAuth refresh token"))
                }
            }
            let known = MarketEventType.allCases.map(\.rawValue)
            for type in fields.keys.sorted() where !known.contains(type) {
                problems.append(Diagnostic(.unknownField, at: Self.spec.pointer("fields", type), "unknown event type \"\(type)\"",
                                           expected: "one of " + known.joined(separator: ", "), hint: didYouMean(type, in: known)))
            }
            return problems
        }

        /// The protocol configuration these options describe, with candle history from `now - from`, or
        /// from the newest candle already stored when that is later.
        func clientConfiguration(now: Timestamp, stored: NewestStoredCandles.Value = [:]) -> DXLinkClientConfiguration {
            var subs: [FeedSubscription] = []
            for symbol in symbols {
                for type in events { subs.append(FeedSubscription(type: type, symbol: symbol)) }
            }
            if let candles {
                let from = now.advanced(by: .zero - candles.from.duration).millisecondsSinceEpoch
                for symbol in candles.symbols {
                    for period in candles.periods {
                        let attributes = candles.extendedHours ? [] : ["tho=true"]
                        let newest = NewestStoredCandles.newest(in: stored, symbol: symbol, period: period)?.millisecondsSinceEpoch
                        subs.append(FeedSubscription(type: "Candle", symbol: CandleSymbol(base: symbol, period: period, attributes: attributes).description,
                                                     fromTime: max(from, newest ?? from)))
                    }
                }
            }
            var c = DXLinkClientConfiguration(subscriptions: subs)
            c.channelLayout = channels
            c.contract = contract
            c.historyContract = candles?.contract ?? .history
            c.closeWait = closeWait.duration
            c.aggregationPeriod = aggregationPeriod
            c.dataFormat = dataFormat
            c.eventFields = fields
            c.keepaliveInterval = keepalive.duration
            c.silenceTimeout = silenceTimeout?.duration
            c.subscriptionBatchBytes = subscriptionBatchBytes
            return c
        }

        /// What `dxlink_decode` watches: every subscription in `subscriptions`, with this source's limits.
        func watchPlan(_ subscriptions: [FeedSubscription]) -> SymbolWatch.Plan {
            SymbolWatch.Plan(
                subscriptions: subscriptions.compactMap { sub in
                    MarketEventType(rawValue: sub.type).map { SymbolWatch.Subscription(symbol: sub.symbol, type: $0) }
                },
                noDataAfter: noDataAfter.duration > .zero ? noDataAfter.duration : nil,
                staleAfter: staleAfter?.duration)
        }
    }

    public static let kind = "dxlink"
    /// The most symbols one subscription request (`POST /sources/{id}/subscriptions`) may name.
    static let maximumSymbolsPerRequest = 100_000
    public static let summary = "DXLink source: subscribes to quotes, trades, Greeks, candles … and emits raw frames and feed state."

    let configuration: Configuration
    let context: StageContext

    public init(configuration: Configuration, context: StageContext) {
        self.configuration = configuration
        self.context = context
    }

    public func run(input: Inbound<Never>, output: Outbound<DXLinkFrame>) async throws {
        let c = configuration
        if let simulate = c.simulate {
            var sim = SimulatorConfiguration()
            sim.seed = UInt64(bitPattern: simulate.seed)
            sim.rate = simulate.rate
            sim.maxEvents = simulate.maxEvents
            sim.eventsPerFrame = simulate.eventsPerFrame
            sim.token = "simulated-token"
            for symbol in simulate.unservedSymbols { sim.faults.symbolEventLimits[symbol] = 0 }
            try await DXLinkSimulator.withRunning(sim) { simulator in
                context.logger.info("started the DXLink simulator", metadata: ["url": "\(simulator.url)"])
                // Chains and futures come from the simulator's REST side, as they would from tastytrade.
                let client = c.optionChains.isEmpty && c.futures.isEmpty ? nil : TastytradeClient(
                    configuration: TastytradeConfiguration(baseURL: simulator.restURL, credentials: TastytradeCredentials(clientSecret: "simulated", refreshToken: "simulated")),
                    clock: context.clock, logger: context.logger)
                try await stream(StaticTokenProvider(DXLinkEndpoint(url: simulator.url, token: "simulated-token")), client: client, output: output)
            }
        } else if let login = c.tastytrade {
            var configuration = TastytradeConfiguration(baseURL: login.baseURL, credentials: TastytradeCredentials(clientSecret: login.clientSecret, refreshToken: login.refreshToken))
            configuration.rateLimit = login.requestsPerSecond
            configuration.timeout = login.timeout.duration
            let client = TastytradeClient(configuration: configuration, clock: context.clock, logger: context.logger)
            try await stream(TastytradeTokenProvider(client: client), client: client, output: output)
        } else {
            try await stream(DXLinkEndpoint(url: c.url ?? "", token: c.token ?? ""), output: output)
        }
    }

    private func stream(_ endpoint: DXLinkEndpoint, output: Outbound<DXLinkFrame>) async throws {
        try await stream(StaticTokenProvider(endpoint), client: nil, output: output)
    }

    private func stream(_ tokens: any DXLinkTokenProvider, client rest: TastytradeClient?, output: Outbound<DXLinkFrame>) async throws {
        let c = configuration
        let stored = context.shared[NewestStoredCandles.self] ?? [:]
        if !stored.isEmpty, c.candles != nil {
            context.logger.info("candle history resumes from the newest stored candles", metadata: ["series": "\(stored.count)"])
        }
        var client = c.clientConfiguration(now: context.clock.now, stored: stored)
        var start = SourceUniverse(configured: client.subscriptions, events: c.events)
        if let path = c.symbolsFile {
            do {
                _ = start.setFileSymbols(try SymbolsFile.read(path), at: context.clock.now)
            } catch {
                throw StageError(.readFailed, "symbols_file: \(error.description)")
            }
            client.subscriptions = start.subscriptions
        }
        if !c.symbols.isEmpty || c.symbolsFile != nil {
            client.channelTypes = c.events  // so that symbols can be added to an empty file, or through the API
        }
        // Chains and futures are subscribed once resolved: their channels open from the start.
        for chain in c.optionChains { client.channelTypes += ["Quote", "Trade"] + chain.events }
        for future in c.futures { client.channelTypes += future.events ?? c.events }
        client.channelTypes = client.channelTypes.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        let universe = SharedUniverse(start)
        let session = DXLinkSession(
            configuration: client,
            tokens: tokens,
            reconnect: ReconnectPolicy(initialDelay: c.reconnect.initialDelay.duration, maxDelay: c.reconnect.maxDelay.duration, maxAttempts: c.reconnect.maxAttempts),
            logger: context.logger, clock: context.clock, metricsLabel: context.stageID)
        let stop = ShutdownSignal()
        let context = self.context
        if !c.symbols.isEmpty || c.symbolsFile != nil {
            context.acceptSubscriptionChanges(SubscriptionControl { request in
                guard request.add.count + request.remove.count <= Self.maximumSymbolsPerRequest else {
                    throw SubscriptionChangeError(.badRequest, "\(request.add.count + request.remove.count) symbols in one request; at most \(Self.maximumSymbolsPerRequest)")
                }
                for symbol in request.add + request.remove {
                    if let problem = SymbolsFile.problem(with: symbol) { throw SubscriptionChangeError(.badRequest, problem) }
                }
                let now = context.clock.now
                let (result, plan) = universe.withLock { u in (u.apply(request, at: now), c.watchPlan(u.subscriptions)) }
                if !result.change.changes.isEmpty {
                    context.logger.info("subscriptions changed through the operator endpoint", metadata: [
                        "added": "\(result.reply.added.count)", "removed": "\(result.reply.removed.count)",
                    ])
                    try await output.send(DXLinkFrame(receiveTime: now, epoch: 0, content: .universe(result.change.changes), watch: plan))
                    session.changeSubscriptions(add: result.change.add, remove: result.change.remove)
                }
                return result.reply
            })
        }
        let prices = UnderlyingPrices()
        let apply: ChainFollower.Apply = { name, subscriptions, reason in
            let now = context.clock.now
            let (change, plan) = universe.withLock { u in (u.setDerived(name, subscriptions, reason: reason, at: now), c.watchPlan(u.subscriptions)) }
            guard !change.changes.isEmpty else { return }
            try await output.send(DXLinkFrame(receiveTime: now, epoch: 0, content: .universe(change.changes), watch: plan))
            session.changeSubscriptions(add: change.add, remove: change.remove)
        }
        // The first universe, before anything is subscribed: every subscription, and why.
        let now = context.clock.now
        try await output.send(DXLinkFrame(receiveTime: now, epoch: 0, content: .universe(start.initialChanges(at: now)), watch: c.watchPlan(start.subscriptions)))
        // The session, and beside it the tasks that change what it subscribes to: the run ends when the
        // session does, and at once — failing the stage — when any of them fails (an unknown underlying).
        enum Member: Sendable { case session, helper }
        try await withThrowingTaskGroup(of: Member.self) { group in
            group.addTask {
                if let duration = c.duration {
                    _ = try await context.sleep(until: context.clock.now.advanced(by: duration.duration))
                } else {
                    await context.shutdown.wait()
                }
                stop.trigger()
                return .helper
            }
            if let rest {
                for chain in c.optionChains {
                    let window = ChainWindow(
                        roots: chain.roots.map(Set.init), minDTE: Int64(chain.dte.min), maxDTE: Int64(chain.dte.max), strikesAroundATM: chain.strikesAroundAtm,
                        kinds: chain.types.compactMap { $0 == "call" ? .call : $0 == "put" ? .put : nil }, events: chain.events, recenterStrikes: chain.recenterStrikes)
                    let follower = ChainFollower(underlying: chain.underlying, window: window, refresh: chain.refresh.duration, client: rest, prices: prices, context: context, apply: apply)
                    group.addTask { try await follower.run(); return .helper }
                }
                for future in c.futures {
                    let follower = FuturesFollower(product: future.product, month: FutureContract.Month(rawValue: future.month) ?? .active, events: future.events ?? c.events,
                                                   refresh: future.refresh.duration, client: rest, context: context, apply: apply)
                    group.addTask { try await follower.run(); return .helper }
                }
            }
            if let path = c.symbolsFile {
                let reload = ReloadRequests()
                group.addTask {
                    await reload.listenForHangups {
                        context.logger.info("following the symbols file (SIGHUP re-reads it)", metadata: ["path": "\(path)"])
                    }
                    return .helper
                }
                group.addTask {
                    try await Self.followSymbolsFile(path, every: c.symbolsFilePoll.duration, reload: reload, context: context) { symbols in
                        let now = context.clock.now
                        let (change, plan) = universe.withLock { u in (u.setFileSymbols(symbols, at: now), c.watchPlan(u.subscriptions)) }
                        guard !change.changes.isEmpty else { return }
                        context.logger.info("symbols file changed", metadata: [
                            "path": "\(path)", "added": "\(change.changes.count { $0.change == .added })", "removed": "\(change.changes.count { $0.change == .removed })",
                        ])
                        try await output.send(DXLinkFrame(receiveTime: now, epoch: 0, content: .universe(change.changes), watch: plan))
                        session.changeSubscriptions(add: change.add, remove: change.remove)
                    }
                    return .helper
                }
            }
            let startPairs = c.watchPlan(start.subscriptions).subscriptions
            group.addTask {
                do {
                    let feed = DXLinkFeedReporter(context: context)
                    let completion = c.until == .complete ? SnapshotCollector(SnapshotBook(pairs: startPairs)) : nil
                    try await session.run(shutdown: stop) { frame in
                        feed.observe(frame)
                        prices.observe(frame)
                        if let completion, completion.add(frame) {
                            context.logger.info("every subscription has had an event (until: complete); closing the feed", metadata: ["subscriptions": "\(completion.pairs)"])
                            stop.trigger()
                        }
                        if case .status(let status) = frame.content, status.state == .subscribed {
                            var subscribed = frame
                            subscribed.watch = universe.withLock { c.watchPlan($0.subscriptions) }
                            try await output.send(subscribed)
                        } else {
                            try await output.send(frame)
                        }
                    }
                } catch let error as DXLinkError {
                    throw StageError(StageError.Code(error.code.rawValue), error.message, underlying: error)
                }
                return .session
            }
            while let finished = try await group.next(), finished != .session {}
            group.cancelAll()
        }
        let s = session.statistics
        context.logger.info("DXLink feed closed", metadata: [
            "connects": "\(s.connects)", "frames": "\(s.dataFrames)", "messages_in": "\(s.messagesIn)",
            "unknown": "\(s.unknownMessages)", "malformed": "\(s.malformedMessages)", "server_errors": "\(s.serverErrors)",
        ])
        context.counters.skipped.add(s.malformedMessages + s.unknownMessages + s.strayFrames)
    }

    /// Reads the symbols file whenever it changes (checked every `interval`) or a reload is requested,
    /// and hands each new list to `apply`; a file that cannot be read is logged and the last good list
    /// kept. Returns when cancelled.
    static func followSymbolsFile(_ path: String, every interval: Duration, reload: ReloadRequests, context: StageContext,
                                  apply: ([String]) async throws -> Void) async throws {
        var version = SymbolsFile.version(of: path)
        var failing = false
        while !Task.isCancelled {
            let requested = reload.next()
            let hangup = try await context.clock.sleep(until: context.clock.now.advanced(by: interval), unless: requested) == false
            if Task.isCancelled { return }
            let now = SymbolsFile.version(of: path)
            guard hangup || now != version else { continue }
            version = now
            do {
                try await apply(try SymbolsFile.read(path))
                if failing { context.logger.info("symbols file readable again", metadata: ["path": "\(path)"]) }
                failing = false
            } catch let problem as SymbolsFile.Problem {
                context.logger.warning("symbols file not applied; keeping the last good symbols", metadata: ["problem": "\(problem.description)"])
                failing = true
            }
        }
    }
}
