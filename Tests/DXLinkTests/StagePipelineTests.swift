import BuiltinStages
import DXLink
import Foundation
import MarketData
import SluiceCore
import SluiceRuntime
import SluiceTesting
import Testing

@Suite("dxlink, dxlink_decode, record and replay in pipelines")
struct StagePipelineTests {
    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(UUID().uuidString)-\(name)").path
    }

    /// One JSON line per record: a faithful rendering for comparing streams (NaN fields included).
    func lines(_ records: [any Record]) -> [String] {
        records.map { r in
            var w = JSONWriter()
            w.record(r, timesAsMilliseconds: true)
            return w.string
        }
    }

    static func candles(_ records: [any Record], _ symbol: String) -> [Candle] {
        records.compactMap { ($0 as? MarketEvent).flatMap { if case .candle(let c) = $0, c.eventSymbol == symbol { c } else { nil } } }
    }

    @Test("a replayed recording decodes to exactly the live events, snapshots and feed states included")
    func recordReplay() async throws {
        let recording = temporaryPath("rec.jsonl")
        defer { try? FileManager.default.removeItem(atPath: recording) }
        let live = TestPipeline("""
        {"name": "live", "stages": [
          {"id": "feed", "kind": "dxlink", "config": {"simulate": {"rate": 20000, "max_events": 3000},
             "symbols": ["AAPL", "SPY"], "events": ["Quote", "Trade", "Greeks"],
             "candles": {"symbols": ["SPY"], "periods": ["1m", "5m"], "from": "3h"}}},
          {"id": "rec", "kind": "record", "from": "feed", "config": {"path": "\(recording)"}},
          {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
          {"id": "out", "kind": "collect", "from": "decode"}
        ]}
        """, registry: .marketData)
        // A live source runs until shutdown: stop once the simulator's events and the 1m history are in.
        let liveRun = try await live.run { pipeline in
            _ = try await eventually(within: .seconds(120)) {
                let out = CollectStore.current?.records("out") ?? []
                return out.count > 3000 && Self.candles(out, "SPY{=1m}").count >= 170
            }
            pipeline.requestShutdown()
        }
        let liveEvents = lines(liveRun.records("out"))
        #expect(liveEvents.count > 3000)
        let replay = TestPipeline("""
        {"name": "replay", "stages": [
          {"id": "feed", "kind": "replay", "config": {"path": "\(recording)", "speed": "max"}},
          {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
          {"id": "out", "kind": "collect", "from": "decode"}
        ]}
        """, registry: .marketData)
        let replayed = lines(try await replay.run().records("out"))
        #expect(replayed.count == liveEvents.count)
        let firstDifference = zip(replayed, liveEvents).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "first difference at \(firstDifference ?? -1)")
        // History was merged: per candle symbol, the snapshot came out oldest first without duplicates.
        let oneMinute = Self.candles(liveRun.records("out"), "SPY{=1m}")
        let historyTimes = oneMinute.prefix(170).map(\.time)
        #expect(historyTimes.count >= 170)
        #expect(zip(historyTimes, historyTimes.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test("replay skips unreadable lines, counts them and names the line")
    func replayBadLines() async throws {
        let path = temporaryPath("bad.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = """
        {"layout":1,"channel":7,"format":"COMPACT","fields":{"Quote":["eventSymbol","bidPrice"]}}
        {"t":1,"epoch":1,"layout":1,"frame":"{\\"type\\":\\"FEED_DATA\\",\\"channel\\":7,\\"data\\":[\\"Quote\\",[\\"AAPL\\",1.5]]}"}
        this is not json
        {"t":2,"epoch":1,"layout":9,"frame":"{}"}
        {"t":3,"epoch":1,"layout":1,"frame":"{\\"type\\":\\"FEED_DATA\\",\\"channel\\":7,\\"data\\":[\\"Quote\\",[\\"MSFT\\",2.5]]}"}
        """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let run = try await TestPipeline("""
        {"name": "r", "stages": [
          {"id": "feed", "kind": "replay", "config": {"path": "\(path)", "speed": "max"}},
          {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
          {"id": "out", "kind": "collect", "from": "decode"}
        ]}
        """, registry: .marketData).run()
        #expect(run.rows("out").map { $0["symbol"] } == [.string("AAPL"), .string("MSFT")])
        #expect(run.report.stages.first { $0.id == "feed" }?.skipped == 2)
    }

    @Test("validation: dxlink needs url and token, or simulate; the token is a secret")
    func validation() throws {
        let bad = TestPipeline("""
        {"name": "v", "stages": [
          {"id": "feed", "kind": "dxlink", "config": {"url": "https://example.com", "symbols": ["SPY"]}},
          {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
          {"id": "out", "kind": "null", "from": "decode"}
        ]}
        """, registry: .marketData)
        let error = #expect(throws: ValidationFailure.self) { try bad.plan() }
        let messages = error?.diagnostics.map(\.description).joined(separator: "\n") ?? ""
        #expect(messages.contains("/stages/0/config/url"))
        #expect(messages.contains("/stages/0/config/token"))
        #expect(DXLinkSourceStage.Configuration.spec.field(named: "token")?.isSecret == true)
    }
}
