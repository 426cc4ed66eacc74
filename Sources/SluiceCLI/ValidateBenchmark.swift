import Foundation

/// `sluice bench --scenario validate`: parse + validate speed and peak memory on big pipeline files.
///
/// Each file is validated by a child `sluice validate` process, so its peak resident set (from
/// `wait4`) is that run's alone. Figures: MB/s of file, and peak RSS over file size — with the RSS of
/// validating a tiny file (the executable's own baseline) measured in the same run.
enum ValidateBenchmark {
    struct Measurement {
        var seconds: Double
        var peakBytes: Int
        var status: Int32
    }

    /// The files: one syntax error at the end of 20 MB, 20 MB of stages (past the 10 000-stage limit:
    /// rejected), one big array, and a chain of exactly 10 000 stages (validated in full). They are written in
    /// small chunks, so this process stays small: a child's peak RSS from `wait4` includes its parent's
    /// at the moment of the spawn, which the baseline (a tiny file, measured the same way) then covers.
    static func files(in directory: URL, megabytes: Int) throws -> [(name: String, path: String, bytes: Int)] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let target = megabytes * 1_000_000
        var out: [(String, String, Int)] = []
        func save(_ name: String, head: String, tail: String, element: (Int) -> String) throws -> Int {
            let path = directory.appendingPathComponent("\(name).json").path
            guard let file = fopen(path, "w") else { throw CocoaError(.fileWriteUnknown) }
            defer { fclose(file) }
            var written = 0
            func put(_ text: String) { written += text.utf8.count; fputs(text, file) }
            put(head)
            var chunk = ""
            var i = 0
            while written + chunk.utf8.count < target {
                chunk += element(i)
                i += 1
                if chunk.utf8.count > 65_536 { put(chunk); chunk = "" }
            }
            put(chunk)
            put(tail)
            out.append((name, path, written))
            return i
        }
        // A big array of numbers, then a trailing comma before the closing brace: one syntax error.
        _ = try save("syntax-error", head: #"{"stages": [{"id": "g", "kind": "generate"}], "x": ["#, tail: "0],}") { "\($0)," }
        // Many stages: a chain of filters.
        var stageCount = 0
        stageCount = try save("stages", head: #"{"stages": [{"id": "g", "kind": "generate", "config": {"count": 10}}"#, tail: "") { n in
            #", {"id": "f\#(n)", "kind": "filter", "from": "\#(n == 0 ? "g" : "f\(n - 1)")", "config": {"expression": "price > 1"}}"#
        }
        // The chain's end (appended: the file stays valid).
        if let file = fopen(out[1].1, "a") {
            let end = #", {"id": "out", "kind": "null", "from": "f\#(stageCount - 1)"}]}"#
            fputs(end, file)
            fclose(file)
            out[1].0 = "stages (\(stageCount + 2))"
            out[1].2 += end.utf8.count
        }
        // One big array in a configuration.
        let symbols = try save("array", head: #"{"stages": [{"id": "g", "kind": "generate", "config": {"count": 10, "symbols": ["#,
                               tail: #""S"]}}, {"id": "o", "kind": "null", "from": "g"}]}"#) { "\"S\($0)\"," }
        out[2].0 = "array (\(symbols + 1) strings)"
        // The most stages a pipeline may have (10 000): a chain that validates in full.
        let limit = directory.appendingPathComponent("stages-at-limit.json")
        var chain = #"{"stages": [{"id": "g", "kind": "generate", "config": {"count": 10}}"#
        for n in 0..<9_998 {
            chain += #", {"id": "f\#(n)", "kind": "filter", "from": "\#(n == 0 ? "g" : "f\(n - 1)")", "config": {"expression": "price > 1"}}"#
        }
        chain += #", {"id": "out", "kind": "null", "from": "f9997"}]}"#
        try chain.write(to: limit, atomically: false, encoding: .utf8)
        out.append(("stages at the limit (10000)", limit.path, chain.utf8.count))
        let tiny = directory.appendingPathComponent("tiny.json")
        let text = #"{"stages": [{"id": "g", "kind": "generate", "config": {"count": 1}}, {"id": "o", "kind": "null", "from": "g"}]}"#
        try text.write(to: tiny, atomically: false, encoding: .utf8)
        out.append(("tiny", tiny.path, text.utf8.count))
        return out
    }

    /// Runs `sluice validate PATH` in a child process.
    static func measure(executable: String, path: String) throws -> Measurement {
        var pid: pid_t = 0
        let args = [executable, "validate", path]
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let start = ContinuousClock.now
        let rc = posix_spawn(&pid, executable, &actions, nil, &argv, environ)
        guard rc == 0 else { throw CocoaError(.executableLoad) }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let elapsed = ContinuousClock.now - start
        return Measurement(seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                           peakBytes: Int(usage.ru_maxrss) * 1024, status: (status >> 8) & 0xFF)
    }

    /// Measures every file `runs` times; prints the best time and the largest peak of each.
    static func run(runs: Int, megabytes: Int) throws {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-validate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let all = try files(in: directory, megabytes: megabytes)
        let baseline = try (0..<runs).map { _ in try measure(executable: executable, path: all.last!.path).peakBytes }.max()!
        print("validate  parse + validate with `sluice validate` in a child process (peak RSS from wait4)")
        print("        baseline (a 2-stage file): peak \(baseline / 1_000_000) MB")
        for file in all.dropLast() {
            let m = try (0..<runs).map { _ in try measure(executable: executable, path: file.path) }
            let best = m.map(\.seconds).min()!
            let peak = m.map(\.peakBytes).max()!
            let mb = Double(file.bytes) / 1e6
            print("        \(file.name) (\(round1(mb)) MB, exit \(m[0].status)): best \(round1(mb / best)) MB/s, peak \(peak / 1_000_000) MB = \(round1(Double(peak) / Double(file.bytes)))× the file (\(round1(Double(peak - baseline) / Double(file.bytes)))× above the baseline)")
        }
    }

    static func round1(_ v: Double) -> String { String((v * 10).rounded() / 10) }
}
