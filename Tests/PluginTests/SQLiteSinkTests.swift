import Candles
import Foundation
import GRDB
import MarketData
import SQLiteSink
import SluiceCore
import SluiceRuntime
import SluiceStages
import SluiceTesting
import Testing

@Suite("sqlite sink")
struct SQLiteSinkTests {
    func bar(_ minute: Int64, close: Double, state: Bar.State, symbol: String = "SPY") -> Bar {
        let start = Timestamp(millisecondsSinceEpoch: 1_704_153_600_000 + minute * 60_000)
        return Bar(symbol: symbol, period: "1m", start: start, end: start.advanced(by: .seconds(60)), open: 100, high: max(100, close),
                   low: min(100, close), close: close, volume: 10, vwap: .nan, tradeCount: 3, state: state, completeness: .complete)
    }

    func write(_ bars: [Bar], to path: String, extra: String = "") async throws -> StageRun<Never> {
        let configuration = try StageHarness.configuration(SQLiteSink<Bar>.Configuration.self, json: #"{"path": "\#(path)"\#(extra)}"#)
        return try await StageHarness.run(SQLiteSink<Bar>.self, configuration: configuration, input: bars, batchSize: 2)
    }

    @Test("bars are upserted on symbol, period and start: updates, finals and revisions leave one row per candle")
    func upsert() async throws {
        let path = temporaryDirectory("sqlite") + "/bars.sqlite"
        _ = try await write([
            bar(0, close: 101, state: .open), bar(0, close: 102, state: .open), bar(0, close: 103, state: .final),
            bar(1, close: 99, state: .final), bar(0, close: 104, state: .revision), bar(0, close: 105, state: .final, symbol: "QQQ"),
        ], to: path)
        let db = try DatabaseQueue(path: path)
        let rows = try db.read { db in
            try Row.fetchAll(db, sql: "SELECT symbol, start, close, state, vwap FROM bar ORDER BY symbol, start")
        }
        #expect(rows.count == 3)
        #expect(rows.map { $0["symbol"] as String } == ["QQQ", "SPY", "SPY"])
        #expect(rows[1]["close"] as Double == 104 && rows[1]["state"] as String == "revision")
        #expect(rows[1]["start"] as String == "2024-01-02T00:00:00.000Z")
        #expect((rows[1]["vwap"] as Double?) == nil, "NaN is stored as NULL")
        let mode = try await db.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let indexes = try await db.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bar'") }
        #expect(Set(indexes).isSuperset(of: ["bar_symbol", "bar_start", "bar_key"]))
    }

    @Test("table names are configurable, times can be epoch milliseconds, and records without a key are appended")
    func tablesAndPlainInserts() async throws {
        let path = temporaryDirectory("sqlite") + "/rows.sqlite"
        let t = Timestamp(millisecondsSinceEpoch: 1_704_153_600_000)
        let rows = (0..<3).map { _ in SampleRow(symbol: "SPY", time: t, price: 1.5, size: 2, note: "same", flag: true) }
        let configuration = try StageHarness.configuration(SQLiteSink<SampleRow>.Configuration.self, json: #"{"path": "\#(path)", "tables": {"row": "ticks"}, "time_format": "epoch_ms"}"#)
        _ = try await StageHarness.run(SQLiteSink<SampleRow>.self, configuration: configuration, input: rows)
        let db = try DatabaseQueue(path: path)
        let (count, time, flag) = try await db.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ticks")!, try Int64.fetchOne(db, sql: "SELECT time FROM ticks LIMIT 1")!,
             try Int.fetchOne(db, sql: "SELECT flag FROM ticks LIMIT 1")!)
        }
        #expect(count == 3 && time == 1_704_153_600_000 && flag == 1)
    }

    @Test("on start the sink reports the newest stored candle per symbol and period, for the dxlink source to resume from")
    func newestStoredCandles() async throws {
        let path = temporaryDirectory("sqlite") + "/bars.sqlite"
        _ = try await write([bar(0, close: 1, state: .final), bar(7, close: 1, state: .final), bar(3, close: 1, state: .final, symbol: "QQQ")], to: path)
        let shared = SharedValues()
        let configuration = try StageHarness.configuration(SQLiteSink<Bar>.Configuration.self, json: #"{"path": "\#(path)"}"#)
        _ = try SQLiteSink<Bar>(configuration: configuration, context: StageContext(stageID: "db", kind: "sqlite", logger: .init(label: "test"), shared: shared))
        let newest = try #require(shared[NewestStoredCandles.self])
        #expect(newest[CandleSeries(symbol: "SPY", period: "1m")] == bar(7, close: 1, state: .final).start)
        #expect(newest[CandleSeries(symbol: "QQQ", period: "1m")] == bar(3, close: 1, state: .final).start)
        #expect(NewestStoredCandles.newest(in: newest, symbol: "SPY", period: "60s") == bar(7, close: 1, state: .final).start)
    }

    @Test("a directory as the database path is rejected at validation")
    func directoryRejected() async throws {
        let dir = temporaryDirectory("sqlite")
        #expect {
            _ = try StageHarness.configuration(SQLiteSink<Bar>.Configuration.self, json: #"{"path": "\#(dir)"}"#)
        } throws: { error in
            "\(error)".contains("\"\(dir)\" is a directory")
        }
    }

    @Test("a database that cannot be opened at run time (its path became a directory) fails the stage with the path in the message")
    func openFailure() async throws {
        let dir = temporaryDirectory("sqlite") + "/later"
        let configuration = try StageHarness.configuration(SQLiteSink<Bar>.Configuration.self, json: #"{"path": "\#(dir)"}"#)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        #expect {
            _ = try SQLiteSink<Bar>(configuration: configuration, context: StageContext(stageID: "db", kind: "sqlite", logger: .init(label: "test")))
        } throws: { error in
            "\(error)".contains(dir)
        }
    }
}
