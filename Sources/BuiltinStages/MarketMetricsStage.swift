import Logging
import Metrics
public import SluiceCore
import Tastytrade

/// `market_metrics` (enrich): appends tastytrade's market metrics (IV index, IV rank, IV percentile,
/// HV30/60/90, liquidity, beta, earnings …) to every record with a symbol.
///
/// Symbols are fetched in batches and cached with a TTL. A batch waits at most `max_wait` for metrics
/// being fetched; after that, and whenever metrics cannot be had (errors, an open circuit breaker, rate
/// limits), records pass through marked `stale` (older metrics) or `missing`. Enrichment never stalls
/// the stream longer than `max_wait` and never ends it. Records are counted by status in
/// `sluice_market_metrics_records_total{stage, status}`.
public struct MarketMetricsStage<Element: Record>: RecordGenericStage {
    public typealias Input = Element
    public typealias Output = EnrichedRecord

    /// Retry settings.
    public struct Retry: Decodable, Sendable {
        /// Attempts per request.
        public var maxAttempts: Int
        /// Upper bound of the first retry delay.
        public var initialBackoff: ConfigDuration
        /// Cap on any retry delay.
        public var maxBackoff: ConfigDuration


        static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("max_attempts", .integer(1...20), default: .number(3), doc: "Attempts per request (connection errors, timeouts, 429, 5xx)."),
                ConfigField("initial_backoff", .duration, default: .string("250ms"), doc: "Upper bound of the first retry delay (full jitter; Retry-After honoured)."),
                ConfigField("max_backoff", .duration, default: .string("10s"), doc: "Cap on any retry delay."),
            ])
        }
    }

    /// Circuit breaker settings.
    public struct Breaker: Decodable, Sendable {
        /// Consecutive failures that open the breaker.
        public var failures: Int
        /// How long the breaker stays open.
        public var openFor: ConfigDuration


        static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("failures", .integer(1...1000), default: .number(5), doc: "Consecutive failures that open the breaker."),
                ConfigField("open_for", .duration, default: .string("30s"), doc: "How long it stays open before one probe request."),
            ])
        }
    }

    /// The configuration of `market_metrics`.
    public struct Configuration: StageConfiguration {
        /// The API base URL.
        public var baseURL: String
        /// The OAuth client secret.
        public var clientSecret: String
        /// The OAuth refresh token.
        public var refreshToken: String
        /// The field holding the symbol.
        public var symbolField: String
        /// Most symbols per request.
        public var symbolsPerRequest: Int
        /// How long metrics are fresh.
        public var ttl: ConfigDuration
        /// How long older metrics are still attached as stale.
        public var maxAge: ConfigDuration
        /// Longest a batch waits for metrics.
        public var maxWait: ConfigDuration
        /// The request rate limit.
        public var requestsPerSecond: Int
        /// Per-request timeout.
        public var timeout: ConfigDuration
        /// Retry settings.
        public var retry: Retry
        /// Circuit breaker settings.
        public var breaker: Breaker


        public static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("base_url", .string, default: .string(TastytradeConfiguration.production), doc: "API base URL: production, https://api.cert.tastyworks.com (sandbox) or a local URL."),
                ConfigField("client_secret", .string, secret: true, doc: "OAuth client secret (use \"${TASTYTRADE_CLIENT_SECRET}\")."),
                ConfigField("refresh_token", .string, secret: true, doc: "OAuth refresh token (use \"${TASTYTRADE_REFRESH_TOKEN}\")."),
                ConfigField("symbol_field", .string, default: .string("symbol"), doc: "The field holding the symbol to look up."),
                ConfigField("symbols_per_request", .integer(1...500), default: .number(50), doc: "Most symbols in one /market-metrics request."),
                ConfigField("ttl", .duration, default: .string("5m"), doc: "How long fetched metrics count as fresh."),
                ConfigField("max_age", .duration, default: .string("1h"), doc: "How long older metrics are still attached (marked stale) while they cannot be refreshed."),
                ConfigField("max_wait", .duration, default: .string("250ms"), doc: "Longest a batch waits for metrics being fetched before passing on without them."),
                ConfigField("requests_per_second", .integer(1...100), default: .number(2), doc: "Request rate limit (sliding one-second window)."),
                ConfigField("timeout", .duration, default: .string("10s"), doc: "Timeout of each request."),
                ConfigField("retry", .object(Retry.spec), default: .object(JSONObject()), advanced: true, doc: "Retries with exponential backoff and full jitter."),
                ConfigField("breaker", .object(Breaker.spec), default: .object(JSONObject()), advanced: true, doc: "Circuit breaker."),
            ])
        }

        /// The symbol field, checked against what the input emits.
        public func inputFieldReferences() -> [InputFieldReference] {
            [InputFieldReference(symbolField, at: Self.spec.pointer("symbol_field"))]
        }

        public func validate() -> [Diagnostic] {
            var problems: [Diagnostic] = []
            if !(baseURL.hasPrefix("https://") || baseURL.hasPrefix("http://")) || URLHost.of(baseURL) == nil {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("base_url"), "\"\(baseURL)\" is not an HTTP URL with a host", expected: "a URL like https://api.tastyworks.com"))
            }
            if clientSecret.isEmpty {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("client_secret"), "the client secret is empty", expected: "the OAuth client secret, e.g. \"${TASTYTRADE_CLIENT_SECRET}\""))
            }
            if refreshToken.isEmpty {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("refresh_token"), "the refresh token is empty", expected: "the OAuth refresh token, e.g. \"${TASTYTRADE_REFRESH_TOKEN}\""))
            }
            return problems
        }

        /// The client configuration.
        var client: TastytradeConfiguration {
            var c = TastytradeConfiguration(baseURL: baseURL, credentials: TastytradeCredentials(clientSecret: clientSecret, refreshToken: refreshToken))
            c.timeout = timeout.duration
            c.retry = RetryPolicy(maxAttempts: retry.maxAttempts, initialBackoff: retry.initialBackoff.duration, maxBackoff: retry.maxBackoff.duration)
            c.rateLimit = requestsPerSecond
            c.breakerThreshold = breaker.failures
            c.breakerOpenDuration = breaker.openFor.duration
            return c
        }
    }

    public static var kind: String { "market_metrics" }
    public static var summary: String {
        "Adds tastytrade market metrics (IV index, IV rank, IV percentile, HV, liquidity, beta, earnings) by symbol; cached, batched, never stalls the stream."
    }

    let configuration: Configuration
    let context: StageContext

    public init(configuration: Configuration, context: StageContext) {
        self.configuration = configuration
        self.context = context
    }

    public static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type { MarketMetricsStage<R>.self }

    /// The input's fields plus the metric columns, so field names downstream are checked.
    public static func outputFields(_ configuration: Configuration) -> [Column]? {
        Element.declaredFields.map { $0 + MetricColumns.columns }
    }

    public func run(input: Inbound<Element>, output: Outbound<EnrichedRecord>) async throws {
        let client = TastytradeClient(configuration: configuration.client, clock: context.clock, logger: context.logger)
        let cache = MetricsCache(ttl: configuration.ttl.duration, maxAge: configuration.maxAge.duration, perRequest: configuration.symbolsPerRequest)
        let context = self.context
        var counts: [MetricsCache.Status: Int] = [:]
        let recordCounters: [MetricsCache.Status: Counter] = [
            .fresh: Counter(label: "sluice_market_metrics_records_total", dimensions: [("stage", context.stageID), ("status", "fresh")]),
            .stale: Counter(label: "sluice_market_metrics_records_total", dimensions: [("stage", context.stageID), ("status", "stale")]),
            .missing: Counter(label: "sluice_market_metrics_records_total", dimensions: [("stage", context.stageID), ("status", "missing")]),
        ]
        var schemas: [ObjectIdentifier: RecordSchema] = [:]
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while let symbols = await cache.nextRequest() {
                    do {
                        let response = try await client.marketMetrics(symbols)
                        cache.store(response, requested: symbols, now: context.clock.now)
                        if !response.unknownSymbols.isEmpty {
                            context.logger.notice("tastytrade has no metrics for these symbols", metadata: ["symbols": "\(response.unknownSymbols.joined(separator: ","))"])
                        }
                    } catch let error as TastytradeError where error.kind == .cancelled {
                        cache.abandoned(symbols)
                    } catch is CancellationError {
                        cache.abandoned(symbols)
                    } catch {
                        cache.failed(symbols, now: context.clock.now)
                        context.counters.errors.add(1)
                        context.logger.warning("market metrics unavailable; records pass through as stale or missing", metadata: [
                            "symbols": "\(symbols.count)", "error": "\(error)",
                        ])
                    }
                }
            }
            defer {
                // A fetch still in flight (or backing off) has nobody left to serve.
                cache.close()
                group.cancelAll()
            }
            var enriched: [EnrichedRecord] = []
            for try await batch in input {
                let now = context.clock.now
                // Only symbols never seen before may hold the batch, once, for at most max_wait; stale and
                // pending ones are refreshed in the background while their records pass at once.
                var fetch: Set<String> = []
                var waitFor: Set<String> = []
                for record in batch {
                    guard case .string(let symbol) = record[field: configuration.symbolField], !symbol.isEmpty, !fetch.contains(symbol) else { continue }
                    let admitted = cache.admit(symbol, now: now)
                    if admitted.fetch {
                        fetch.insert(symbol)
                        if admitted.firstSight { waitFor.insert(symbol) }
                    }
                }
                if !fetch.isEmpty { cache.request(fetch.sorted()) }
                if !waitFor.isEmpty {
                    await cache.wait(for: waitFor, until: now.advanced(by: configuration.maxWait.duration), clock: context.clock)
                }
                let later = context.clock.now
                enriched.removeAll(keepingCapacity: true)
                for record in batch {
                    var metrics: MarketMetrics?
                    var status = MetricsCache.Status.missing
                    var fetched: Timestamp?
                    if case .string(let symbol) = record[field: configuration.symbolField], !symbol.isEmpty {
                        let found = cache.lookup(symbol, now: later)
                        (metrics, status) = (found.metrics, found.status)
                        fetched = metrics == nil ? nil : cache.fetchedTime(symbol)
                    }
                    counts[status, default: 0] += 1
                    recordCounters[status]?.increment()
                    let baseSchema = record.schema
                    let schema = schemas[ObjectIdentifier(baseSchema)] ?? {
                        let s = RecordSchema(recordType: baseSchema.recordType, columns: baseSchema.columns + MetricColumns.columns)
                        schemas[ObjectIdentifier(baseSchema)] = s
                        return s
                    }()
                    enriched.append(EnrichedRecord(base: record, extra: MetricColumns.values(metrics, status: status.rawValue, time: fetched), schema: schema))
                }
                try await output.send(enriched)
            }
        }
        context.logger.info("market metrics finished", metadata: [
            "fresh": "\(counts[.fresh] ?? 0)", "stale": "\(counts[.stale] ?? 0)", "missing": "\(counts[.missing] ?? 0)",
            "refreshes": "\(client.accessTokenRefreshes)",
        ])
    }
}
