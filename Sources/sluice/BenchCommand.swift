import ArgumentParser
import SluiceRuntime

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure events per second through standard pipelines.",
        discussion: """
            Scenarios: filter (generate → filter → null) and chain (generate → pass ×3 → null, block
            queues). Build in release mode for meaningful numbers: swift run -c release sluice bench
            """
    )

    @Option(help: "Events per run.")
    var events: Int = 20_000_000

    @Option(help: "Runs per scenario; the best and the median are reported.")
    var runs: Int = 3

    @Option(help: "Only this scenario (filter or chain).")
    var scenario: String?

    func validate() throws {
        guard events > 0 else { throw ValidationError("--events must be positive") }
        guard runs > 0 else { throw ValidationError("--runs must be positive") }
        if let scenario, !PipelineBenchmark.scenarios.contains(where: { $0.name == scenario }) {
            throw ValidationError("unknown scenario \"\(scenario)\"; expected one of: " + PipelineBenchmark.scenarios.map(\.name).joined(separator: ", "))
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
    }

    func mps(_ v: Double) -> String {
        let r = (v / 1e6 * 100).rounded() / 100
        return String(r)
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
