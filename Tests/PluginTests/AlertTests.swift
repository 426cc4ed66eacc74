import Alerting
import Foundation
import HTTPTestServer
import MarketData
import SluiceCore
import SluiceRuntime
import SluiceStages
import SluiceTesting
import Testing

func quote(_ symbol: String, _ seconds: Double, bid: Double, ask: Double) -> MarketEvent {
    var q = Quote(eventSymbol: symbol)
    (q.bidPrice, q.askPrice) = (bid, ask)
    q.bidTime = Timestamp(millisecondsSinceEpoch: 1_704_153_600_000 + Int64(seconds * 1000))
    q.askTime = q.bidTime
    return .quote(q)
}

@Suite("alert rules")
struct AlertEngineTests {
    func engine(_ rules: String) throws -> AlertEngine {
        let config = try StageHarness.configuration(AlertsStage<MarketEvent>.Configuration.self, json: #"{"rules": \#(rules)}"#)
        return try AlertEngine(rules: config.rules)
    }

    /// Feeds trades one second apart (clock = event time) and returns the alerts.
    func run(_ engine: inout AlertEngine, prices: [Double], symbol: String = "SPY", from second: Double = 0) -> [Alert] {
        var out: [Alert] = []
        for (i, p) in prices.enumerated() {
            let event = trade(symbol, (second + Double(i)) / 60, p)
            engine.evaluate(event, now: at((second + Double(i)) / 60), into: &out)
        }
        return out
    }

    @Test("crosses_above fires on the crossing, not while above, and re-arms only below the level minus the hysteresis")
    func crossingWithHysteresis() throws {
        var e = try engine(#"[{"id": "spy500", "crosses_above": 500, "hysteresis": 1, "cooldown": "0s"}]"#)
        let alerts = run(&e, prices: [498, 501, 502, 499.5, 500.5, 498.9, 500])
        #expect(alerts.map(\.value) == [501, 500], "499.5 is inside the hysteresis band, so 500.5 does not fire again")
        #expect(alerts[0].kind == "crosses_above" && alerts[0].symbol == "SPY")
        #expect(alerts[0].message == "spy500: SPY price crossed above 500 at 501")
    }

    @Test("a symbol first seen beyond the level is not a crossing; crosses_below works against another field")
    func crossingAgainstField() throws {
        var e = try engine(#"[{"id": "below_bid", "field": "ask_price", "crosses_below": "bid_price", "cooldown": "0s"}]"#)
        var out: [Alert] = []
        for (i, (bid, ask)) in [(10.0, 9.0), (10, 11), (10, 10)].enumerated() {
            e.evaluate(quote("X", Double(i), bid: bid, ask: ask), now: at(Double(i) / 60), into: &out)
        }
        #expect(out.map(\.value) == [10], "a locked market (ask = bid) after a normal one")
    }

    @Test("cooldown suppresses repeat alerts per rule and symbol, and counts them")
    func cooldown() throws {
        var e = try engine(#"[{"id": "big", "when": "price > 100", "cooldown": "1m"}]"#)
        let alerts = run(&e, prices: [101, 99, 102, 99, 103], symbol: "A") + run(&e, prices: [150], symbol: "B")
        #expect(alerts.map(\.symbol) == ["A", "B"])
        #expect(e.statistics.suppressed == 2)
    }

    @Test("change_pct fires on a move of the threshold within the window, either way")
    func changeOverWindow() throws {
        var e = try engine(#"[{"id": "move", "change_pct": 2, "window": "10s", "cooldown": "0s"}]"#)
        let slow = run(&e, prices: [100, 100.5, 101, 101.5, 101.9], symbol: "S")
        #expect(slow.isEmpty)
        let fast = run(&e, prices: [100, 99, 97.9], symbol: "F")
        #expect(fast.count == 1)
        #expect(abs(fast[0].value - -2.1) < 1e-9)
        let outside = run(&e, prices: [100] + Array(repeating: 100.5, count: 12) + [102.1], symbol: "W")
        #expect(outside.isEmpty, "100 fell out of the 10 s window before 102.1 arrived")
    }

    @Test("spread_bps fires when the quoted spread is wide")
    func spread() throws {
        var e = try engine(#"[{"id": "wide", "spread_bps": 50, "hysteresis": 10, "cooldown": "0s"}]"#)
        var out: [Alert] = []
        for (i, (bid, ask)) in [(100.0, 100.1), (100, 100.6), (100, 100.7), (100, 100.45), (100, 100.35), (100, 100.6)].enumerated() {
            e.evaluate(quote("Q", Double(i), bid: bid, ask: ask), now: at(Double(i) / 60), into: &out)
        }
        #expect(out.count == 2, "re-armed only once the spread fell below 40 bps")
        #expect(abs(out[0].value - 59.82) < 0.01)
    }

    @Test("a symbol gone quiet alerts while the feed is up, not during an outage; feed down alerts after down_after")
    func staleAndFeedDown() throws {
        var e = try engine(#"[{"id": "quiet", "stale_after": "30s"}, {"id": "down", "feed_down": true, "down_after": "10s"}]"#)
        var out: [Alert] = []
        e.evaluate(MarketEvent.feed(FeedStatus(state: .subscribed, time: at(0), epoch: 1)), now: at(0), into: &out)
        e.evaluate(trade("SPY", 0, 1), now: at(0), into: &out)
        e.tick(now: at(20.0 / 60), into: &out)
        #expect(out.isEmpty)
        e.tick(now: at(31.0 / 60), into: &out)
        #expect(out.map(\.rule) == ["quiet"])
        #expect(out[0].value == 31)
        e.tick(now: at(40.0 / 60), into: &out)
        #expect(out.count == 1, "fires once until the symbol is heard from again")

        e.evaluate(trade("SPY", 1, 1), now: at(1), into: &out)
        e.evaluate(MarketEvent.feed(FeedStatus(state: .disconnected, time: at(1.1), epoch: 1)), now: at(1.1), into: &out)
        e.tick(now: at(1.1 + 5.0 / 60), into: &out)
        #expect(out.count == 1)
        e.tick(now: at(1.1 + 11.0 / 60), into: &out)
        e.tick(now: at(1.1 + 45.0 / 60), into: &out)
        #expect(out.map(\.rule) == ["quiet", "down"], "no stale alert while the feed is down")
    }

    @Test("rules are validated: one trigger per rule, unique ids, something to fire on")
    func validation() {
        #expect(throws: ValidationFailure.self) {
            _ = try StageHarness.configuration(AlertsStage<MarketEvent>.Configuration.self, json: #"{"rules": [{"id": "a", "crosses_above": 1, "spread_bps": 2}]}"#)
        }
        #expect(throws: ValidationFailure.self) {
            _ = try StageHarness.configuration(AlertsStage<MarketEvent>.Configuration.self, json: #"{"rules": [{"id": "a", "when": "price > 1"}, {"id": "a", "when": "price > 2"}]}"#)
        }
        #expect(throws: ValidationFailure.self) {
            _ = try StageHarness.configuration(AlertsStage<MarketEvent>.Configuration.self, json: #"{"rules": [{"id": "a"}]}"#)
        }
    }
}

@Suite("alert delivery")
struct AlertDeliveryTests {
    func runAlerts(webhook: String, prices: [Double] = [99, 101]) async throws -> StageRun<Alert> {
        let config = try StageHarness.configuration(AlertsStage<MarketEvent>.Configuration.self, json: """
        {"rules": [{"id": "up", "crosses_above": 100, "severity": "critical", "message": "{symbol} above {level}: {price}"}],
         "notify": {"log": false, "webhook": \(webhook)}}
        """)
        let events = prices.enumerated().map { trade("SPY", Double($0.offset) / 60, $0.element) }
        return try await StageHarness.run(AlertsStage<MarketEvent>.self, configuration: config, input: events)
    }

    @Test("an alert is POSTed as JSON with a sluice User-Agent and the configured headers")
    func delivered() async throws {
        try await LoopbackHTTPServer.withRunning(respond: { _, _ in .init(status: 204) }) { server in
            let run = try await runAlerts(webhook: #"{"url": "\#(server.url)/hook", "headers": {"Authorization": "Bearer s3cret"}}"#)
            #expect(run.output.count == 1, "the alert also flows downstream")
            let requests = server.requests
            #expect(requests.count == 1)
            #expect(requests[0].method == "POST" && requests[0].uri == "/hook")
            #expect(requests[0].header("User-Agent") == "sluice/\(SluiceVersion.current)")
            #expect(requests[0].header("Authorization") == "Bearer s3cret")
            #expect(requests[0].body.contains(#""message":"SPY above 100: 101""#))
            #expect(requests[0].body.contains(#""severity":"critical""#))
        }
    }

    @Test("5xx and 429 are retried (Retry-After honoured) until delivered")
    func retried() async throws {
        try await LoopbackHTTPServer.withRunning(respond: { _, n in
            n == 1 ? .init(status: 503) : (n == 2 ? .init(status: 429, headers: [("Retry-After", "0.3")]) : .init(status: 200))
        }) { server in
            let run = try await runAlerts(webhook: #"{"url": "\#(server.url)", "initial_backoff": "10ms", "dead_letter": "\#(temporaryDirectory("dl"))/dead.jsonl"}"#)
            let requests = server.requests
            #expect(requests.count == 3)
            #expect(requests[2].received - requests[1].received >= .milliseconds(300), "Retry-After: 0.3 was honoured")
            #expect(run.counters.errors.value == 0)
        }
    }

    @Test("an alert that cannot be delivered goes to the dead-letter file with the reason; a slow endpoint times out")
    func deadLetter() async throws {
        let dir = temporaryDirectory("dl")
        try await LoopbackHTTPServer.withRunning(respond: { _, _ in .init(status: 500, body: "boom") }) { server in
            let run = try await runAlerts(webhook: #"{"url": "\#(server.url)", "max_attempts": 3, "initial_backoff": "5ms", "dead_letter": "\#(dir)/dead.jsonl"}"#)
            #expect(server.requests.count == 3)
            #expect(run.counters.errors.value == 1)
            let dead = readText("\(dir)/dead.jsonl")
            #expect(dead.contains(#""reason":"HTTP 500 after 3 attempts""#))
            #expect(dead.contains(#""rule":"up""#))
        }
        try await LoopbackHTTPServer.withRunning(respond: { _, _ in .init(status: 200, delay: .seconds(3600)) }) { server in
            let run = try await runAlerts(webhook: #"{"url": "\#(server.url)", "max_attempts": 1, "timeout": "100ms", "dead_letter": "\#(dir)/slow.jsonl"}"#)
            #expect(run.output.count == 1)
            #expect(readText("\(dir)/slow.jsonl").contains(#""reason":"timed out after 1 attempts""#))
        }
    }

    @Test("a 4xx other than 429 is not retried")
    func clientErrorNotRetried() async throws {
        let dir = temporaryDirectory("dl")
        try await LoopbackHTTPServer.withRunning(respond: { _, _ in .init(status: 404) }) { server in
            _ = try await runAlerts(webhook: #"{"url": "\#(server.url)", "dead_letter": "\#(dir)/dead.jsonl"}"#)
            #expect(server.requests.count == 1)
            #expect(readText("\(dir)/dead.jsonl").contains(#""reason":"HTTP 404""#))
        }
    }

    @Test("alerts go to a JSON-lines file and to stdout-free logs; secrets in webhook headers stay out of validate output")
    func jsonlAndSecrets() async throws {
        let dir = temporaryDirectory("alerts")
        let config = try StageHarness.configuration(AlertsStage<MarketEvent>.Configuration.self, json: """
        {"rules": [{"id": "up", "crosses_above": 100}], "notify": {"log": false, "jsonl": "\(dir)/alerts.jsonl"}}
        """)
        _ = try await StageHarness.run(AlertsStage<MarketEvent>.self, configuration: config, input: [trade("SPY", 0, 99), trade("SPY", 0.1, 100.5)])
        let lines = readText("\(dir)/alerts.jsonl").split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains(#""value":100.5"#))

        let plan = try TestPipeline("""
        {"name": "hook", "stages": [
          {"id": "gen", "kind": "generate", "config": {"symbols": ["SPY"], "count": 1}},
          {"id": "alerts", "kind": "alerts", "from": "gen", "config": {"rules": [{"id": "x", "when": "price > 0"}],
             "notify": {"webhook": {"url": "http://127.0.0.1:9/hook", "headers": {"Authorization": "Bearer ${HOOK_TOKEN}"}}}}}
        ]}
        """, registry: .all, environment: ["HOOK_TOKEN": "tok-123"]).plan()
        #expect(!"\(plan.stages[1].displayConfiguration)".contains("tok-123"))
    }
}
