import BuiltinStages
import Foundation
import HTTPTestServer
import Logging
import SluiceCore
import SluiceQueue
import SluiceRuntime
import SluiceTesting
import Synchronization
import Tastytrade
import Testing

/// Runs `market_metrics` with input fed batch by batch and output read as it comes.
struct MetricsStageDriver {
    let input = BatchQueue<Tick>(capacity: 1024)
    let output = BatchQueue<EnrichedRecord>(capacity: 1024)
    let stage: MarketMetricsStage<Tick>
    let counters = StageCounters()

    init(_ server: LoopbackHTTPServer, clock: any StageClock, logs: LogCapture = LogCapture(), extra: String = "") throws {
        let config = try StageHarness.configuration(MarketMetricsStage<Tick>.Configuration.self, json: """
        {"base_url": "\(server.url)", "client_secret": "\(secret)", "refresh_token": "\(refreshToken)",
         "requests_per_second": 100, "retry": {"max_attempts": 2, "initial_backoff": "1ms"} \(extra)}
        """)
        stage = MarketMetricsStage<Tick>(configuration: config, context: StageContext(
            stageID: "metrics", kind: "market_metrics", logger: logs.logger(), clock: clock, counters: counters))
    }

    func run() async throws {
        defer { output.finishProducing() }
        try await stage.run(input: Inbound(queue: input), output: Outbound(queues: [output]))
    }

    func send(_ symbols: [String]) async throws -> [EnrichedRecord] {
        let ticks = symbols.enumerated().map { Tick(symbol: $1, sequence: Int64($0), time: Timestamp(millisecondsSinceEpoch: 1), price: 1, size: 1, bid: 1, ask: 1) }
        try await input.send(ticks)
        return try await output.next() ?? []
    }
}

func metricsBody(for uri: String, known: (String) -> Bool = { _ in true }) -> String {
    let query = uri.components(separatedBy: "symbols=").last ?? ""
    let symbols = (query.removingPercentEncoding ?? query).split(separator: ",").map(String.init).filter(known)
    let items = symbols.map { #"{"symbol":"\#($0)","implied-volatility-index-rank":"0.5","implied-volatility-percentile":"0.25","liquidity-rating":3}"# }
    return #"{"data":{"items":[\#(items.joined(separator: ","))]}}"#
}

@Suite("market_metrics stage")
struct MarketMetricsStageTests {
    @Test("symbols are fetched in batches of symbols_per_request, cached for the TTL, and refreshed in the background after it")
    func batchingAndTTL() async throws {
        let fake = FakeTastytrade()
        let clock = ManualClock()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in fake.respond(r, n) { .init(body: metricsBody(for: $0.uri)) } }) { server in
            let driver = try MetricsStageDriver(server, clock: clock, extra: #", "symbols_per_request": 50, "ttl": "5m""#)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await driver.run() }
                let symbols = (0..<120).map { "S\($0)" }
                let first = try await driver.send(symbols)
                #expect(first.count == 120)
                #expect(first.allSatisfy { $0[field: "metrics_status"] == .string("fresh") && $0[field: "iv_rank"] == .double(0.5) })
                #expect(first[0][field: "liquidity_rating"] == .int(3) && first[0][field: "symbol"] == .string("S0"))
                let requests = server.requests.filter { $0.uri.hasPrefix("/market-metrics") }
                #expect(requests.count == 3)
                #expect(requests.map { ($0.uri.components(separatedBy: "symbols=").last ?? "").split(separator: ",").count }.sorted() == [20, 50, 50])

                _ = try await driver.send(Array(symbols.prefix(10)))
                #expect(server.requests.filter { $0.uri.hasPrefix("/market-metrics") }.count == 3, "cache hit within the TTL")

                clock.advance(by: .seconds(301))
                let expired = try await driver.send(["S1", "S2"])
                #expect(expired.allSatisfy { $0[field: "metrics_status"] == .string("stale") }, "past the TTL: passed at once, refreshed in the background")
                let refetched = try await eventually { server.requests.filter { $0.uri.hasPrefix("/market-metrics") }.count == 4 }
                #expect(refetched, "fetched again after the TTL")
                let refreshed = try await eventually { try await driver.send(["S1", "S2"]).allSatisfy { $0[field: "metrics_status"] == .string("fresh") } }
                #expect(refreshed)
                driver.input.finishProducing()
                try await group.waitForAll()
            }
        }
    }

    @Test("unknown symbols pass through as missing and are not asked for again within the TTL")
    func unknownSymbols() async throws {
        let fake = FakeTastytrade()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in fake.respond(r, n) { .init(body: metricsBody(for: $0.uri) { $0 != "NOPE" }) } }) { server in
            // A long max_wait: the batch waits for the fetch to settle, however loaded the machine is.
            let driver = try MetricsStageDriver(server, clock: SystemClock(), extra: #", "max_wait": "60s""#)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await driver.run() }
                let out = try await driver.send(["SPY", "NOPE"])
                #expect(out.map { $0[field: "metrics_status"] } == [.string("fresh"), .string("missing")])
                #expect(out[1][field: "iv_rank"] == .null)
                _ = try await driver.send(["NOPE"])
                #expect(server.requests.filter { $0.uri.hasPrefix("/market-metrics") }.count == 1)
                driver.input.finishProducing()
                try await group.waitForAll()
            }
        }
    }

    @Test("a slow server never stalls the stream: records pass as missing after max_wait; when the server fails, old metrics are attached as stale")
    func slowAndFailingServer() async throws {
        let fake = FakeTastytrade()
        let modeBox = ModeBox(mode: 0)
        let logs = LogCapture()
        try await LoopbackHTTPServer.withRunning(respond: { r, n in
            fake.respond(r, n) { request in
                switch modeBox.value {
                case 0: return .init(body: metricsBody(for: request.uri))
                case 1: return .init(body: metricsBody(for: request.uri), delay: .seconds(60))  // never in time: the request times out
                default: return .init(status: 500, body: #"{"error":{"code":"boom","message":"internal"}}"#)
                }
            }
        }) { server in
            let driver = try MetricsStageDriver(server, clock: SystemClock(), logs: logs, extra: #", "max_wait": "100ms", "timeout": "300ms", "ttl": "5m""#)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await driver.run() }
                modeBox.set(1)
                let slow = try await driver.send(["SLOW"])
                #expect(slow.map { $0[field: "metrics_status"] } == [.string("missing")], "passed on after max_wait")
                let next = try await driver.send(["SLOW", "SLOW"])
                #expect(next.count == 2, "the stream keeps flowing while the request times out")
                driver.input.finishProducing()
                try await group.waitForAll()
            }
            // Fresh metrics, then a failing server after the TTL: the old metrics are attached as stale.
            let clock = ManualClock()
            modeBox.set(0)
            let driver2 = try MetricsStageDriver(server, clock: clock, logs: logs, extra: #", "ttl": "1m", "max_age": "1h", "max_wait": "0s""#)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await driver2.run() }
                _ = try await driver2.send(["AAPL"])  // max_wait 0: passes at once, fetched meanwhile
                #expect(try await eventually { try await driver2.send(["AAPL"]).first?[field: "metrics_status"] == .string("fresh") })
                modeBox.set(2)
                clock.advance(by: .seconds(61))
                let stale = try await driver2.send(["AAPL"])
                #expect(stale.map { $0[field: "metrics_status"] } == [.string("stale")])
                #expect(stale[0][field: "iv_rank"] == .double(0.5))
                // The refresh fails for real (its retry backs off on the manual clock): logged and counted.
                // (Waits on this stage's own counter: the first stage's timed-out request may have logged too.)
                let failed = try await eventually {
                    clock.advance(by: .milliseconds(10))
                    return driver2.counters.errors.value > 0
                }
                #expect(failed)
                #expect(driver2.counters.errors.value == 1)
                driver2.input.finishProducing()
                try await group.waitForAll()
            }
            #expect(server.requests.filter { $0.uri.hasPrefix("/market-metrics") }.count >= 2, "the refresh was attempted")
        }
        let logged = logs.text
        #expect(logged.contains("market metrics unavailable"))
        #expect(!logged.contains(secret) && !logged.contains(refreshToken) && !logged.contains("access-1"))
    }
}

/// A value a test changes while the server reads it.
final class ModeBox: Sendable {
    private let state: Mutex<Int>
    init(mode: Int) { state = Mutex(mode) }
    var value: Int { state.withLock { $0 } }
    func set(_ v: Int) { state.withLock { $0 = v } }
}

@Suite("market_metrics validation")
struct MarketMetricsValidationTests {
    @Test("metric columns are known downstream at validate time: a misspelt one is reported with a suggestion")
    func fieldsDownstream() throws {
        var registry = StageRegistry.marketData
        registry.register(CollectSink<FieldRecord>.self)
        let text = """
        {"name": "v", "stages": [
          {"id": "feed", "kind": "dxlink", "config": {"simulate": {}, "symbols": ["SPY"], "events": ["Trade"]}},
          {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
          {"id": "metrics", "kind": "market_metrics", "from": "decode", "config": {"client_secret": "s", "refresh_token": "r"}},
          {"id": "screen", "kind": "filter", "from": "metrics", "config": {"expression": "iv_rnak > 0.5 and price > 1"}},
          {"id": "out", "kind": "collect", "from": "screen"}
        ]}
        """
        do {
            _ = try TestPipeline(text, registry: registry).plan()
            Issue.record("a misspelt metric passed validation")
        } catch {
            #expect(error.diagnostics.count == 1)
            #expect(error.diagnostics.first.map { "\($0)".contains("iv_rnak") && "\($0)".contains("iv_rank") } == true)
        }
        let good = text.replacingOccurrences(of: "iv_rnak", with: "iv_rank")
        #expect(try TestPipeline(good, registry: registry).plan().stages.count == 5)
    }
}
