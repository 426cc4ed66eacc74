import CSVSink
import Foundation
import MarketData
import SluiceCore
import SluiceQueue
import SluiceRuntime
import SluiceStages
import SluiceTesting
import Testing

func temporaryDirectory(_ name: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(name)-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func readText(_ path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}

/// A small record with every column type, for sink tests.
struct SampleRow: Record {
    var symbol: String
    var time: Timestamp
    var price: Double
    var size: Int64
    var note: String
    var flag: Bool

    static let rowSchema = RecordSchema(recordType: "row", columns: [
        Column("symbol", .string), Column("time", .time), Column("price", .double), Column("size", .int),
        Column("note", .string), Column("flag", .bool),
    ])
    var schema: RecordSchema { Self.rowSchema }
    static var declaredFields: [Column]? { rowSchema.columns }
    func value(at index: Int) -> FieldValue {
        switch index {
        case 0: return .string(symbol)
        case 1: return .time(time)
        case 2: return .double(price)
        case 3: return .int(size)
        case 4: return .string(note)
        case 5: return .bool(flag)
        default: return .null
        }
    }
}

@Suite("csv sink")
struct CSVSinkTests {
    func run(_ config: String, _ rows: [SampleRow]) async throws -> StageRun<Never> {
        let configuration = try StageHarness.configuration(CSVSink<SampleRow>.Configuration.self, json: config)
        return try await StageHarness.run(CSVSink<SampleRow>.self, configuration: configuration, input: rows)
    }

    @Test("rows follow RFC 4180: quoting, doubled quotes, CRLF, shortest numbers, NaN empty, ISO-8601 UTC times")
    func rfc4180() async throws {
        let dir = temporaryDirectory("csv")
        let path = "\(dir)/rows.csv"
        let t = Timestamp(millisecondsSinceEpoch: 1_704_153_600_123)
        _ = try await run(#"{"path": "\#(path)"}"#, [
            SampleRow(symbol: "SPY", time: t, price: 101.25, size: 3, note: "plain", flag: true),
            SampleRow(symbol: "A,B", time: t, price: .nan, size: -7, note: "say \"hi\"\nthere", flag: false),
            SampleRow(symbol: "X", time: t, price: 100, size: 0, note: "", flag: false),
            SampleRow(symbol: "Y", time: t, price: 0.1 + 0.2, size: 1, note: "", flag: false),
        ])
        #expect(readText(path) == "symbol,time,price,size,note,flag\r\n"
            + "SPY,2024-01-02T00:00:00.123Z,101.25,3,plain,true\r\n"
            + "\"A,B\",2024-01-02T00:00:00.123Z,,-7,\"say \"\"hi\"\"\nthere\",false\r\n"
            + "X,2024-01-02T00:00:00.123Z,100,0,,false\r\n"
            + "Y,2024-01-02T00:00:00.123Z,0.30000000000000004,1,,false\r\n")
    }

    @Test("appending to an existing file adds no second header and keeps the file's column order")
    func appendNoHeader() async throws {
        let dir = temporaryDirectory("csv")
        let path = "\(dir)/rows.csv"
        try "price,symbol\n".write(toFile: path, atomically: true, encoding: .utf8)
        let t = Timestamp(millisecondsSinceEpoch: 0)
        _ = try await run(#"{"path": "\#(path)", "line_ending": "lf", "time_format": "epoch_ms"}"#, [SampleRow(symbol: "SPY", time: t, price: 5, size: 1, note: "", flag: true)])
        _ = try await run(#"{"path": "\#(path)", "line_ending": "lf"}"#, [SampleRow(symbol: "QQQ", time: t, price: 6, size: 1, note: "", flag: true)])
        #expect(readText(path) == "price,symbol\n5,SPY\n6,QQQ\n")
    }

    @Test("a new file gets a header once; records whose columns the file lacks are counted and skipped")
    func headerOnceAndMismatch() async throws {
        let dir = temporaryDirectory("csv")
        let path = "\(dir)/out.csv"
        let t = Timestamp(millisecondsSinceEpoch: 60_000)
        let config = try StageHarness.configuration(CSVSink<FieldRecord>.Configuration.self, json: #"{"path": "\#(path)", "line_ending": "lf", "time_format": "epoch_ms"}"#)
        let a = RecordSchema(recordType: "a", columns: [Column("symbol", .string), Column("time", .time)])
        let b = RecordSchema(recordType: "b", columns: [Column("symbol", .string), Column("extra", .int)])
        let run = try await StageHarness.run(CSVSink<FieldRecord>.self, configuration: config, input: [
            FieldRecord(schema: a, values: [.string("S1"), .time(t)]),
            FieldRecord(schema: b, values: [.string("S2"), .int(9)]),
            FieldRecord(schema: a, values: [.string("S3"), .time(t)]),
        ])
        #expect(readText(path) == "symbol,time\nS1,60000\nS3,60000\n")
        #expect(run.counters.skipped.value == 1)
    }

    @Test("{symbol}, {type} and {date} templates split the stream into files")
    func templates() async throws {
        let dir = temporaryDirectory("csv")
        let day1 = Timestamp(millisecondsSinceEpoch: 1_704_153_600_000)
        let day2 = day1.advanced(by: .seconds(86_400))
        _ = try await run(#"{"path": "\#(dir)/{type}/{symbol}-{date}.csv", "line_ending": "lf"}"#, [
            SampleRow(symbol: "SPY", time: day1, price: 1, size: 1, note: "", flag: true),
            SampleRow(symbol: "/ESZ25:XCME", time: day1, price: 2, size: 1, note: "", flag: true),
            SampleRow(symbol: "SPY", time: day2, price: 3, size: 1, note: "", flag: true),
        ])
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/row").sorted()
        #expect(files == ["SPY-2024-01-02.csv", "SPY-2024-01-03.csv", "_ESZ25_XCME-2024-01-02.csv"])
        #expect(readText("\(dir)/row/SPY-2024-01-03.csv") == "symbol,time,price,size,note,flag\nSPY,2024-01-03T00:00:00.000Z,3,1,,true\n")
    }

    @Test("rotate: size renames the full file and starts a new one with its own header")
    func sizeRotation() async throws {
        let dir = temporaryDirectory("csv")
        let path = "\(dir)/big.csv"
        let t = Timestamp(millisecondsSinceEpoch: 0)
        let rows = (0..<200).map { SampleRow(symbol: "S\($0)", time: t, price: Double($0), size: 1, note: String(repeating: "x", count: 40), flag: true) }
        let config = #"{"path": "\#(path)", "rotate": "size", "max_bytes": 1024, "line_ending": "lf"}"#
        let configuration = try StageHarness.configuration(CSVSink<SampleRow>.Configuration.self, json: config)
        _ = try await StageHarness.run(CSVSink<SampleRow>.self, configuration: configuration, input: rows, batchSize: 10)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(files.count > 1)
        var dataLines = 0
        for file in files {
            let lines = readText("\(dir)/\(file)").split(separator: "\n")
            #expect(lines.first == "symbol,time,price,size,note,flag", "\(file) starts with the header")
            dataLines += lines.count - 1
        }
        #expect(dataLines == 200, "no row is lost or repeated across rotations")
    }

    @Test("rows are flushed on the clock while the input stays open")
    func periodicFlush() async throws {
        let dir = temporaryDirectory("csv")
        let path = "\(dir)/live.csv"
        let clock = ManualClock()
        let plan = try TestPipeline("""
        {"name": "flush", "stages": [
          {"id": "gen", "kind": "generate", "config": {"symbols": ["SPY"], "count": 5}},
          {"id": "csv", "kind": "csv", "from": "gen", "config": {"path": "\(path)", "flush_interval": "1s"}}
        ]}
        """, registry: .all).plan()
        #expect(plan.stages.count == 2)
        let configuration = try StageHarness.configuration(CSVSink<SampleRow>.Configuration.self, json: #"{"path": "\#(path)", "flush_interval": "1s", "line_ending": "lf"}"#)
        let queue = BatchQueue<SampleRow>(capacity: 16)
        let context = StageContext(stageID: "csv", kind: "csv", logger: .init(label: "test"), clock: clock)
        let stage = try CSVSink<SampleRow>(configuration: configuration, context: context)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await stage.run(input: Inbound(queue: queue), output: Outbound(queues: [])) }
            try await queue.send([SampleRow(symbol: "SPY", time: clock.now, price: 1, size: 1, note: "", flag: true)])
            try await clock.waitForSleepers(1)
            #expect(readText(path).isEmpty, "nothing is written before the flush interval")
            #expect(try await eventually(within: .seconds(120)) {
                clock.advance(by: .seconds(1))  // a tick at a time until the row has been flushed
                return readText(path) == "symbol,time,price,size,note,flag\n" + "SPY,2023-11-14T22:13:20.000Z,1,1,,true\n"
            })
            queue.finishProducing()
            try await group.waitForAll()
        }
    }
}

extension CSVSinkTests {
    @Test("rotate: daily renames yesterday's file with its date when the UTC day changes; the new file gets a header")
    func dailyRotation() async throws {
        let dir = temporaryDirectory("csv")
        let path = "\(dir)/daily.csv"
        let clock = ManualClock()  // 2023-11-14T22:13:20Z
        let configuration = try StageHarness.configuration(CSVSink<SampleRow>.Configuration.self, json: #"{"path": "\#(path)", "rotate": "daily", "line_ending": "lf", "time_format": "epoch_ms"}"#)
        let queue = BatchQueue<SampleRow>(capacity: 16)
        let stage = try CSVSink<SampleRow>(configuration: configuration, context: StageContext(stageID: "csv", kind: "csv", logger: .init(label: "test"), clock: clock))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await stage.run(input: Inbound(queue: queue), output: Outbound(queues: [])) }
            try await queue.send([SampleRow(symbol: "D1", time: clock.now, price: 1, size: 1, note: "", flag: true)])
            // The first flush writes D1 to the day's file; two hours later (00:13 UTC) the next tick renames it.
            #expect(try await eventually(within: .seconds(120)) {
                clock.advance(by: .seconds(1))
                return readText(path).contains("D1,")
            })
            try await clock.waitForSleepers(1)
            clock.advance(by: .seconds(7200))
            #expect(try await eventually(within: .seconds(120)) { FileManager.default.fileExists(atPath: "\(dir)/daily.2023-11-14.csv") })
            try await queue.send([SampleRow(symbol: "D2", time: clock.now, price: 2, size: 1, note: "", flag: true)])
            queue.finishProducing()
            try await group.waitForAll()
        }
        #expect(readText("\(dir)/daily.2023-11-14.csv") == "symbol,time,price,size,note,flag\nD1,1700000000000,1,1,,true\n")
        let today = readText(path)
        #expect(today.hasPrefix("symbol,time,price,size,note,flag\nD2,"))
    }
}
