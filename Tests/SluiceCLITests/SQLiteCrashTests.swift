import Foundation
import GRDB
import Testing

@Suite("sqlite sink in a real process")
struct SQLiteCrashTests {
    @Test("after kill -9 mid-write the database opens, passes PRAGMA integrity_check and keeps the committed rows")
    func killNine() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("ticks.sqlite").path
        let pipeline = dir.appendingPathComponent("crash.json")
        try """
        {"name": "crash", "stages": [
          {"id": "gen", "kind": "generate", "config": {"symbols": ["SPY", "QQQ", "IWM"]}},
          {"id": "db", "kind": "sqlite", "from": "gen", "config": {"path": "\(db)", "batch_rows": 2000, "batch_interval": "20ms"}}
        ]}
        """.write(to: pipeline, atomically: true, encoding: .utf8)
        let process = try SluiceProcess(["run", pipeline.path], directory: dir)
        func committedRows() -> Int {
            guard FileManager.default.fileExists(atPath: db), let queue = try? DatabaseQueue(path: db) else { return 0 }
            return (try? queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM tick") ?? 0 }) ?? 0
        }
        try await waitUntil("50 000 rows committed") { committedRows() >= 50_000 }
        process.signal(SIGKILL)
        let result = await process.wait()
        #expect(result.status == SIGKILL || result.status != 0)

        let queue = try DatabaseQueue(path: db)
        let check = try await queue.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
        #expect(check == ["ok"])
        let rows = try await queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM tick") ?? 0 }
        #expect(rows >= 50_000)
        let sequences = try await queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(DISTINCT sequence) FROM tick") ?? 0 }
        #expect(sequences == rows, "no row is written twice")
    }
}
