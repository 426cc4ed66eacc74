import CSVSink
import Foundation
import SluiceCore
import SluiceQueue
import SluiceTesting
import Testing

/// The `board` sink: the latest row per key, the whole file replaced atomically, never growing.
@Suite("board sink")
struct BoardSinkTests {
    func run(_ config: String, _ rows: [SampleRow]) async throws -> StageRun<Never> {
        let configuration = try StageHarness.configuration(BoardSink<SampleRow>.Configuration.self, json: config)
        return try await StageHarness.run(BoardSink<SampleRow>.self, configuration: configuration, input: rows)
    }

    static func row(_ symbol: String, _ price: Double, at ms: Int64 = 0) -> SampleRow {
        SampleRow(symbol: symbol, time: Timestamp(millisecondsSinceEpoch: ms), price: price, size: 1, note: "", flag: true)
    }

    @Test("one row per key — the latest — in key order, whatever the order and number of updates")
    func latestPerKey() async throws {
        let path = "\(temporaryDirectory("board"))/board.csv"
        _ = try await run(#"{"path": "\#(path)", "key": ["symbol"], "columns": ["symbol", "price"]}"#,
                          [Self.row("SPY", 1), Self.row("AAPL", 2), Self.row("SPY", 3), Self.row("QQQ", 4), Self.row("AAPL", 5)])
        #expect(readText(path) == "symbol,price\r\nAAPL,5\r\nQQQ,4\r\nSPY,3\r\n")
    }

    @Test("json: one array of the latest records; a record without a key field is counted and skipped")
    func json() async throws {
        let path = "\(temporaryDirectory("board"))/board.json"
        let configuration = try StageHarness.configuration(BoardSink<FieldRecord>.Configuration.self, json: #"{"path": "\#(path)", "format": "json", "key": ["symbol"], "time_format": "epoch_ms"}"#)
        let quote = RecordSchema(recordType: "quote", columns: [Column("symbol", .string), Column("bid", .double)])
        let other = RecordSchema(recordType: "other", columns: [Column("name", .string)])
        let run = try await StageHarness.run(BoardSink<FieldRecord>.self, configuration: configuration, input: [
            FieldRecord(schema: quote, values: [.string("B"), .double(1.5)]),
            FieldRecord(schema: other, values: [.string("no symbol")]),
            FieldRecord(schema: quote, values: [.string("A"), .double(2)]),
            FieldRecord(schema: quote, values: [.string("B"), .double(1.75)]),
        ])
        #expect(readText(path) == "[\n{\"symbol\":\"A\",\"bid\":2},\n{\"symbol\":\"B\",\"bid\":1.75}\n]\n")
        #expect(run.counters.skipped.value == 1)
    }

    static let rounds = 40

    @Test("while the board is rewritten again and again, a reader only ever sees a whole board, and no temporary file stays behind")
    func atomicRewrite() async throws {
        let dir = temporaryDirectory("board")
        let path = "\(dir)/live.csv"
        let clock = ManualClock()
        let configuration = try StageHarness.configuration(BoardSink<SampleRow>.Configuration.self, json: #"{"path": "\#(path)", "key": ["symbol"], "columns": ["symbol", "price", "note"], "interval": "1s"}"#)
        let queue = BatchQueue<SampleRow>(capacity: 1024)
        let context = StageContext(stageID: "board", kind: "board", logger: .init(label: "test"), clock: clock)
        let stage = BoardSink<SampleRow>(configuration: configuration, context: context)
        let symbols = (0..<50).map { "SYM\($0)" }
        let reads = try await withThrowingTaskGroup(of: [String].self) { group in
            group.addTask { try await stage.run(input: Inbound(queue: queue), output: Outbound(queues: [])); return [] }
            group.addTask {
                // The reader: every time it looks, the file is absent or one complete board.
                var seen: [String] = []
                while !Task.isCancelled && !readText(path).hasSuffix("SYM9,\(Self.rounds - 1),\(String(repeating: "x", count: 500))\r\n") {
                    let text = readText(path)
                    if !text.isEmpty { seen.append(text) }
                    try? await Task.sleep(for: .milliseconds(1))  // (a poller, not a timer: it only spaces the reads, leaving the writer a core)
                }
                return seen
            }
            for round in 0..<Self.rounds {
                // A long note per row makes each rewrite many write() calls: a torn file would show.
                try await queue.send(symbols.map { SampleRow(symbol: $0, time: clock.now, price: Double(round), size: 1, note: String(repeating: "x", count: 500), flag: true) })
                let before = readText(path)
                #expect(try await eventually {
                    clock.advance(by: .seconds(1))
                    return readText(path) != before
                })
            }
            queue.finishProducing()
            var all: [String] = []
            for try await r in group { all += r }
            return all
        }
        #expect(!reads.isEmpty)
        for text in reads {
            let lines = text.components(separatedBy: "\r\n")
            #expect(lines.first == "symbol,price,note")
            #expect(lines.last == "", "ends with a whole line")
            #expect(lines.count == symbols.count + 2, "a header and one row per symbol, every time")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(left == ["live.csv"])
    }

    @Test("a board whose directory disappears fails the stage, naming the file")
    func unwritable() async throws {
        let dir = temporaryDirectory("board")
        let path = "\(dir)/gone/board.csv"
        let clock = ManualClock()
        let configuration = try StageHarness.configuration(BoardSink<SampleRow>.Configuration.self, json: #"{"path": "\#(path)", "key": ["symbol"]}"#)
        let queue = BatchQueue<SampleRow>(capacity: 16)
        let context = StageContext(stageID: "board", kind: "board", logger: .init(label: "test"), clock: clock)
        let stage = BoardSink<SampleRow>(configuration: configuration, context: context)
        let ended = ShutdownSignal()
        let error = await #expect(throws: StageError.self) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { ended.trigger() }
                    try await stage.run(input: Inbound(queue: queue), output: Outbound(queues: []))
                }
                try await queue.send([Self.row("SPY", 1)])
                try await clock.waitForSleepers(1)
                try FileManager.default.removeItem(atPath: "\(dir)/gone")
                #expect(try await eventually {
                    clock.advance(by: .seconds(1))
                    return ended.isRequested
                })
                try await group.waitForAll()
            }
        }
        #expect(error?.description.contains("cannot open \"\(path).tmp-") == true, "\(String(describing: error))")
        #expect(error?.description.contains("No such file or directory") == true)
    }
}
