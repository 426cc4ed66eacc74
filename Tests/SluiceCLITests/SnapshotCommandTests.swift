import Foundation
import SluiceRuntime
import Testing

/// `sluice snapshot` as a user runs it: real processes, the simulator in its own process where a symbol
/// must go unserved, and the exit status a script reads.
@Suite("sluice snapshot")
struct SnapshotCommandTests {
    @Test("complete against the built-in simulator: one row per symbol, exit 0, and the completeness line on standard error")
    func complete() async throws {
        let dir = try temporaryDirectory()
        let out = try await SluiceProcess.run(["snapshot", "SPY", "AAPL", ".SPXW261218C5700", "--events", "Quote,Greeks", "--simulate"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        let rows = out.stdout.split(separator: "\n")
        #expect(rows.count == 5, "header, rule, three symbols")
        #expect(rows.first?.hasPrefix("SYMBOL") == true && rows.first?.contains("BID") == true && rows.first?.contains("DELTA") == true)
        #expect(rows.dropFirst(2).map { $0.split(separator: " ").first.map(String.init) ?? "" } == ["SPY", "AAPL", ".SPXW261218C5700"])
        #expect(!out.stdout.contains("?"), "every pair has a value")
        #expect(out.stderr.contains("3 of 3 symbols complete (Quote, Greeks) in "))
    }

    @Test("json: every pair's whole record, and complete true")
    func json() async throws {
        let dir = try temporaryDirectory()
        let out = try await SluiceProcess.run(["snapshot", "SPY", "--events", "Quote,Summary", "--simulate", "--format", "json"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
        #expect(object?["complete"] as? Bool == true)
        let spy = (object?["symbols"] as? [[String: Any]])?.first
        #expect(spy?["symbol"] as? String == "SPY")
        #expect((spy?["Quote"] as? [String: Any])?["event_type"] as? String == "Quote")
        #expect((spy?["Summary"] as? [String: Any])?["prev_day_close_price"] is Double)
        #expect((object?["missing"] as? [Any])?.isEmpty == true)
    }

    @Test("a symbol the server never serves: the others are printed, the missing pair is named with its reason, exit 3")
    func incomplete() async throws {
        let dir = try temporaryDirectory()
        let simulator = try SluiceProcess(["simulate", "--token", "t", "--unserved", "NOPE"], directory: dir)
        defer { simulator.signal(SIGTERM) }
        var url = ""
        try await waitUntil("the simulator's URL") {
            let text = (try? String(contentsOf: simulator.stdoutURL, encoding: .utf8)) ?? ""
            url = text.split(separator: "\n").first?.split(separator: " ").first { $0.hasPrefix("ws://") }.map(String.init) ?? ""
            return url.hasPrefix("ws://")
        }
        let out = try await SluiceProcess.run(["snapshot", "SPY", "NOPE", "--url", url, "--token", "t", "--timeout", "1s", "--format", "csv"], in: dir)
        #expect(out.status == 3, "\(out.stderr)")
        let lines = out.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "symbol,Quote.bid_price,Quote.ask_price,Quote.bid_size,Quote.ask_size")
        #expect(lines.dropFirst().first?.hasPrefix("SPY,") == true && lines.dropFirst().first?.contains(",,") == false)
        #expect(lines.dropFirst(2).first == "NOPE,,,,")
        #expect(out.stderr.contains("1 of 2 symbols complete (Quote) in "))
        #expect(out.stderr.contains("missing: NOPE Quote: no data before the timeout"))
    }

    @Test("a feed that never subscribes is a failure (exit 1) that says why; bad input is exit 2")
    func failures() async throws {
        let dir = try temporaryDirectory()
        let refused = try await SluiceProcess.run(["snapshot", "SPY", "--url", "ws://127.0.0.1:1", "--token", "secret-token-value", "--timeout", "300ms"], in: dir)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("missing: SPY Quote: the feed was never subscribed"))
        #expect(!refused.stderr.contains("secret-token-value") && !refused.stdout.contains("secret-token-value"))
        let badEvent = try await SluiceProcess.run(["snapshot", "SPY", "--events", "Quote,Bogus", "--simulate"], in: dir)
        #expect(badEvent.status == 2)
        #expect(badEvent.stderr.contains("unknown event type \"Bogus\""))
        let noFeed = try await SluiceProcess.run(["snapshot", "SPY"], in: dir, environment: ["TASTYTRADE_CLIENT_SECRET": "", "TASTYTRADE_REFRESH_TOKEN": ""])
        #expect(noFeed.status == 2)
        #expect(noFeed.stderr.contains("no feed: give --simulate"))
    }
}
