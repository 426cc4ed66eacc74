import Candles
import DXLink
import DXLinkSimulator
import Foundation
import GRDB
import MarketData
import SluiceCore
import SluiceQueue
import SluiceRuntime
import SluiceStages
import SluiceTesting
import Testing

@Suite("candles in pipelines")
struct CandlePipelineTests {
    @Test("a quiet symbol's candle closes on the stage's clock, with the input still open")
    func clockCloseInStage() async throws {
        let clock = ManualClock(now: at(0.5))
        let configuration = try StageHarness.configuration(CandlesStage.Configuration.self, json: #"{"periods": ["1m"], "updates": false, "tick": "1s"}"#)
        let input = BatchQueue<MarketEvent>(capacity: 16)
        let output = BatchQueue<Bar>(capacity: 16)
        let stage = CandlesStage(configuration: configuration, context: StageContext(stageID: "bars", kind: "candles", logger: .init(label: "test"), clock: clock))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { output.finishProducing() }
                try await stage.run(input: Inbound(queue: input), output: Outbound(queues: [output]))
            }
            try await input.send([trade("SPY", 0.5, 100), trade("SPY", 0.6, 101)])
            var received: [Bar] = []
            while clock.now < at(1.05) {  // one tick at a time, each once the stage waits for it, until the minute is over
                try await clock.waitForSleepers(1)
                clock.advance(by: .seconds(1))
            }
            received = try await output.next() ?? []
            #expect(received.map(\.state) == [.final])
            #expect(received.first?.close == 101 && received.first?.start == at(0))
            input.finishProducing()
            try await group.waitForAll()
        }
    }

    @Test("live candles go to SQLite once per key, and a restarted pipeline asks DXLink for history from the newest stored candle")
    func sqliteAndResume() async throws {
        let dir = temporaryDirectory("pipeline")
        let db = "\(dir)/bars.sqlite"
        var simulator = SimulatorConfiguration()
        simulator.token = "t"
        simulator.rate = 1000
        try await DXLinkSimulator.withRunning(simulator) { sim in
            let text = """
            {"name": "bars", "stages": [
              {"id": "feed", "kind": "dxlink", "config": {"url": "\(sim.url)", "token": "t", "symbols": ["SPY", "AAPL"], "events": ["Trade"],
                 "candles": {"symbols": ["SPY"], "periods": ["1m"], "from": "3h"}}},
              {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
              {"id": "bars", "kind": "candles", "from": "decode", "config": {"periods": ["1m"], "update_interval": "0s"}},
              {"id": "db", "kind": "sqlite", "from": "bars", "config": {"path": "\(db)"}},
              {"id": "out", "kind": "collect", "from": "bars"}
            ]}
            """
            var registry = StageRegistry.all
            registry.register(CollectSink<FieldRecord>.self)
            let first = try await TestPipeline(text, registry: registry).run { try await $0.shutdown(afterStage: "out", received: 200) }
            let bars = first.rows("out")
            #expect(bars.count > 10)
            let keys = Set(bars.map { "\($0["symbol"]!)|\($0["period"]!)|\($0["start"]!)" })
            let queue = try DatabaseQueue(path: db)
            let stored = try await queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM bar") ?? 0 }
            #expect(stored == keys.count, "one row per candle however many updates")
            let newest = try await queue.read { try String.fetchOne($0, sql: "SELECT MAX(start) FROM bar WHERE symbol = 'SPY' AND period = '1m'") }
            let newestMillis = try #require(bars.compactMap { row -> Int64? in
                guard case .string("SPY") = row["symbol"], case .time(let t) = row["start"] else { return nil }
                return t.millisecondsSinceEpoch
            }.max())
            #expect(newest == Timestamp(millisecondsSinceEpoch: newestMillis).iso8601)

            _ = try await TestPipeline(text, registry: registry).run { try await $0.shutdown(afterStage: "out", received: 1) }
            let candleFromTimes = sim.statistics.messages.sorted { $0.key < $1.key }.flatMap(\.value).flatMap { message -> [Int64] in
                guard case .feedSubscription(_, _, let add, _) = message else { return [] }
                return add.filter { $0.type == "Candle" }.compactMap(\.fromTime)
            }
            #expect(candleFromTimes.count == 2)
            #expect(candleFromTimes.last == newestMillis, "the second run resumes from the newest stored candle")
            #expect(candleFromTimes.first! < newestMillis - 2 * 3_600_000, "the first run asked for 3 hours")
        }
    }
}
