import BuiltinStages
import HTTPTestServer
import SluiceCore
import SluiceRuntime
import SluiceTesting
import Tastytrade
import Testing

/// tastytrade REST under faults: 429, 500, a slow server, a refused connection, short-lived tokens, a
/// rate limit, and shutdown in the middle of it all. Time is a manual clock wherever Sluice waits.
@Suite("tastytrade REST under faults")
struct RESTFaultTests {
    @Test("under 429, 500 or a slow server, known symbols pass at once as stale, and a new one waits at most max_wait, once", arguments: [429, 500, 0])
    func enricherNeverStalls(fault: Int) async throws {
        let fake = FakeTastytrade()
        let mode = ModeBox(mode: 0)
        let clock = ManualClock()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in
            fake.respond(r, n) { request in
                if mode.value == 0 { return .init(body: metricsBody(for: request.uri)) }
                switch fault {
                case 429: return .init(status: 429, headers: [("Retry-After", "1")], body: #"{"error":{"code":"rate_limited","message":"slow down"}}"#)
                case 500: return .init(status: 500, body: #"{"error":{"code":"boom","message":"internal"}}"#)
                default: return .init(body: metricsBody(for: request.uri), delay: .seconds(3600))
                }
            }
        }) { server in
            let driver = try MetricsStageDriver(server, clock: clock, extra: #", "ttl": "1m", "max_age": "1h", "max_wait": "250ms", "timeout": "30s""#)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await driver.run() }
                let symbols = (0..<120).map { "S\($0)" }
                let first = try await driver.send(symbols)  // new symbols: the batch waits for their fetch (the server is well)
                #expect(first.allSatisfy { $0[field: "metrics_status"] == .string("fresh") })
                mode.set(1)
                clock.advance(by: .seconds(61))
                // 2 000 records offered while every refresh fails or hangs: each batch passes without the
                // clock moving at all, with the old metrics marked stale.
                var passed = 0
                for b in 0..<20 {
                    let out = try await driver.send((0..<100).map { symbols[(b * 100 + $0) % symbols.count] })
                    passed += out.count
                    #expect(out.allSatisfy { $0[field: "metrics_status"] == .string("stale") })
                }
                #expect(passed == 2000)
                // A symbol never seen before holds its batch for max_wait, once.
                let sleepers = clock.sleeperCount
                try await driver.input.send([tick("NEW")])
                try await clock.waitForSleepers(sleepers + 1)
                clock.advance(by: .milliseconds(250))
                let newcomer = try await driver.output.next() ?? []
                #expect(newcomer.map { $0[field: "metrics_status"] } == [.string("missing")])
                let again = try await driver.send(["NEW", "S1"])
                #expect(again.map { $0[field: "metrics_status"] } == [.string("missing"), .string("stale")])
                driver.input.finishProducing()
                try await group.waitForAll()
            }
        }
    }

    @Test("shutdown is not an error: fetches cancelled at the end of the input are not counted, not logged as failures, and leave the breaker closed")
    func shutdownIsNotAnError() async throws {
        let fake = FakeTastytrade()
        let logs = LogCapture()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in
            fake.respond(r, n) { request in .init(body: metricsBody(for: request.uri), delay: .seconds(3600)) }
        }) { server in
            let driver = try MetricsStageDriver(server, clock: SystemClock(), logs: logs, extra: #", "max_wait": "0s", "symbols_per_request": 1, "timeout": "30s""#)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await driver.run() }
                let out = try await driver.send((0..<24).map { "Q\($0)" })
                #expect(out.count == 24)
                driver.input.finishProducing()
                try await group.waitForAll()
            }
            #expect(driver.counters.errors.value == 0)
            #expect(!logs.text.contains("market metrics unavailable"))
            #expect(!logs.text.contains("circuit"))
        }
    }

    @Test("an access token that lives 30 s is used for 22.5 s (the margin is capped at a quarter of its life), not refreshed per request")
    func shortLivedAccessToken() async throws {
        let fake = FakeTastytrade(lifetime: 30)
        let clock = ManualClock()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in fake.respond(r, n) { _ in .init(body: #"{"data":{"items":[]}}"#) } }) { server in
            let tt = client(server, clock: clock)
            for _ in 0..<11 {
                _ = try await tt.marketMetrics(["SPY"])
                clock.advance(by: .seconds(2))
            }
            #expect(tt.accessTokenRefreshes == 1, "11 requests over 20 s, one token")
            clock.advance(by: .seconds(3))
            _ = try await tt.marketMetrics(["SPY"])
            #expect(tt.accessTokenRefreshes == 2, "at 25 s: past 22.5 s, refreshed first")
        }
    }

    @Test("the rate limit counts POST /oauth/token, and a request waiting for a slot is stamped when it goes out")
    func rateLimitCountsTokenRequests() async throws {
        let fake = FakeTastytrade()
        let clock = ManualClock()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in fake.respond(r, n) { _ in .init(body: #"{"data":{"items":[]}}"#) } }) { server in
            let tt = client(server, clock: clock) { $0.rateLimit = 2 }
            _ = try await tt.marketMetrics(["SPY"])  // POST /oauth/token and GET: both slots of this second
            #expect(server.requests.map(\.uri) == ["/oauth/token", "/market-metrics?symbols=SPY"])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await tt.marketMetrics(["QQQ"]) }
                try await clock.waitForSleepers(1)  // waiting for a slot, not sent
                #expect(server.requests.count == 2)
                clock.advance(by: .seconds(1))
                try await group.waitForAll()
            }
            #expect(server.requests.count == 3)
        }
    }

    @Test("a refused connection fails each attempt at once; every retry is logged at warning with its delay")
    func refusedConnectionFailsFast() async throws {
        // A port with nothing listening: a server's, after it stopped.
        let port = try await LoopbackHTTPServer.withRunning(respond: { _, _ in .init() }) { $0.port }
        let logs = LogCapture()
        let clock = ManualClock()
        var config = TastytradeConfiguration(baseURL: "http://127.0.0.1:\(port)", credentials: TastytradeCredentials(clientSecret: secret, refreshToken: refreshToken))
        config.retry = RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1))
        config.timeout = .seconds(120)  // far beyond the test's patience: only a fast failure lets it finish
        let tt = TastytradeClient(configuration: config, clock: clock, logger: logs.logger())
        try await withThrowingTaskGroup(of: TastytradeError?.self) { group in
            group.addTask {
                do { _ = try await tt.marketMetrics(["SPY"]); return nil } catch let e as TastytradeError { return e }
            }
            for sleepers in 1...2 {
                try await clock.waitForSleepers(1)  // the attempt failed; the retry waits on the (manual) clock
                #expect(logs.text.components(separatedBy: "tastytrade request failed; retrying").count - 1 == sleepers)
                clock.advance(by: .seconds(1))
            }
            let error = try await group.next() ?? nil
            #expect(error?.kind == .transport)
        }
        #expect(logs.text.contains("warning tastytrade request failed; retrying"))
        #expect(logs.text.contains("\"delay\""))
        #expect(!logs.text.contains(secret) && !logs.text.contains(refreshToken))
    }
}

func tick(_ symbol: String) -> Tick {
    Tick(symbol: symbol, sequence: 0, time: Timestamp(millisecondsSinceEpoch: 1), price: 1, size: 1, bid: 1, ask: 1)
}
