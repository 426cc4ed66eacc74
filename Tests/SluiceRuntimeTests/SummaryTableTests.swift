@testable import SluiceRuntime
import Testing

/// The summary table says what happened on each edge, each count in its own column.
@Suite("summary table")
struct SummaryTableTests {
    static func stage(_ id: String, _ role: String, in eventsIn: Int, out: Int, dropped: Int = 0, conflated: Int = 0, capacity: Int = 64) -> StageReport {
        StageReport(id: id, kind: id, role: role, eventsIn: eventsIn, eventsOut: out, errors: 0, skipped: 0, restarts: 0,
                    dropped: dropped, abandoned: 0, conflated: conflated, queueDepth: 0, queueHighWaterMark: 8,
                    queueCapacity: capacity, queuePolicy: "conflate")
    }

    @Test("conflations have their own column, apart from drops; a sink shows no output rate")
    func columns() {
        let report = PipelineReport(name: "board", outcome: .completed, durationSeconds: 2, stages: [
            Self.stage("gen", "source", in: 0, out: 1000, capacity: 0),
            Self.stage("board", "sink", in: 400, out: 0, dropped: 0, conflated: 600),
        ], error: nil, failure: nil)
        let lines = report.table.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(lines[1] == ["stage", "kind", "in", "out", "out/s", "errors", "skipped", "dropped", "conflated", "queue", "hwm"])
        #expect(lines[3] == ["gen", "gen", "-", "1000", "500", "0", "0", "-", "-", "-"])
        #expect(lines[4] == ["board", "board", "400", "-", "-", "0", "0", "0", "600", "8/64"], "600 conflated, none dropped")
    }

    @Test("without conflations there is no conflated column")
    func noConflatedColumn() {
        let report = PipelineReport(name: "p", outcome: .completed, durationSeconds: 1, stages: [
            Self.stage("gen", "source", in: 0, out: 10, capacity: 0), Self.stage("out", "sink", in: 10, out: 0),
        ], error: nil, failure: nil)
        #expect(!report.table.contains("conflated"))
    }
}
