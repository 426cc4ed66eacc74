import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import SluiceCore
import Synchronization

/// A tastytrade REST client: OAuth access tokens (refreshed before expiry and once on a 401), API quote
/// tokens (cached until shortly before they expire) and market metrics; every call goes through a
/// circuit breaker, a sliding-window rate limiter, a per-request timeout and retries with backoff.
///
/// ```swift
/// let client = TastytradeClient(configuration: .init(credentials: credentials))
/// let token = try await client.quoteToken()
/// let metrics = try await client.marketMetrics(["SPY", "AAPL"])
/// ```
public final class TastytradeClient: Sendable {
    /// The configuration.
    public let configuration: TastytradeConfiguration
    /// The breaker guarding the API.
    public let breaker: CircuitBreaker
    private let limiter: RateLimiter
    private let clock: any StageClock
    private let logger: Logger
    private let tokens: AccessTokens
    private let quoteTokens = Mutex<QuoteToken?>(nil)
    private let issuedSecrets = Mutex<[String]>([])
    private let metrics: RESTMetrics

    /// Creates a client. Nothing is sent until the first call.
    public init(configuration: TastytradeConfiguration, clock: any StageClock = SystemClock(), logger: Logger = Logger(label: "sluice.tastytrade")) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.breaker = CircuitBreaker(failureThreshold: configuration.breakerThreshold, openDuration: configuration.breakerOpenDuration, clock: clock)
        self.metrics = RESTMetrics(baseURL: configuration.baseURL)
        self.limiter = RateLimiter(limit: configuration.rateLimit, per: configuration.rateWindow, clock: clock)
        let box = Mutex<(@Sendable () async throws -> AccessTokens.Token)?>(nil)
        self.tokens = AccessTokens(clock: clock, margin: configuration.refreshMargin) {
            guard let refresh = box.withLock({ $0 }) else { throw CancellationError() }
            return try await refresh()
        }
        box.withLock { $0 = { [unowned self] in try await self.requestAccessToken() } }
    }

    /// How many OAuth refreshes this client has made.
    public var accessTokenRefreshes: Int { tokens.refreshCount }

    // MARK: - Endpoints

    /// An API quote token for DXLink, cached until `quoteTokenMargin` before it expires.
    public func quoteToken(forceRefresh: Bool = false) async throws -> QuoteToken {
        let now = clock.now
        if !forceRefresh, let cached = quoteTokens.withLock({ $0 }), now < cached.expiresAt.advanced(by: .zero - configuration.quoteTokenMargin) {
            return cached
        }
        let body = try await get("/api-quote-tokens")
        guard let data = body.objectValue?["data"]?.objectValue else {
            throw TastytradeError(.malformedResponse, message: "the quote token response has no data object")
        }
        let token = try QuoteToken(data: data, now: now)
        remember(token.token)
        quoteTokens.withLock { $0 = token }
        logger.info("fetched an API quote token", metadata: ["dxlink_url": "\(token.dxlinkURL)", "expires": "\(token.expiresAt)"])
        return token
    }

    /// Market metrics for `symbols` (one request; tastytrade accepts many symbols per call).
    public func marketMetrics(_ symbols: [String]) async throws -> MarketMetricsResponse {
        guard !symbols.isEmpty else { return MarketMetricsResponse(metrics: [:], unknownSymbols: []) }
        let body = try await get("/market-metrics", query: [("symbols", symbols.joined(separator: ","))])
        guard let items = body.objectValue?["data"]?.objectValue?["items"]?.arrayValue else {
            throw TastytradeError(.malformedResponse, message: "the market metrics response has no data.items array")
        }
        var metrics: [String: MarketMetrics] = [:]
        for item in items {
            if let object = item.objectValue, let m = MarketMetrics(json: object) { metrics[m.symbol] = m }
        }
        return MarketMetricsResponse(metrics: metrics, unknownSymbols: symbols.filter { metrics[$0] == nil })
    }

    // MARK: - Requests

    /// An authorized GET returning the parsed JSON body.
    public func get(_ path: String, query: [(String, String)] = []) async throws -> JSONValue {
        var url = configuration.baseURL + path
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        }
        var attempt = 0
        var refreshedAfter401 = false
        var rejected: String?
        while true {
            attempt += 1
            defer { metrics.breaker(breaker.state) }
            guard breaker.admit() else {
                throw TastytradeError(.circuitOpen, message: "the circuit breaker is open after repeated failures; \(path) was not called")
            }
            let failure: TastytradeError
            var retryAfter: Duration?
            do {
                let token = try await tokens.token(rejected: rejected)
                rejected = nil
                remember(token)
                try await limiter.acquire()
                let (status, headers, body) = try await execute(method: .GET, url: url, authorization: "Bearer \(token)", body: nil)
                if (200..<300).contains(status) {
                    breaker.succeeded()
                    return try parse(body, path: path)
                }
                let error = classify(status: status, body: body, path: path)
                if status == 401, !refreshedAfter401 {
                    breaker.succeeded()  // the server answered; the token is the problem
                    refreshedAfter401 = true
                    rejected = token
                    attempt -= 1
                    continue
                }
                retryAfter = headers.first(name: "Retry-After").flatMap(Double.init).flatMap(Duration.checkedSeconds)
                failure = error
            } catch let error as TastytradeError {
                failure = error
            }
            if failure.kind == .cancelled { throw failure }  // shutdown: no failure of the server's
            if failure.isRetryable { breaker.failed() } else {
                if failure.kind != .malformedResponse { breaker.succeeded() }
                throw failure
            }
            guard attempt < configuration.retry.maxAttempts else { throw failure }
            let delay = configuration.retry.delay(afterAttempt: attempt, retryAfter: retryAfter)
            logger.warning("tastytrade request failed; retrying", metadata: [
                "path": "\(path)", "attempt": "\(attempt)", "error": "\(failure.kind.rawValue)", "delay": "\(DurationText.format(delay))",
            ])
            try await clock.sleep(for: delay)
        }
    }

    /// `POST /oauth/token` with the refresh token: a new access token.
    private func requestAccessToken() async throws -> AccessTokens.Token {
        var body = JSONWriter()
        body.raw("{\"grant_type\":\"refresh_token\",\"refresh_token\":")
        body.string(configuration.credentials.refreshToken)
        body.raw(",\"client_secret\":")
        body.string(configuration.credentials.clientSecret)
        body.raw("}")
        try await limiter.acquire()  // the token request counts against the same limit
        let (status, _, response) = try await execute(method: .POST, url: configuration.baseURL + "/oauth/token", authorization: nil, body: body.bytes)
        guard (200..<300).contains(status) else {
            var error = classify(status: status, body: response, path: "/oauth/token")
            if status == 400 || status == 401 {
                error.message = "the OAuth refresh was refused; check the client secret and refresh token"
            }
            throw error
        }
        let json = try parse(response, path: "/oauth/token")
        guard let object = json.objectValue, let token = object["access_token"]?.stringValue, !token.isEmpty else {
            throw TastytradeError(.malformedResponse, message: "the OAuth response has no access_token")
        }
        remember(token)
        let lifetime = object["expires_in"]?.numberValue ?? 900
        logger.debug("refreshed the OAuth access token", metadata: ["expires_in": "\(lifetime)"])
        let now = clock.now
        return AccessTokens.Token(value: token, issued: now, expires: now.advanced(by: Duration.clampedSeconds(lifetime)))
    }

    private func execute(method: HTTPMethod, url: String, authorization: String?, body: [UInt8]?) async throws(TastytradeError) -> (Int, HTTPHeaders, String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        request.headers.add(name: "Accept", value: "application/json")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await Self.http.execute(request, timeout: .nanoseconds(configuration.timeout.nanoseconds))
            var buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
            let text = buffer.readString(length: buffer.readableBytes) ?? ""
            metrics.request(path: Self.path(of: url), outcome: String(response.status.code))
            return (Int(response.status.code), response.headers, text)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            metrics.request(path: Self.path(of: url), outcome: "timeout")
            throw TastytradeError(.timeout, message: "\(method.rawValue) \(Self.path(of: url)) timed out after \(DurationText.format(configuration.timeout))")
        } catch let error as HTTPClientError where error == .cancelled {
            throw TastytradeError(.cancelled, message: "\(method.rawValue) \(Self.path(of: url)) was cancelled")
        } catch is CancellationError {
            throw TastytradeError(.cancelled, message: "\(method.rawValue) \(Self.path(of: url)) was cancelled")
        } catch {
            if Task.isCancelled { throw TastytradeError(.cancelled, message: "\(method.rawValue) \(Self.path(of: url)) was cancelled") }
            metrics.request(path: Self.path(of: url), outcome: "error")
            throw TastytradeError(.transport, message: "\(method.rawValue) \(Self.path(of: url)) failed: \(scrubber.scrub("\(error)"))")
        }
    }

    /// The HTTP client of every tastytrade request. A connection that cannot be made fails its attempt at
    /// once (refused is refused), so the retry policy — with its backoff and warnings — decides what
    /// follows, instead of the pool retrying silently until the request's deadline.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    private func parse(_ body: String, path: String) throws(TastytradeError) -> JSONValue {
        do {
            return try JSONDocument(parsing: body).root
        } catch {
            throw TastytradeError(.malformedResponse, message: "\(path) answered with malformed JSON (\(error.message))", excerpt: scrubber.excerpt(body))
        }
    }

    private func classify(status: Int, body: String, path: String) -> TastytradeError {
        let error = (try? JSONDocument(parsing: body))?.root.objectValue?["error"]?.objectValue
        let code = error?["code"]?.stringValue
        let message = error?["message"]?.stringValue.map(scrubber.scrub) ?? "\(path) answered HTTP \(status)"
        return TastytradeError(TastytradeError.kind(forStatus: status), status: status, apiCode: code, message: message, excerpt: scrubber.excerpt(body))
    }

    private var scrubber: SecretScrubber {
        SecretScrubber(secrets: [configuration.credentials.clientSecret, configuration.credentials.refreshToken] + issuedSecrets.withLock { $0 })
    }

    private func remember(_ secret: String) {
        issuedSecrets.withLock { s in
            if !s.contains(secret) { s.append(secret) }
            if s.count > 16 { s.removeFirst(s.count - 16) }
        }
    }

    /// Percent-encodes everything but letters, digits and `keeping` (a query value keeps its commas).
    static func encode(_ s: String, keeping: String = "-._~,") -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: keeping)
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    private static func path(of url: String) -> String {
        URL(string: url)?.path ?? url
    }
}
