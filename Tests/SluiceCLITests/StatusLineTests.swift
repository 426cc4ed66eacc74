import Foundation
@testable import SluiceCLI
@testable import SluiceRuntime
import Testing

/// The live status line: rates out of each stage (a sink: in), cut to the terminal, never glued to the
/// log lines around it.
@Suite("status line")
struct StatusLineTests {
    static func stage(_ id: String, _ role: String, in eventsIn: Int, out: Int) -> StageReport {
        StageReport(id: id, kind: id, role: role, eventsIn: eventsIn, eventsOut: out, errors: 0, skipped: 0, restarts: 0,
                    dropped: 0, abandoned: 0, conflated: 0, queueDepth: 3, queueHighWaterMark: 3,
                    queueCapacity: role == "source" ? 0 : 64, queuePolicy: "block")
    }

    static func report(_ n: Int) -> PipelineReport {
        PipelineReport(name: "p", outcome: .running, durationSeconds: 1, stages: [
            stage("gen", "source", in: 0, out: 2 * n), stage("keep", "transform", in: 2 * n, out: n), stage("out", "sink", in: n, out: 0),
        ], error: nil, failure: nil)
    }

    @Test("each stage's rate is what it sent in the last second; a sink's is what it received")
    func rates() {
        var line = StatusLine()
        _ = line.text(Self.report(1000), width: 200)
        let text = line.text(Self.report(1500), width: 200)
        #expect(text == "gen 1.0k/s │ keep 500/s q3 │ out 500/s q3")
    }

    @Test("a source whose feed is not delivering shows its feed state")
    func feedState() {
        var line = StatusLine()
        let text = line.text(Self.report(1000), feeds: ["gen": "reconnecting"], width: 200)
        #expect(text.hasPrefix("gen 2.0k/s [reconnecting] │"), "\(text)")
    }

    @Test("a decoder with subscriptions that have no data or went stale says how many; a healthy one says nothing")
    func symbolNotes() {
        func stage(_ id: String, symbols: PipelineHealth.Symbols?, feed: PipelineHealth.Feed? = nil) -> PipelineHealth.Stage {
            PipelineHealth.Stage(id: id, kind: id, role: "transform", state: .running, lastError: nil, restarts: 0, queueDepth: 0,
                                 queueCapacity: 64, feed: feed, lastEventAgeSeconds: nil, symbols: symbols)
        }
        let health = PipelineHealth(pipeline: "p", outcome: .running, draining: false, stages: [
            stage("decode", symbols: PipelineHealth.Symbols(watched: 9, counts: ["waiting": 0, "fresh": 6, "stale": 1, "no_data": 2], noData: ["A Quote", "B Quote"], stale: ["C Quote"])),
            stage("other", symbols: PipelineHealth.Symbols(watched: 3, counts: ["waiting": 1, "fresh": 2, "stale": 0, "no_data": 0], noData: [], stale: [])),
            stage("feed", symbols: nil, feed: PipelineHealth.Feed(state: "reconnecting", delivering: false, time: "t", reason: nil)),
        ])
        #expect(StatusLine.feeds(health) == ["decode": "2 no data, 1 stale", "feed": "reconnecting"])
    }

    @Test("the line is cut to the terminal's width, never wrapped")
    func fitsWidth() {
        var line = StatusLine()
        let text = line.text(Self.report(1000), width: 20)
        #expect(text.count == 19)
        #expect(text.hasSuffix("…"))
        #expect(StatusLine.fit("short", width: 80) == "short")
    }

    @Test("on a terminal, every log line starts on a line of its own: the status line is cleared before it")
    func logLinesNotGlued() async throws {
        let dir = try temporaryDirectory()
        try write(#"{"stages": [{"id": "gen", "kind": "generate", "config": {"rate": 20, "duration": "3s"}}, {"id": "out", "kind": "log", "from": "gen"}]}"#,
                  to: dir.appendingPathComponent("p.json"))
        // `script` gives the run a pseudo-terminal, so the status line is on.
        let run = try await runProgram(["script", "-qfec", "\(SluiceProcess.binary) run p.json --no-summary", "tty.log"], in: dir)
        #expect(run.status == 0, "a run on a terminal succeeds like any other: \(run.output)")
        let raw = try String(contentsOf: dir.appendingPathComponent("tty.log"), encoding: .utf8)
        #expect(raw.contains("gen "), "the status line was shown")
        // Every log line (they start with the year) comes after a newline or after the status line was cleared.
        var checked = 0
        var search = raw.startIndex
        while let r = raw.range(of: "20", range: search..<raw.endIndex) {
            search = r.upperBound
            guard raw[r.lowerBound...].prefix(24).contains("T"), raw[r.lowerBound...].dropFirst(4).first == "-" else { continue }
            let before = raw[..<r.lowerBound].unicodeScalars
            let last = before.last
            let cleared = String(String.UnicodeScalarView(before.suffix(4))) == "\r\u{1B}[K"
            #expect(last == nil || last == "\n" || last == " " || last == "\"" || cleared,
                    "a log line glued to other output: …\(String(String.UnicodeScalarView(before.suffix(30))).debugDescription)")
            checked += 1
        }
        #expect(checked > 10)
        #expect(!raw.contains("CancellationError"))
    }

    @Test("on a terminal, alerts printed to standard output never land at the end of the status line")
    func alertsNotGlued() async throws {
        let dir = try temporaryDirectory()
        try write(#"""
            {"stages": [{"id": "gen", "kind": "generate", "config": {"rate": 40, "duration": "3s", "symbols": ["A", "B", "C", "D"]}},
              {"id": "al", "kind": "alerts", "from": "gen", "config": {
                "rules": [{"id": "up", "field": "price", "crosses_above": 100, "hysteresis": 0.01, "cooldown": "0s"}],
                "notify": {"stdout": true, "log": false}}}]}
            """#, to: dir.appendingPathComponent("p.json"))
        // `script` puts standard output and standard error on one pseudo-terminal, as a user's shell does.
        let run = try await runProgram(["script", "-qfec", "\(SluiceProcess.binary) run p.json --no-summary", "tty.log"], in: dir)
        #expect(run.status == 0, "\(run.output)")
        let raw = try String(contentsOf: dir.appendingPathComponent("tty.log"), encoding: .utf8)
        #expect(raw.contains("gen "), "the status line was shown")
        var alerts = 0
        var search = raw.startIndex
        while let r = raw.range(of: "ALERT [", range: search..<raw.endIndex) {
            search = r.upperBound
            let before = raw[..<r.lowerBound].unicodeScalars
            let cleared = String(String.UnicodeScalarView(before.suffix(4))) == "\r\u{1B}[K"
            #expect(before.last == nil || before.last == "\n" || cleared,
                    "an alert glued to other output: …\(String(String.UnicodeScalarView(before.suffix(30))).debugDescription)")
            alerts += 1
        }
        #expect(alerts > 3)
    }
}
