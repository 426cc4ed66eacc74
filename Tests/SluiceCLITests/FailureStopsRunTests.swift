import Foundation
import SluiceRuntime
import Testing

/// A failed stage stops the whole run by itself, at once, with exit 1 and a message naming the stage —
/// even when its source would run forever. Real processes, real files, real faults.
@Suite("A failure stops the run")
struct FailureStopsRunTests {
    /// Runs `sluice run p.json` and waits for it to exit; a run that does not stop by itself within
    /// `limit` is killed and fails the test (this guards against a hang; it times nothing).
    func run(_ pipeline: String, limit: Double = 60, whileRunning: (SluiceProcess, URL) async throws -> Void = { _, _ in }) async throws -> (SluiceProcess.Output, [String: Any], URL) {
        let dir = try temporaryDirectory()
        try write(pipeline, to: dir.appendingPathComponent("p.json"))
        let process = try SluiceProcess(["run", "p.json", "--report", "report.json"], directory: dir)
        try await whileRunning(process, dir)
        do {
            try await waitUntil("the run to stop by itself", seconds: limit) { !process.process.isRunning }
        } catch {
            process.signal(SIGKILL)
            _ = await process.wait()
            throw error
        }
        let out = await process.wait()
        let report = (try? JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("report.json")))) as? [String: Any] ?? [:]
        return (out, report, dir)
    }

    func stage(_ report: [String: Any], _ id: String) -> [String: Any] {
        (report["stages"] as? [[String: Any]])?.first { $0["id"] as? String == id } ?? [:]
    }

    @Test("a sink on a full disk (/dev/full) fails the run with exit 1 though its source never ends; block queues drop nothing")
    func fullDisk() async throws {
        let (out, report, _) = try await run(#"""
            {"stages": [
              {"id": "gen", "kind": "generate"},
              {"id": "out", "kind": "jsonl", "from": "gen", "config": {"path": "/dev/full"}}
            ]}
            """#)
        #expect(out.status == 1)
        #expect(out.stderr.contains(#"stage "out" (jsonl) failed: cannot write to "/dev/full": No space left on device"#))
        #expect(report["outcome"] as? String == "failed")
        #expect(stage(report, "out")["dropped"] as? Int == 0)
        #expect(!out.stderr.contains("Fatal error"))
        let failure = report["failure"] as? [String: Any]
        #expect(failure?["stage"] as? String == "out" && failure?["kind"] as? String == "jsonl")
        #expect(failure?["code"] as? String == "write_failed", "the report carries the stage's error code, for machines")
    }

    @Test("a sink file made immutable mid-run (chattr +i) fails the run with exit 1")
    func immutableFile() async throws {
        let (out, report, dir) = try await run(#"""
            {"stages": [
              {"id": "gen", "kind": "generate", "config": {"rate": 20000}},
              {"id": "out", "kind": "jsonl", "from": "gen", "config": {"path": "ticks.jsonl"}}
            ]}
            """#) { _, dir in
            let file = dir.appendingPathComponent("ticks.jsonl")
            try await waitUntil("records in the file") { lineCount(of: file, atLeast: 100) }
            let chattr = try exitStatus(of: "chattr", ["+i", file.path])
            #expect(chattr == 0, "chattr +i (e2fsprogs) must work on the temporary directory's file system")
        }
        // The test's files may not stay immutable (the temporary directory must stay removable).
        _ = try? exitStatus(of: "chattr", ["-i", dir.appendingPathComponent("ticks.jsonl").path])
        #expect(out.status == 1)
        #expect(out.stderr.contains(#"stage "out" (jsonl) failed: cannot write to "ticks.jsonl""#))
        #expect(report["outcome"] as? String == "failed")
        #expect(stage(report, "out")["dropped"] as? Int == 0)
    }

    @Test("a directory made immutable mid-run (chattr +i) fails the run at the sink's next rotation, with exit 1")
    func immutableDirectory() async throws {
        let (out, report, dir) = try await run(#"""
            {"stages": [
              {"id": "gen", "kind": "generate", "config": {"rate": 5000}},
              {"id": "csv", "kind": "csv", "from": "gen", "config": {"path": "out/ticks.csv", "rotate": "size", "max_bytes": 16384, "flush_interval": "50ms"}}
            ]}
            """#) { _, dir in
            let out = dir.appendingPathComponent("out")
            try await waitUntil("a first rotation") {
                ((try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []).count >= 2
            }
            #expect(try exitStatus(of: "chattr", ["+i", out.path]) == 0, "chattr +i (e2fsprogs) must work on the temporary directory's file system")
        }
        _ = try? exitStatus(of: "chattr", ["-i", dir.appendingPathComponent("out").path])
        #expect(out.status == 1)
        #expect(out.stderr.contains(#"stage "csv" (csv) failed: cannot rename "out/ticks.csv""#))
        #expect(out.stderr.contains("Operation not permitted"))
        #expect(report["outcome"] as? String == "failed")
        #expect(stage(report, "csv")["dropped"] as? Int == 0)
    }

    @Test("an exec stage whose program exits at once fails the run with exit 1, naming the program and status")
    func execExits() async throws {
        let (out, report, _) = try await run(#"""
            {"stages": [
              {"id": "gen", "kind": "generate", "config": {"rate": 100000}},
              {"id": "x", "kind": "exec", "from": "gen", "config": {"command": ["false"], "output": {"type": "x", "columns": ["a:double"]}}},
              {"id": "out", "kind": "null", "from": "x"}
            ]}
            """#)
        #expect(out.status == 1)
        #expect(out.stderr.contains(#"stage "x" (exec) failed: false exited with status 1"#))
        #expect(report["outcome"] as? String == "failed")
    }

    @Test("a live dxlink source stops when its sink fails: exit 1, and the feed does not keep the run alive")
    func liveSource() async throws {
        let (out, report, _) = try await run(#"""
            {"stages": [
              {"id": "feed", "kind": "dxlink", "config": {"simulate": {"rate": 2000}, "symbols": ["AAPL"], "events": ["Quote"]}},
              {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
              {"id": "out", "kind": "jsonl", "from": "decode", "config": {"path": "/dev/full"}}
            ]}
            """#)
        #expect(out.status == 1)
        #expect(out.stderr.contains(#"stage "out" (jsonl) failed"#))
        #expect(report["outcome"] as? String == "failed")
        for id in ["decode", "out"] { #expect(stage(report, id)["dropped"] as? Int == 0) }
    }
}

/// Runs a program to completion; returns its exit status.
func exitStatus(of name: String, _ arguments: [String]) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [name] + arguments
    let exit = ProcessExit(p)
    try p.run()
    exit.waitBlocking()
    return p.terminationStatus
}
