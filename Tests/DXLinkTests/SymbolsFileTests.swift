@testable import BuiltinStages
import DXLink
import DXLinkSimulator
import Foundation
import MarketData
import SluiceCore
import SluiceRuntime
import SluiceTesting
import Testing

/// The `symbols_file` of a `dxlink` source: what a watchlist may hold, and a running pipeline that follows
/// it — the difference applied live on the same connection, each change in-band as `Universe` records.
@Suite("symbols_file: a watchlist followed live")
struct SymbolsFileTests {
    @Test("one symbol per line; comments, blank lines, surrounding spaces and repeats are ignored")
    func parsing() throws {
        let text = "# watchlist\n\nSPY\n  AAPL   # the phone\n/ESZ26:XCME\r\n.SPXW261218C5700\nSPY\n"
        #expect(try SymbolsFile.parse(text, path: "w.txt") == ["SPY", "AAPL", "/ESZ26:XCME", ".SPXW261218C5700"])
        #expect(try SymbolsFile.parse("", path: "w.txt") == [])
    }

    @Test("a line that is not one streamer symbol is an error naming the file and the line", arguments: [
        ("SPY\nSPY   261218C00590000\n", "w.txt:2: \"SPY   261218C00590000\" is not a streamer symbol"),
        ("A\u{0}B", "w.txt:1: "),
        (String(repeating: "X", count: 200), "w.txt:1: a symbol of 200 bytes; expected at most 128"),
    ])
    func rejected(text: String, message: String) {
        #expect {
            try SymbolsFile.parse(text, path: "w.txt")
        } throws: { error in
            (error as? SymbolsFile.Problem)?.description.hasPrefix(message) == true
        }
    }

    @Test("random bytes: never a crash, and every symbol accepted is printable, unspaced and at most 128 bytes", arguments: 0..<8)
    func randomText(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let alphabet = Array("AZ09./:# \t\r\n{}=".unicodeScalars) + ["\u{0}", "\u{7F}", "é"]
        for _ in 0..<300 {
            let text = String(String.UnicodeScalarView((0..<Int(rng.next() % 300)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }))
            guard let symbols = try? SymbolsFile.parse(text, path: "r") else { continue }
            #expect(symbols.allSatisfy { s in !s.isEmpty && s.utf8.count <= 128 && !s.contains("#") && s.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F } })
            #expect(Set(symbols).count == symbols.count)
        }
    }

    @Test("the universe's layers: operator requests add API symbols and remove only those; the file and the pipeline file keep theirs")
    func universeLayers() {
        var u = SourceUniverse(configured: [FeedSubscription(type: "Quote", symbol: "SPY")], events: ["Quote"])
        let t = Timestamp(millisecondsSinceEpoch: 0)
        _ = u.setFileSymbols(["AAPL"], at: t)
        let first = u.apply(SubscriptionRequest(add: ["QQQ", "SPY", "AAPL"], remove: ["SPY", "MSFT"]), at: t)
        #expect(first.reply.added == ["QQQ"])
        #expect(first.reply.unchanged.map { "\($0.symbol): \($0.reason)" } == [
            "SPY: configured in the pipeline file; only symbols added through the API can be removed here",
            "MSFT: not subscribed; only symbols added through the API can be removed here",
            "SPY: already subscribed", "AAPL: already subscribed",
        ])
        #expect(first.change.add == [FeedSubscription(type: "Quote", symbol: "QQQ")])
        #expect(first.change.changes.map { "\($0.change) \($0.symbol) \($0.reason)" } == ["added QQQ api"])
        // The file gains QQQ too: removing it through the API leaves it subscribed.
        _ = u.setFileSymbols(["AAPL", "QQQ"], at: t)
        let second = u.apply(SubscriptionRequest(add: [], remove: ["QQQ"]), at: t)
        #expect(second.change.remove.isEmpty)
        #expect(second.reply.unchanged.map(\.reason) == ["still in the symbols file"])
        #expect(u.subscriptions.map(\.symbol) == ["SPY", "AAPL", "QQQ"])
    }

    static func universe() -> [String] {
        (CollectStore.current?.records("out") ?? []).compactMap { ($0 as? MarketEvent).flatMap { if case .universe(let u) = $0 { "\(u.change.rawValue) \(u.symbol) \(u.eventTypes.joined(separator: "+")) \(u.reason.rawValue)" } else { nil } } }
    }

    static func quotes(_ symbol: String) -> Int {
        (CollectStore.current?.records("out") ?? []).count { ($0 as? MarketEvent).map { if case .quote(let q) = $0 { q.eventSymbol == symbol } else { false } } ?? false }
    }

    @Test("the file changes mid-run: the source removes and adds exactly the difference on the same connection, says so downstream, and keeps the last good set when the file turns bad")
    func followed() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(UUID().uuidString)-watchlist.txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "AAPL\nMSFT\n".write(toFile: path, atomically: true, encoding: .utf8)
        let clock = ManualClock()
        let logs = LogCapture()
        try await DXLinkSimulator.withRunning(simulatorConfiguration(), clock: clock) { sim in
            let pipeline = TestPipeline("""
            {"name": "watchlist", "stages": [
              {"id": "feed", "kind": "dxlink", "config": {"url": "\(sim.url)", "token": "secret-token",
                 "symbols": ["SPY"], "symbols_file": "\(path)", "events": ["Quote", "Trade"], "symbols_file_poll": "1s"}},
              {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
              {"id": "out", "kind": "collect", "from": "decode"}
            ]}
            """, registry: .marketData)
            _ = try await pipeline.run(clock: clock, logger: logs.logger()) { p in
                #expect(try await eventually { Self.quotes("MSFT") > 0 && Self.quotes("SPY") > 0 })
                #expect(Self.universe() == ["added SPY Quote+Trade configured", "added AAPL Quote+Trade file", "added MSFT Quote+Trade file"])
                // The watchlist loses MSFT and gains QQQ (and names SPY, which is configured anyway).
                try "AAPL\nQQQ\nSPY\n".write(toFile: path, atomically: true, encoding: .utf8)
                clock.advance(by: .seconds(1))
                #expect(try await eventually { Self.quotes("QQQ") > 0 })
                #expect(Self.universe().dropFirst(3) == ["removed MSFT Quote+Trade file", "added QQQ Quote+Trade file"])
                // A bad line: the last good list stays, and the log says why.
                try "AAPL\nnot a symbol\n".write(toFile: path, atomically: true, encoding: .utf8)
                clock.advance(by: .seconds(1))
                #expect(try await eventually { logs.text.contains("symbols file not applied") })
                p.requestShutdown()
            }
            #expect(sim.statistics.connections == 1, "no reconnect for a change")
            let messages = (sim.statistics.messages[1] ?? []).compactMap { m -> String? in
                guard case .feedSubscription(_, let reset, let add, let remove) = m else { return nil }
                return "\(reset ? "reset " : "")" + (add.map { "+\($0.type) \($0.symbol)" } + remove.map { "-\($0.type) \($0.symbol)" }).joined(separator: ", ")
            }
            #expect(messages.filter { !$0.hasPrefix("reset") } == ["-Quote MSFT", "+Quote QQQ", "-Trade MSFT", "+Trade QQQ"])
            let warning = logs.text.split(separator: "\n").first { $0.contains("symbols file not applied") }.map(String.init) ?? ""
            #expect(warning.contains("watchlist.txt:2:") && warning.contains("not a symbol"), "\(warning)")
        }
    }
}
