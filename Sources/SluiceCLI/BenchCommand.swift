import ArgumentParser
import BuiltinStages
import DXLinkSimulator
import Foundation
import Logging
import SluiceCore
import SluiceRuntime

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure events per second through standard pipelines.",
        discussion: """
            Scenarios: filter (generate → filter → null), chain (generate → pass ×3 → null, block
            queues), csv and sqlite (generate → the sink, writing a temporary file; rows per second),
            decode (100-Quote COMPACT frames decoded on one core), e2e (simulator flood → WebSocket over
            loopback → dxlink → dxlink_decode → null, all in this process) and e2e-process (the same with
            the simulator in a separate `sluice simulate --flood` process), validate (parse + validate of
            20 MB pipeline files in a child process: MB/s and peak memory over file size).
            Build in release mode for meaningful numbers: swift run -c release sluice bench
            """
    )

    @Option(help: "Events per run.")
    var events: Int = 20_000_000

    @Option(help: "Runs per scenario; the best and the median are reported.")
    var runs: Int = 3

    @Option(help: "Only this scenario (filter, chain, csv, sqlite, decode, watch, snapshot, e2e, e2e-process or validate).")
    var scenario: String?

    func validate() throws {
        guard events > 0 else { throw ValidationError("--events must be positive") }
        guard runs > 0 else { throw ValidationError("--runs must be positive") }
        let names = PipelineBenchmark.scenarios.map(\.name) + ["csv", "sqlite", "decode", "watch", "snapshot", "e2e", "e2e-process", "validate"]
        if let scenario, !names.contains(scenario) {
            throw ValidationError("unknown scenario \"\(scenario)\"; expected one of: " + names.joined(separator: ", "))
        }
    }

    func run() async throws {
        #if DEBUG
        print("note: this is a debug build; use `swift run -c release sluice bench` for real figures")
        #endif
        for s in PipelineBenchmark.scenarios where scenario == nil || s.name == scenario {
            var rates: [Double] = []
            for _ in 0..<runs {
                rates.append(try await PipelineBenchmark.run(s, events: events, registry: Sluice.registry).eventsPerSecond)
            }
            rates.sort()
            let best = rates.last!, median = rates[rates.count / 2]
            print("\(s.name.padding(6))  \(s.shape)")
            print("        \(events) events × \(runs) runs: best \(mps(best)) M events/s, median \(mps(median)) M events/s")
        }
        let sinks: [(String, String, String)] = [
            ("csv", "generate → csv (7 columns, ISO-8601 times, one file)",
             #"{"id": "out", "kind": "csv", "from": "gen", "config": {"path": "FILE.csv", "append": false}}"#),
            ("sqlite", "generate → sqlite (7 columns, WAL, 5000-row transactions)",
             #"{"id": "out", "kind": "sqlite", "from": "gen", "config": {"path": "FILE.sqlite"}}"#),
        ]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, shape, sink) in sinks where scenario == nil || scenario == name {
            let rows = min(events, 5_000_000)
            var rates: [Double] = []
            for run in 0..<runs {
                let file = directory.appendingPathComponent("\(name)-\(run)").path
                let pipeline = """
                    {"name": "bench-\(name)", "stages": [
                      {"id": "gen", "kind": "generate", "config": {"count": COUNT, "symbols": ["AAPL", "MSFT", "SPY", "QQQ"]}},
                      \(sink.replacingOccurrences(of: "FILE", with: file))
                    ]}
                    """
                let scenario = PipelineBenchmark.Scenario(name: name, shape: shape, pipeline: pipeline)
                rates.append(try await PipelineBenchmark.run(scenario, events: rows, registry: Sluice.registry).eventsPerSecond)
            }
            rates.sort()
            print("\(name.padding(6))  \(shape)")
            print("        \(rows) rows × \(runs) runs: best \(mps(rates.last!)) M rows/s, median \(mps(rates[rates.count / 2])) M rows/s")
        }
        let marketData: [(String, String, () async throws -> Double)] = [
            ("decode", "100-Quote COMPACT frames → FeedDecoder (one core)", { MarketDataBenchmark.decode(events: events) }),
            ("e2e", "simulate flood → WebSocket (loopback) → dxlink → dxlink_decode → null",
             { try await MarketDataBenchmark.endToEnd(events: min(events, 5_000_000), registry: Sluice.registry) }),
            ("e2e-process", "sluice simulate --flood (own process) → WebSocket (loopback) → dxlink → dxlink_decode → null",
             { try await Self.endToEndWithSimulatorProcess(events: min(events, 5_000_000)) }),
        ]
        if scenario == nil || scenario == "validate" {
            try ValidateBenchmark.run(runs: runs, megabytes: 20)
        }
        if scenario == nil || scenario == "watch" {
            watchBenchmark(events: events)
        }
        if scenario == nil || scenario == "snapshot" {
            try await snapshotBenchmark()
        }
        for (name, shape, body) in marketData where scenario == nil || scenario == name {
            var rates: [Double] = []
            for _ in 0..<runs { rates.append(try await body()) }
            rates.sort()
            print("\(name.padding(6))  \(shape)")
            print("        \(name.hasPrefix("e2e") ? min(events, 5_000_000) : events) events × \(runs) runs: best \(mps(rates.last!)) M events/s, median \(mps(rates[rates.count / 2])) M events/s")
        }
    }

    /// `watch`: decoding with and without every event noted by a ``SymbolWatch``, run by run in
    /// turn, and what watching 100 000 symbols costs in memory.
    func watchBenchmark(events: Int) {
        var plain: [Double] = [], watched: [Double] = []
        for _ in 0..<runs {
            plain.append(MarketDataBenchmark.decode(events: events))
            watched.append(MarketDataBenchmark.decode(events: events, watching: true))
        }
        let ratio = watched.max()! / plain.max()!
        print("watch   the decode scenario with every event noted by SymbolWatch (staleness on), runs alternating")
        print("        \(events) events × \(runs) runs: best \(mps(watched.max()!)) M events/s against \(mps(plain.max()!)) M decoding alone (\((ratio * 100).rounded() / 100)×)")
        if let memory = MarketDataBenchmark.watchMemory(symbols: 100_000) {
            print("        100 000 symbols × Quote, Trade, Greeks watched: \(Int(memory.rounded())) bytes resident per subscription")
        }
    }

    /// `snapshot`: 100 symbols × Quote and Greeks from the simulator on loopback, until complete.
    func snapshotBenchmark() async throws {
        var logger = Logger(label: "sluice.bench")
        logger.logLevel = .error
        let symbols = (0..<100).map { "SYM\($0)" }
        var times: [Double] = []
        var complete = 0
        for _ in 0..<runs {
            var simulator = SimulatorConfiguration()
            simulator.rate = 50_000
            let result = try await DXLinkSnapshot.take(symbols: symbols, types: [.quote, .greeks], from: .simulate(simulator), timeout: .seconds(30), logger: logger)
            times.append(result.elapsed.seconds)
            if result.book.isComplete { complete += 1 }
        }
        times.sort()
        print("snapshot 100 symbols × Quote, Greeks from the simulator on loopback (one connection), until complete")
        print("        \(runs) runs, \(complete) complete: best \(DurationText.format(.seconds(times.first!))), median \(DurationText.format(.seconds(times[times.count / 2])))")
    }

    func mps(_ v: Double) -> String {
        let r = (v / 1e6 * 100).rounded() / 100
        return String(r)
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

extension BenchCommand {
    /// Starts `sluice simulate --flood` as a child process, reads its URL, and measures the client alone.
    static func endToEndWithSimulatorProcess(events: Int) async throws -> Double {
        let simulator = Process()
        simulator.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        simulator.arguments = ["simulate", "--flood", "--events-per-frame", "100", "--max-events", String(events + 1000)]
        let output = Pipe()
        simulator.standardOutput = output
        simulator.standardError = FileHandle.nullDevice
        try simulator.run()
        defer {
            simulator.terminate()
            simulator.waitUntilExit()
        }
        // The first line is "DXLink simulator listening on ws://HOST:PORT and tastytrade REST on http://…".
        var line = Data()
        while !line.contains(0x0A), let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty { line.append(byte) }
        guard let url = String(decoding: line, as: UTF8.self).split(separator: " ").first(where: { $0.hasPrefix("ws://") })
            .map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) else {
            throw ValidationError("the simulator process did not print its URL")
        }
        return try await MarketDataBenchmark.endToEnd(events: events, registry: Sluice.registry, url: url)
    }
}
