import Foundation
import SluiceCore
import SluiceRuntime
import SluiceTesting
import Testing

@Suite("exec stage: programs in any language over JSON lines")
struct ExecStageTests {
    var registry: StageRegistry {
        var r = StageRegistry.generic
        r.register(CollectSink<FieldRecord>.self)
        return r
    }

    /// Writes a Python script to a fresh directory and returns its path.
    func script(_ name: String, _ body: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-exec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try body.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func pipeline(_ command: String, count: Int = 100, columns: String = #""symbol:string", "sequence:int", "doubled:double""#, onError: String = "\"fail\"", capacity: Int = 4096) -> String {
        """
        {"name": "exec", "stages": [
          {"id": "gen", "kind": "generate", "config": {"symbols": ["A", "B"], "count": \(count)}},
          {"id": "prog", "kind": "exec", "from": "gen", "queue": {"capacity": \(capacity)},
           "config": {"command": \(command), "output": {"type": "doubled", "columns": [\(columns)]}}, "on_error": \(onError)},
          {"id": "out", "kind": "collect", "from": "prog", "queue": {"capacity": \(capacity)}}
        ]}
        """
    }

    static let doubler = """
    import json, sys
    for line in sys.stdin:
        t = json.loads(line)
        print(json.dumps({"symbol": t["symbol"], "sequence": t["sequence"], "doubled": t["price"] * 2}), flush=True)
    print("doubler done", file=sys.stderr)
    """

    @Test("records go to the program's stdin and its stdout lines come back as typed records, in order")
    func roundTrip() async throws {
        let path = try script("doubler.py", Self.doubler)
        let run = try await TestPipeline(pipeline(#"["python3", "\#(path)"]"#), registry: registry).run()
        let rows = run.rows("out")
        #expect(rows.count == 100)
        #expect(rows.map { $0["sequence"] } == (0..<100).map { FieldValue.int(Int64($0)) })
        #expect(rows.allSatisfy { if case .double(let d) = $0["doubled"] { return d > 0 } else { return false } })
        #expect(run.records("out").first?.schema.recordType == "doubled")
    }

    @Test("output lines that are not JSON objects with the declared columns are counted and skipped, with line numbers")
    func badLines() async throws {
        let path = try script("bad.py", """
        import json, sys
        for i, line in enumerate(sys.stdin):
            t = json.loads(line)
            if i == 3: print("this is not json", flush=True)
            if i == 5: print(json.dumps({"symbol": 7, "sequence": 1, "doubled": 1.0}), flush=True)
            print(json.dumps({"symbol": t["symbol"], "sequence": t["sequence"], "doubled": t["price"] * 2}), flush=True)
        """)
        let run = try await TestPipeline(pipeline(#"["python3", "\#(path)"]"#, count: 10), registry: registry).run()
        #expect(run.rows("out").count == 10)
        let prog = try #require(run.report.stages.first { $0.id == "prog" })
        #expect(prog.skipped == 2)
    }

    @Test("a program that crashes is restarted under on_error: restart, and no record is lost")
    func restart() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-exec-marker-\(UUID().uuidString)").path
        let path = try script("flaky.py", """
        import json, os, sys
        marker = "\(marker)"
        first = not os.path.exists(marker)
        open(marker, "w").close()
        for i, line in enumerate(sys.stdin):
            if first and i == 10:
                sys.exit(3)
            t = json.loads(line)
            print(json.dumps({"symbol": t["symbol"], "sequence": t["sequence"], "doubled": t["price"] * 2}), flush=True)
        """)
        let run = try await TestPipeline(pipeline(#"["python3", "\#(path)"]"#, count: 50,
                                                  onError: #"{"action": "restart", "backoff": "10ms", "max_backoff": "20ms"}"#), registry: registry).run()
        let prog = try #require(run.report.stages.first { $0.id == "prog" })
        #expect(prog.restarts == 1)
        let sequences = Set(run.rows("out").compactMap { row -> Int64? in if case .int(let s) = row["sequence"] { return s } else { return nil } })
        #expect(sequences == Set(0..<50), "every record came out at least once")
    }

    @Test("a program that exits early without reading its input fails the stage, naming the program")
    func exitsEarly() async throws {
        let path = try script("quits.py", "import sys\nsys.exit(0)\n")
        await #expect {
            _ = try await TestPipeline(pipeline(#"["python3", "\#(path)"]"#, count: 200_000), registry: registry).run()
        } throws: { error in
            "\(error)".contains("exited before reading all of its input") && "\(error)".contains("quits.py")
        }
    }

    @Test("a program that closes stdout and stderr but never exits is killed when the run is cancelled: the run ends")
    func lingeringProgram() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-linger-\(UUID().uuidString)").path
        let path = try script("linger.py", "import sys, time\nsys.stdin.read()\nsys.stdout.close()\nsys.stderr.close()\nopen(\"\(marker)\", \"w\").close()\ntime.sleep(3600)\n")
        let run = Task { try await TestPipeline(pipeline(#"["python3", "\#(path)"]"#, count: 10), registry: registry).run() }
        // Once the marker exists the program has read everything and closed its output: the stage is
        // waiting for it to exit.
        #expect(try await eventually(within: .seconds(60)) { FileManager.default.fileExists(atPath: marker) })
        run.cancel()
        _ = try? await run.value  // returns: before the fix this waited for the program's hour-long sleep
    }

    @Test("a program that cannot be started fails with its name")
    func missingProgram() async throws {
        await #expect {
            _ = try await TestPipeline(pipeline(#"["/nonexistent/tool"]"#), registry: registry).run()
        } throws: { error in
            "\(error)".contains("/nonexistent/tool")
        }
    }

    @Test("the pipe carries backpressure: 20 000 records (a megabyte, sixteen pipe buffers) through small queues arrive complete")
    func lossless() async throws {
        let path = try script("echo.py", Self.doubler)
        let run = try await TestPipeline(pipeline(#"["python3", "\#(path)"]"#, count: 20_000, capacity: 64), registry: registry).run()
        let prog = try #require(run.report.stages.first { $0.id == "prog" })
        #expect(prog.eventsIn == 20_000 && prog.eventsOut == 20_000)
        #expect(run.report.stages.allSatisfy { $0.dropped == 0 })
    }

    @Test("the declared output is checked when the pipeline is validated: column types, and field names downstream")
    func validation() {
        let badType = pipeline(#"["cat"]"#, columns: #""symbol:text""#)
        #expect(throws: ValidationFailure.self) { _ = try TestPipeline(badType, registry: registry).plan() }
        let text = """
        {"name": "exec", "stages": [
          {"id": "gen", "kind": "generate", "config": {"count": 1}},
          {"id": "prog", "kind": "exec", "from": "gen", "config": {"command": ["cat"], "output": {"columns": ["symbol:string", "score:double"]}}},
          {"id": "f", "kind": "filter", "from": "prog", "config": {"expression": "scroe > 1"}},
          {"id": "out", "kind": "collect", "from": "f"}
        ]}
        """
        do {
            _ = try TestPipeline(text, registry: registry).plan()
            Issue.record("an undeclared field passed validation")
        } catch {
            #expect(error.diagnostics.contains { $0.message.contains("scroe") && $0.path.description.hasPrefix("/stages/2/config/expression") })
        }
    }
}
