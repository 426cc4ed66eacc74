import Foundation
import HTTPTestServer
import SluiceCore
import SluiceTesting
import Synchronization
import Tastytrade
import Testing

let secret = "client-secret-7f3a"
let refreshToken = "refresh-token-91bc"

func client(_ server: LoopbackHTTPServer, clock: any StageClock = SystemClock(), configure: (inout TastytradeConfiguration) -> Void = { _ in }) -> TastytradeClient {
    var config = TastytradeConfiguration(baseURL: server.url, credentials: TastytradeCredentials(clientSecret: secret, refreshToken: refreshToken))
    config.retry = RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(5), maxBackoff: .seconds(1))
    config.rateLimit = 1000
    configure(&config)
    return TastytradeClient(configuration: config, clock: clock)
}

/// Answers `/oauth/token` with numbered access tokens (`access-1`, `access-2`, …) and everything else
/// with `handler`.
final class FakeTastytrade: Sendable {
    let tokensIssued = Mutex(0)
    let lifetime: Int

    init(lifetime: Int = 900) { self.lifetime = lifetime }

    func respond(_ request: LoopbackHTTPServer.Request, _ n: Int, _ handler: @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response) -> LoopbackHTTPServer.Response {
        if request.uri == "/oauth/token" {
            let number = tokensIssued.withLock { $0 += 1; return $0 }
            return .init(status: 200, body: #"{"access_token":"access-\#(number)","token_type":"Bearer","expires_in":\#(lifetime)}"#)
        }
        return handler(request)
    }
}

let quoteTokenBody = #"{"data":{"token":"quote-token-55","dxlink-url":"wss://example.test/realtime","level":"api","expires-at":"2030-01-01T00:00:00.000Z"},"context":"/api-quote-tokens"}"#

@Suite("tastytrade client")
struct TastytradeClientTests {
    @Test("the OAuth refresh flow: POST /oauth/token with the refresh token and secret, then Bearer requests with a sluice User-Agent")
    func authFlow() async throws {
        let fake = FakeTastytrade()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in fake.respond(r, n) { _ in .init(body: quoteTokenBody) } }) { server in
            let tt = client(server)
            let token = try await tt.quoteToken()
            #expect(token.token == "quote-token-55" && token.dxlinkURL == "wss://example.test/realtime" && token.level == "api")
            #expect(token.expiresAt == Timestamp(iso8601: "2030-01-01T00:00:00Z"))
            let requests = server.requests
            #expect(requests.map(\.uri) == ["/oauth/token", "/api-quote-tokens"])
            #expect(requests[0].method == "POST")
            #expect(requests[0].body.contains(#""grant_type":"refresh_token""#))
            #expect(requests[0].body.contains(#""refresh_token":"\#(refreshToken)""#) && requests[0].body.contains(#""client_secret":"\#(secret)""#))
            #expect(requests[1].header("Authorization") == "Bearer access-1")
            #expect(requests.allSatisfy { $0.header("User-Agent") == "sluice/\(SluiceVersion.current)" })
            _ = try await tt.quoteToken()
            #expect(server.requests.count == 2, "the quote token is cached until shortly before it expires")
        }
    }

    @Test("the access token is refreshed before it expires")
    func proactiveRefresh() async throws {
        let fake = FakeTastytrade(lifetime: 120)
        let clock = ManualClock()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in fake.respond(r, n) { _ in .init(body: #"{"data":{"items":[]}}"#) } }) { server in
            let tt = client(server, clock: clock)
            _ = try await tt.marketMetrics(["SPY"])
            clock.advance(by: .seconds(70))
            _ = try await tt.marketMetrics(["SPY"])
            #expect(tt.accessTokenRefreshes == 1, "50 s of validity left: more than the margin (60 s, capped at a quarter of 120 s)")
            clock.advance(by: .seconds(25))
            _ = try await tt.marketMetrics(["SPY"])
            #expect(tt.accessTokenRefreshes == 2, "25 s left: refreshed first")
            #expect(server.requests.last?.header("Authorization") == "Bearer access-2")
        }
    }

    @Test("a 401 refreshes the token once for twenty concurrent requests, and each is retried")
    func refreshOn401() async throws {
        let fake = FakeTastytrade()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in
            fake.respond(r, n) { request in
                request.header("Authorization") == "Bearer access-1"
                    ? .init(status: 401, body: #"{"error":{"code":"unauthorized","message":"token expired"}}"#)
                    : .init(body: #"{"data":{"items":[{"symbol":"SPY","implied-volatility-index-rank":"0.42"}]}}"#)
            }
        }) { server in
            let tt = client(server)
            let ranks = try await withThrowingTaskGroup(of: Double?.self) { group in
                for _ in 0..<20 { group.addTask { try await tt.marketMetrics(["SPY"]).metrics["SPY"]?.impliedVolatilityIndexRank } }
                return try await group.reduce(into: [Double?]()) { $0.append($1) }
            }
            #expect(ranks == Array(repeating: 0.42, count: 20))
            #expect(fake.tokensIssued.withLock { $0 } == 2, "one token at start, one refresh after the 401s")
            #expect(server.requests.filter { $0.uri == "/oauth/token" }.count == 2)
        }
    }

    @Test("429 with Retry-After is retried after the time the server asked for")
    func retryAfter() async throws {
        let fake = FakeTastytrade()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in
            fake.respond(r, n) { request in
                n == 2 ? .init(status: 429, headers: [("Retry-After", "0.4")], body: #"{"error":{"code":"too_many_requests","message":"slow down"}}"#)
                    : .init(body: #"{"data":{"items":[]}}"#)
            }
        }) { server in
            let tt = client(server)
            _ = try await tt.marketMetrics(["SPY"])
            let metrics = server.requests.filter { $0.uri.hasPrefix("/market-metrics") }
            #expect(metrics.count == 2)
            #expect(metrics[1].received - metrics[0].received >= .milliseconds(400))
        }
    }

    @Test("5xx is retried with backoff; errors carry the status, the API code and a redacted excerpt")
    func structuredErrors() async throws {
        let fake = FakeTastytrade()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in
            fake.respond(r, n) { request in
                if request.uri.hasPrefix("/market-metrics?symbols=FORBIDDEN") {
                    return .init(status: 403, body: #"{"error":{"code":"forbidden","message":"no access for \#(secret)"}}"#)
                }
                return .init(status: 503, body: "upstream down; your refresh token \(refreshToken) is fine")
            }
        }) { server in
            let tt = client(server)
            let failure = await #expect(throws: TastytradeError.self) { _ = try await tt.marketMetrics(["SPY"]) }
            #expect(failure?.kind == .server && failure?.status == 503)
            #expect(server.requests.filter { $0.uri.hasPrefix("/market-metrics") }.count == 4, "four attempts")
            #expect(failure.map { !"\($0)".contains(refreshToken) && "\($0)".contains("***") } == true)

            let forbidden = await #expect(throws: TastytradeError.self) { _ = try await tt.marketMetrics(["FORBIDDEN"]) }
            #expect(forbidden?.kind == .forbidden && forbidden?.apiCode == "forbidden")
            #expect(forbidden.map { !"\($0)".contains(secret) } == true)
            #expect(server.requests.filter { $0.uri.hasPrefix("/market-metrics?symbols=FORBIDDEN") }.count == 1, "a 403 is not retried")
        }
    }

    @Test("the circuit breaker opens after repeated failures, refuses calls, then lets one probe through and closes")
    func circuitBreaker() async throws {
        let fake = FakeTastytrade()
        let clock = ManualClock()
        let healthy = Flag()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in
            fake.respond(r, n) { _ in healthy.value ? .init(body: #"{"data":{"items":[]}}"#) : .init(status: 500) }
        }) { server in
            let tt = client(server, clock: clock) {
                $0.retry = RetryPolicy(maxAttempts: 1)
                $0.breakerThreshold = 3
                $0.breakerOpenDuration = .seconds(30)
            }
            for _ in 0..<3 { await #expect(throws: TastytradeError.self) { _ = try await tt.marketMetrics(["SPY"]) } }
            #expect(tt.breaker.state == .open(until: clock.now.advanced(by: .seconds(30)).nanosecondsSinceEpoch))
            let refused = await #expect(throws: TastytradeError.self) { _ = try await tt.marketMetrics(["SPY"]) }
            #expect(refused?.kind == .circuitOpen)
            #expect(server.requests.filter { $0.uri.hasPrefix("/market-metrics") }.count == 3, "an open breaker sends nothing")

            clock.advance(by: .seconds(30))
            await #expect(throws: TastytradeError.self) { _ = try await tt.marketMetrics(["SPY"]) }  // the half-open probe fails
            #expect(tt.breaker.state == .open(until: clock.now.advanced(by: .seconds(30)).nanosecondsSinceEpoch))
            clock.advance(by: .seconds(30))
            healthy.set()
            _ = try await tt.marketMetrics(["SPY"])
            #expect(tt.breaker.state == .closed(failures: 0))
        }
    }

    @Test("market metrics: decimal strings typed, absent and null fields tolerated, unknown symbols reported")
    func metricsParsing() async throws {
        let fake = FakeTastytrade()
        let body = """
        {"data":{"items":[
          {"symbol":"AAPL","implied-volatility-index":"0.2241","implied-volatility-index-rank":"0.153","implied-volatility-percentile":"0.31",
           "implied-volatility-30-day":"21.87","historical-volatility-30-day":"18.2","historical-volatility-90-day":"20.5",
           "liquidity-rating":4,"market-cap":3000000000000,"beta":"1.21","corr-spy-3month":"0.8",
           "earnings":{"visible":true,"expected-report-date":"2025-07-31","time-of-day":"AMC","actual-eps":"1.57"},
           "option-expiration-implied-volatilities":[{"expiration-date":"2025-06-20","settlement-type":"PM","implied-volatility":"0.25"}],
           "liquidity-running-state":{"sum":"12.5","count":3,"started-at":"2025-06-03T13:30:00.000+00:00"},
           "updated-at":"2025-06-03T14:00:00.123Z","dividend-yield":null},
          {"symbol":"/ESM5"}
        ]}}
        """
        try await LoopbackHTTPServer.withRunning(respond: { r, n in fake.respond(r, n) { _ in .init(body: body) } }) { server in
            let response = try await client(server).marketMetrics(["AAPL", "/ESM5", "NOPE"])
            #expect(server.requests.last?.uri == "/market-metrics?symbols=AAPL,%2FESM5,NOPE")
            #expect(response.unknownSymbols == ["NOPE"])
            let aapl = try #require(response.metrics["AAPL"])
            #expect(aapl.impliedVolatilityIndex == 0.2241 && aapl.impliedVolatilityIndexRank == 0.153 && aapl.impliedVolatilityPercentile == 0.31)
            #expect(aapl.impliedVolatility30Day == 21.87 && aapl.historicalVolatility90Day == 20.5 && aapl.historicalVolatility60Day == nil)
            #expect(aapl.liquidityRating == 4 && aapl.marketCap == 3_000_000_000_000 && aapl.beta == 1.21)
            #expect(aapl.earnings?.expectedReportDate == "2025-07-31" && aapl.earnings?.actualEPS == 1.57 && aapl.earnings?.visible == true)
            #expect(aapl.optionExpirationImpliedVolatilities.first?.impliedVolatility == 0.25)
            #expect(aapl.liquidityRunningState?.count == 3 && aapl.liquidityRunningState?.startedAt == Timestamp(iso8601: "2025-06-03T13:30:00Z"))
            #expect(aapl.updatedAt == Timestamp(iso8601: "2025-06-03T14:00:00.123Z") && aapl.dividendYield == nil)
            let es = try #require(response.metrics["/ESM5"])
            #expect(es.impliedVolatilityIndexRank == nil && es.earnings == nil)
        }
    }

    @Test("malformed JSON and a slow server give structured errors, not crashes or hangs")
    func malformedAndTimeout() async throws {
        let fake = FakeTastytrade()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in fake.respond(r, n) { _ in .init(body: #"{"data":{"items":[{"symbol":"#) } }) { server in
            let error = await #expect(throws: TastytradeError.self) { _ = try await client(server).marketMetrics(["SPY"]) }
            #expect(error?.kind == .malformedResponse)
        }
        try await LoopbackHTTPServer.withRunning(respond: { r, n in fake.respond(r, n) { _ in .init(body: "{}", delay: .seconds(3)) } }) { server in
            let tt = client(server) {
                $0.timeout = .milliseconds(150)
                $0.retry = RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(1))
            }
            let error = await #expect(throws: TastytradeError.self) { _ = try await tt.marketMetrics(["SPY"]) }
            #expect(error?.kind == .timeout)
        }
    }

    @Test("a refused OAuth refresh is an unauthorized error without the secret or the refresh token")
    func refusedRefresh() async throws {
        try await LoopbackHTTPServer.withRunning(respond: { _, _ in
            .init(status: 401, body: #"{"error":{"code":"invalid_grant","message":"bad refresh token \#(refreshToken)"}}"#)
        }) { server in
            let error = await #expect(throws: TastytradeError.self) { _ = try await client(server).quoteToken() }
            #expect(error?.kind == .unauthorized && error?.apiCode == "invalid_grant")
            let text = error.map { "\($0)" } ?? ""
            #expect(!text.contains(refreshToken) && !text.contains(secret))
        }
    }
}

@Suite("resilience parts")
struct ResilienceTests {
    @Test("the rate limiter lets `limit` requests through per sliding window and delays the next")
    func rateLimiter() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limit: 2, per: .seconds(1), clock: clock)
        try await limiter.acquire()
        clock.advance(by: .milliseconds(400))
        try await limiter.acquire()
        let start = clock.now
        async let third: Void = limiter.acquire()
        try await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(600))  // the first request leaves the window
        try await third
        #expect(start.advanced(by: .milliseconds(600)) == clock.now)
    }

    @Test("retry delays grow exponentially under full jitter, are capped, and Retry-After wins")
    func retryDelays() {
        let policy = RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1))
        let ceilings = (1...6).map { policy.backoff.ceiling(attempt: $0) }
        #expect(ceilings == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
        var rng = SystemRandomNumberGenerator()
        for attempt in 1...6 {
            let delay = policy.delay(afterAttempt: attempt, retryAfter: nil, using: &rng)
            #expect(delay >= .zero && delay <= ceilings[attempt - 1], "full jitter: from zero to the ceiling")
        }
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(5)) == .seconds(1), "capped")
        #expect(policy.delay(afterAttempt: 1, retryAfter: .milliseconds(300)) == .milliseconds(300))
    }
}

/// A flag tests flip while a server reads it.
final class Flag: Sendable {
    private let state = Mutex(false)
    var value: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}
