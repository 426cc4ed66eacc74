import Foundation
import Testing

@Suite("sluice command line")
struct CommandLineTests {
    static let validPipeline = #"""
        {"name": "cli", "stages": [
          {"id": "gen", "kind": "generate", "config": {"count": 1000, "symbols": ["A", "B"]}},
          {"id": "keep", "kind": "filter", "from": "gen", "config": {"expression": "symbol == \"A\""}},
          {"id": "out", "kind": "jsonl", "from": "keep", "config": {"path": "out/a.jsonl", "append": false}}
        ]}
        """#

    @Test("validate: a valid file exits 0; a broken one exits 2 with every problem, its path and a hint")
    func validate() async throws {
        let dir = try temporaryDirectory()
        try write(Self.validPipeline, to: dir.appendingPathComponent("good.json"))
        try write(#"{"stages": [{"id": "gen", "kind": "generate", "config": {"cont": 1}}, {"id": "x", "kind": "fliter", "from": "gen"}]}"#,
                  to: dir.appendingPathComponent("bad.json"))
        let good = try await SluiceProcess.run(["validate", "good.json"], in: dir)
        #expect(good.status == 0)
        #expect(good.stdout.contains("good.json: ok"))
        let bad = try await SluiceProcess.run(["validate", "good.json", "bad.json"], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains(#"bad.json:1:66: /stages/0/config/cont: unknown field "cont""#))
        #expect(bad.stderr.contains(#"/stages/1/kind: unknown stage kind "fliter""#))
        #expect(bad.stderr.contains(#"did you mean "filter"?"#))
        #expect(bad.stderr.contains("2 problems found"))
        #expect(!bad.stderr.contains("Fatal error"))
    }

    @Test("validate --allow-unset checks a file whose secrets are not set: placeholders instead of problems, secrets still redacted")
    func allowUnset() async throws {
        let dir = try temporaryDirectory()
        try write(#"""
            {"stages": [
              {"id": "feed", "kind": "dxlink", "config": {"url": "wss://example.test/realtime", "token": "${FEED_TOKEN}", "symbols": ["${SYMBOL}"]}},
              {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
              {"id": "out", "kind": "null", "from": "decode"}
            ]}
            """#, to: dir.appendingPathComponent("p.json"))
        let strict = try await SluiceProcess.run(["validate", "p.json"], in: dir)
        #expect(strict.status == 2)
        #expect(strict.stderr.contains("environment variable FEED_TOKEN is not set"))
        let lenient = try await SluiceProcess.run(["validate", "--allow-unset", "--print", "p.json"], in: dir)
        #expect(lenient.status == 0, "\(lenient.stderr)")
        #expect(lenient.stdout.contains(#""token":"***""#), "a secret field is redacted, placeholder or not")
        #expect(lenient.stdout.contains(#""symbols":["unset-SYMBOL"]"#))
        let graph = try await SluiceProcess.run(["graph", "--allow-unset", "p.json"], in: dir)
        #expect(graph.status == 0 && graph.stdout.contains("flowchart"))
        let run = try await SluiceProcess.run(["run", "--allow-unset", "p.json"], in: dir)
        #expect(run.status == 2, "a run never starts on placeholders")
    }

    @Test("stages KIND documents nested objects' fields and the output's record types with their columns")
    func stageDocs() async throws {
        let dir = try temporaryDirectory()
        let decode = try await SluiceProcess.run(["stages", "dxlink_decode"], in: dir)
        #expect(decode.status == 0)
        #expect(decode.stdout.contains("      quote: event_type string, symbol string, event_time time"), "the table for quotes is `quote`")
        #expect(decode.stdout.contains("bid_price double"))
        #expect(decode.stdout.contains("      feed: event_type string, state string"))
        let dxlink = try await SluiceProcess.run(["stages", "dxlink"], in: dir)
        #expect(dxlink.stdout.contains("    candles: object"))
        #expect(dxlink.stdout.contains("        periods: "), "the fields of `candles`, indented under it")
        let alerts = try await SluiceProcess.run(["stages", "alerts"], in: dir)
        #expect(alerts.stdout.contains("        crosses_above: number or string"), "the fields of each rule object")
        #expect(alerts.stdout.contains("      alert: rule string, kind string, symbol string"))
    }

    @Test("run --log-format json: every log line on stderr is one JSON object; an unknown format is exit 2")
    func jsonLogs() async throws {
        let dir = try temporaryDirectory()
        try write(#"{"stages": [{"id": "gen", "kind": "generate", "config": {"count": 3}}, {"id": "out", "kind": "log", "from": "gen"}]}"#,
                  to: dir.appendingPathComponent("p.json"))
        let run = try await SluiceProcess.run(["run", "p.json", "--log-format", "json", "--no-summary"], in: dir)
        #expect(run.status == 0)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count >= 5, "started, generate finished, three records, finished")
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] != nil && object?["message"] != nil, "\(line)")
        }
        #expect(lines.contains { $0.contains(#""message":"tick""#) && $0.contains(#""stage":"out""#) })
        let bad = try await SluiceProcess.run(["run", "p.json", "--log-format", "xml"], in: dir)
        #expect(bad.status == 2 && bad.stderr.contains("--log-format: expected one of text, json, logfmt"))
    }

    @Test("a missing file and a bad flag exit 2 with a clear message and no stack trace")
    func invalidInput() async throws {
        let dir = try temporaryDirectory()
        let missing = try await SluiceProcess.run(["run", "nope.json"], in: dir)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope.json: /: no such file"))
        let flag = try await SluiceProcess.run(["run", "x.json", "--drain-timeout", "soon"], in: dir)
        #expect(flag.status == 2)
        #expect(flag.stderr.contains("--drain-timeout"))
        let unknown = try await SluiceProcess.run(["frobnicate"], in: dir)
        #expect(unknown.status == 2)
        let help = try await SluiceProcess.run(["run", "--help"], in: dir)
        #expect(help.status == 0)
        #expect(help.stdout.contains("--drain-timeout"))
    }

    @Test("run: the pipeline completes, writes its output and a JSON report, and exits 0")
    func runCompletes() async throws {
        let dir = try temporaryDirectory()
        try write(Self.validPipeline, to: dir.appendingPathComponent("p.json"))
        let out = try await SluiceProcess.run(["run", "p.json", "--report", "report.json"], in: dir)
        #expect(out.status == 0)
        #expect(lines(of: dir.appendingPathComponent("out/a.jsonl")).count == 500)
        #expect(out.stderr.contains(#"pipeline "cli" completed"#))
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("report.json"))) as! [String: Any]
        #expect(report["outcome"] as? String == "completed")
    }

    @Test("run: an output path that is a directory is rejected before anything runs (exit 2)")
    func outputIsDirectory() async throws {
        let dir = try temporaryDirectory()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("adir"), withIntermediateDirectories: true)
        try write(#"{"stages": [{"id": "gen", "kind": "generate", "config": {"count": 10}}, {"id": "out", "kind": "jsonl", "from": "gen", "config": {"path": "adir"}}]}"#,
                  to: dir.appendingPathComponent("p.json"))
        let out = try await SluiceProcess.run(["run", "p.json"], in: dir)
        #expect(out.status == 2)
        #expect(out.stderr.contains(#"/stages/1/config/path: "adir" is a directory"#))
    }

    @Test("SIGTERM during generate → jsonl: exit 0, and every record the source emitted is in the file")
    func sigterm() async throws {
        let dir = try temporaryDirectory()
        try write(#"""
            {"stages": [
              {"id": "gen", "kind": "generate", "config": {"rate": 5000}},
              {"id": "out", "kind": "jsonl", "from": "gen", "config": {"path": "ticks.jsonl"}}
            ]}
            """#, to: dir.appendingPathComponent("p.json"))
        let process = try SluiceProcess(["run", "p.json", "--report", "report.json"], directory: dir)
        let file = dir.appendingPathComponent("ticks.jsonl")
        try await waitUntil("records in the file") { lineCount(of: file, atLeast: 1000) }
        process.signal(SIGTERM)
        let out = await process.wait()
        #expect(out.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("report.json"))) as! [String: Any]
        #expect(report["outcome"] as? String == "shut_down")
        let stages = report["stages"] as! [[String: Any]]
        let emitted = try #require(stages.first { $0["id"] as? String == "gen" }?["events_out"] as? Int)
        let written = lines(of: file)
        #expect(emitted >= 1000)
        #expect(written.count == emitted)
        #expect(written.last?.contains("\"sequence\":\(emitted - 1),") == true)
    }

    /// A pipeline whose drain can never finish: its sink writes to a FIFO with a reader that never reads,
    /// so the sink blocks once the pipe is full. Returns the directory (with `p.json`) and the reader.
    static func stuckPipeline() throws -> (URL, Int32) {
        let dir = try temporaryDirectory()
        let fifo = dir.appendingPathComponent("stuck.fifo").path
        guard mkfifo(fifo, 0o644) == 0 else { throw WaitTimeout(what: "mkfifo failed") }
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        try write(#"""
            {"stages": [
              {"id": "gen", "kind": "generate"},
              {"id": "out", "kind": "jsonl", "from": "gen", "config": {"path": "stuck.fifo"}}
            ]}
            """#, to: dir.appendingPathComponent("p.json"))
        return (dir, reader)
    }

    @Test("a second signal exits at once, even when the drain cannot finish")
    func secondSignal() async throws {
        let (dir, reader) = try Self.stuckPipeline()
        defer { close(reader) }
        let process = try SluiceProcess(["run", "p.json", "--drain-timeout", "1h"], directory: dir)
        try await waitUntil("the pipeline to start") { process.stderrSoFar.contains("pipeline started") }
        process.signal(SIGTERM)
        try await waitUntil("the drain to begin") { process.stderrSoFar.contains("draining") }
        process.signal(SIGTERM)
        let out = await process.wait()
        #expect(out.status == 1)
        #expect(out.stderr.contains("again; exiting without draining"))
    }

    @Test("the drain deadline ends a drain that cannot finish, with status 1")
    func drainTimeout() async throws {
        let (dir, reader) = try Self.stuckPipeline()
        defer { close(reader) }
        let process = try SluiceProcess(["run", "p.json", "--drain-timeout", "200ms"], directory: dir)
        try await waitUntil("the pipeline to start") { process.stderrSoFar.contains("pipeline started") }
        process.signal(SIGINT)
        let out = await process.wait()
        #expect(out.status == 1)
        #expect(out.stderr.contains("drain did not finish within 200ms"))
    }

    @Test("stages lists every kind; stages KIND documents its fields; an unknown kind exits 2 with a hint")
    func stages() async throws {
        let dir = try temporaryDirectory()
        let all = try await SluiceProcess.run(["stages"], in: dir)
        #expect(all.status == 0)
        for kind in ["generate", "filter", "select", "pass", "jsonl", "log", "null"] {
            #expect(all.stdout.contains("\n\(kind) "), "\(kind) listed")
        }
        let filter = try await SluiceProcess.run(["stages", "filter"], in: dir)
        #expect(filter.stdout.contains("expression: expression  [required]"))
        let typo = try await SluiceProcess.run(["stages", "genrate"], in: dir)
        #expect(typo.status == 2)
        #expect(typo.stderr.contains(#"did you mean "generate"?"#))
    }

    @Test("schema prints a JSON Schema; graph draws Mermaid and DOT")
    func schemaAndGraph() async throws {
        let dir = try temporaryDirectory()
        try write(Self.validPipeline, to: dir.appendingPathComponent("p.json"))
        let schema = try await SluiceProcess.run(["schema"], in: dir)
        let json = try JSONSerialization.jsonObject(with: Data(schema.stdout.utf8)) as! [String: Any]
        #expect(json["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let mermaid = try await SluiceProcess.run(["graph", "p.json"], in: dir)
        #expect(mermaid.stdout.hasPrefix("flowchart LR"))
        #expect(mermaid.stdout.contains(#"s_gen -->|"Tick · block 4096"| s_keep"#))
        let dot = try await SluiceProcess.run(["graph", "p.json", "--format", "dot"], in: dir)
        #expect(dot.stdout.contains(#""keep" -> "out""#))
    }
}
