import Foundation
import SluiceRuntime
import Testing

/// The repository root (this file is Tests/SluiceCLITests/CustomStageTests.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Runs a program to completion, capturing its output. The program runs at the lowest CPU priority
/// (`nice -n 19`): these are compilers and test runs of generated packages, and on a two-core machine a
/// compile at normal priority starves the loopback tests running beside it past their limits.
func runProgram(_ arguments: [String], in directory: URL) async throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["nice", "-n", "19"] + arguments
    process.currentDirectoryURL = directory
    let log = directory.appendingPathComponent("program-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    let exit = ProcessExit(process)
    try process.run()
    await waitForExit(of: process, exit)
    try handle.close()
    return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
}

@Suite("custom stages loaded at run time")
struct PluginLibraryTests {
    static let source = """
    import SluiceCore
    import SluiceRuntime

    /// `shout` (transform): upper-cases tick symbols.
    public struct ShoutStage: Stage {
        public typealias Input = Tick
        public typealias Output = Tick
        public struct Configuration: StageConfiguration {
            public var suffix: String
            public static var spec: ConfigSpec { ConfigSpec([ConfigField("suffix", .string, default: .string("!"), doc: "Appended to symbols.")]) }
        }
        public static var kind: String { "shout" }
        public static var summary: String { "Upper-cases symbols." }
        let suffix: String
        public init(configuration: Configuration, context: StageContext) { suffix = configuration.suffix }
        public func run(input: Inbound<Tick>, output: Outbound<Tick>) async throws {
            for try await batch in input {
                try await output.send(batch.map { var t = $0; t.symbol = t.symbol.uppercased() + suffix; return t })
            }
        }
    }

    public enum ShoutPlugin: SluicePlugin {
        public static let name = "shout"
        public static func register(into registry: inout StageRegistry) { registry.register(ShoutStage.self, origin: name) }
    }
    """

    static let pipeline = """
    { "name": "shout", "plugins": ["LIBRARY"],
      "stages": [
        { "id": "gen", "kind": "generate", "config": { "symbols": ["aapl", "spy"], "count": 6 } },
        { "id": "shout", "kind": "shout", "from": "gen", "config": { "suffix": "?" } },
        { "id": "out", "kind": "jsonl", "from": "shout", "config": { "path": "shouted.jsonl", "append": false } }
      ] }
    """

    /// A fresh directory holding `libShout.so`, built from ``source`` by `sluice build-plugin`.
    static func buildShout() async throws -> URL {
        let dir = try temporaryDirectory()
        try source.write(to: dir.appendingPathComponent("Shout.swift"), atomically: true, encoding: .utf8)
        let built = try await SluiceProcess.run(["build-plugin", "--plugin", "ShoutPlugin", "--output", "libShout.so", "Shout.swift"], in: dir)
        #expect(built.status == 0, "\(built.stderr)")
        return dir
    }

    @Test("a plugin library built by sluice build-plugin is loaded from the pipeline file, validated, run and listed with its path")
    func loadAndRun() async throws {
        let dir = try await Self.buildShout()
        try Self.pipeline.replacingOccurrences(of: "LIBRARY", with: "libShout.so").write(to: dir.appendingPathComponent("shout.json"), atomically: true, encoding: .utf8)

        let run = try await SluiceProcess.run(["run", "shout.json"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try String(contentsOf: dir.appendingPathComponent("shouted.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines.allSatisfy { $0.contains(#""symbol":"AAPL?""#) || $0.contains(#""symbol":"SPY?""#) })

        let stages = try await SluiceProcess.run(["stages", "--plugin", "libShout.so"], in: dir)
        let line = stages.stdout.split(separator: "\n").first { $0.hasPrefix("shout ") }
        #expect(line?.contains(dir.appendingPathComponent("libShout.so").path) == true, "the origin is the library's path")
        #expect(stages.stdout.contains("candles") && stages.stdout.contains("exec"), "listed beside the standard kinds")

        let validated = try await SluiceProcess.run(["validate", "shout.json"], in: dir)
        #expect(validated.status == 0 && validated.stdout.contains("ok"))

        // Without loading plugins (no plugin code runs), the kind the plugin registers is unknown.
        let unloaded = try await SluiceProcess.run(["validate", "--no-plugins", "shout.json"], in: dir)
        #expect(unloaded.status == 2 && unloaded.stderr.contains(#"/stages/1/kind: unknown stage kind "shout""#), "\(unloaded.stderr)")
    }

    @Test("a plugin built against another build of the core is refused before it is called, with how to rebuild")
    func mismatchRefused() async throws {
        let dir = try await Self.buildShout()
        // The same library, carrying the fingerprint of a different core build.
        var bytes = try Data(contentsOf: dir.appendingPathComponent("libShout.so"))
        let marker = Data("; core ".utf8)
        let at = try #require(bytes.range(of: marker)).upperBound
        bytes[at] = bytes[at] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        try bytes.write(to: dir.appendingPathComponent("libOther.so"))
        try Self.pipeline.replacingOccurrences(of: "LIBRARY", with: "libOther.so").write(to: dir.appendingPathComponent("other.json"), atomically: true, encoding: .utf8)

        let run = try await SluiceProcess.run(["run", "other.json"], in: dir)
        #expect(run.status == 2)
        #expect(run.stderr.contains("/plugins/0") && run.stderr.contains("built for") && run.stderr.contains("sluice build-plugin"))
        #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("Segmentation"))

        try Data("not a library".utf8).write(to: dir.appendingPathComponent("libJunk.so"))
        try Self.pipeline.replacingOccurrences(of: "LIBRARY", with: "libJunk.so").write(to: dir.appendingPathComponent("junk.json"), atomically: true, encoding: .utf8)
        let junk = try await SluiceProcess.run(["validate", "junk.json"], in: dir)
        #expect(junk.status == 2 && junk.stderr.contains("cannot load it"))
    }
}

@Suite("custom stages compiled in")
struct ScaffoldTests {
    /// Building the scaffold's runner compiles all of Sluice a second time (about ten minutes here), so
    /// that part runs only when asked for.
    static let buildRunner = ProcessInfo.processInfo.environment["SLUICE_TEST_SCAFFOLD_RUNNER"] == "1"

    /// `sluice new-stage price_scaler` in a fresh directory; the package's directory.
    static func makePackage() async throws -> URL {
        let dir = try temporaryDirectory()
        let made = try await SluiceProcess.run(["new-stage", "price_scaler", "--directory", dir.path, "--sluice-path", repositoryRoot.path], in: dir)
        #expect(made.status == 0, "\(made.stderr)")
        return dir.appendingPathComponent("price_scaler")
    }

    @Test("sluice new-stage makes a package that builds against this checkout and passes its tests (its stage in a pipeline among them)", .timeLimit(.minutes(20)))
    func scaffold() async throws {
        let package = try await Self.makePackage()
        // The stage library and its tests need only the core of Sluice; one build job, so the rest of the
        // suite keeps a core for its timers while this builds.
        let build = try await runProgram(["swift", "build", "--product", "PriceScalerPackageTests", "-j", "1"], in: package)
        #expect(build.status == 0, "\(build.output.suffix(3000))")
        let tests = try await runProgram(["swift", "test", "--skip-build"], in: package)
        #expect(tests.status == 0, "\(tests.output.suffix(3000))")
        #expect(tests.output.contains("4 tests"))
        #expect(tests.output.contains("the stage runs in a pipeline beside the standard stages"))
    }

    @Test("the scaffold's runner is sluice with the new stage: it runs the example pipeline and lists the stage beside the standard kinds",
          .enabled(if: buildRunner, "set SLUICE_TEST_SCAFFOLD_RUNNER=1 (builds all of Sluice a second time)"), .timeLimit(.minutes(60)))
    func scaffoldRunner() async throws {
        let package = try await Self.makePackage()
        let run = try await runProgram(["swift", "run", "price-scaler-runner", "run", "pipelines/price_scaler.json"], in: package)
        #expect(run.status == 0, "\(run.output.suffix(2000))")
        let lines = try String(contentsOf: package.appendingPathComponent("out/price_scaler.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1000)
        let stages = try await runProgram(["swift", "run", "price-scaler-runner", "stages"], in: package)
        #expect(stages.output.split(separator: "\n").contains { $0.hasPrefix("price_scaler") && $0.contains(" price_scaler ") })
        #expect(stages.output.contains("candles"), "beside the standard kinds")
    }

    @Test("new-stage refuses a name that is not snake_case and a path that is not a Sluice checkout")
    func refusals() async throws {
        let dir = try temporaryDirectory()
        let badName = try await SluiceProcess.run(["new-stage", "Price-Scaler", "--sluice-path", repositoryRoot.path], in: dir)
        #expect(badName.status == 2 && badName.stderr.contains("snake_case"))
        let badPath = try await SluiceProcess.run(["new-stage", "scaler", "--sluice-path", dir.path], in: dir)
        #expect(badPath.status == 2 && badPath.stderr.contains("not a Sluice checkout"))
    }
}
