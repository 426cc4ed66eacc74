import BuiltinStages
import Foundation
import SluiceCore
import SluiceRuntime
import SluiceStages
import SluiceTesting
import Testing

@Suite("Pipeline validation")
struct PipelineValidationTests {
    static let brokenDirectory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/broken")

    static var brokenFiles: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: brokenDirectory.path))?.filter { $0.hasSuffix(".json") }.sorted() ?? []
    }

    @Test("the corpus of broken pipeline files is not empty")
    func corpusExists() {
        #expect(Self.brokenFiles.count >= 10)
    }

    /// Each broken file comes with the exact diagnostics expected (line:col: path: message; expected; hint),
    /// in file order. Every problem in a file is reported in one run.
    @Test("every broken pipeline file reports exactly the expected problems", arguments: brokenFiles)
    func brokenFile(name: String) throws {
        let path = Self.brokenDirectory.appendingPathComponent(name).path
        let expected = try String(contentsOfFile: path.replacingOccurrences(of: ".json", with: ".expected"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        do {
            _ = try PipelinePlanner(registry: .all, environment: [:]).plan(file: path)
            Issue.record("\(name) was accepted")
        } catch {
            let got = error.diagnostics.map { d -> String in
                var d = d
                d.file = nil
                return d.description
            }
            #expect(got == expected)
            #expect(error.diagnostics.allSatisfy { $0.file == path && $0.position != nil })
        }
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var examplePipelines: [String] {
        let dir = repositoryRoot.appendingPathComponent("pipelines").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    @Test("every file in pipelines/ is valid", arguments: examplePipelines)
    func examplePipeline(name: String) throws {
        let path = Self.repositoryRoot.appendingPathComponent("pipelines").appendingPathComponent(name).path
        // The real-account examples read their credentials from the environment; any value validates.
        let plan = try PipelinePlanner(registry: .all, environment: ["DXLINK_TOKEN": "validation-only", "TASTYTRADE_CLIENT_SECRET": "validation-only", "TASTYTRADE_REFRESH_TOKEN": "validation-only"]).plan(file: path)
        #expect(!plan.stages.isEmpty)
    }

    @Test("pipelines/ contains the demo")
    func demoExists() {
        #expect(Self.examplePipelines.contains("demo.json"))
    }

    @Test("${NAME} and ${NAME:-default} are substituted; a substituted string becomes a number where one is expected")
    func environment() throws {
        let text = #"""
            {"stages": [
              {"id": "gen", "kind": "generate", "config": {"count": "${N}", "seed": "${SEED:-9}", "symbols": ["${SYM}", "X$${LITERAL}"]}},
              {"id": "out", "kind": "null", "from": "gen"}
            ]}
            """#
        let plan = try PipelinePlanner(registry: .generic, environment: ["N": "12", "SYM": "SPY"]).plan(text: text)
        let config = try #require(plan.stage("gen")?.configuration as? GenerateStage.Configuration)
        #expect(config.count == 12)
        #expect(config.seed == 9)
        #expect(config.symbols == ["SPY", "X${LITERAL}"])
    }

    @Test("defaults are filled in and shown in the effective configuration")
    func defaults() throws {
        let plan = try PipelinePlanner(registry: .generic, environment: [:]).plan(text: #"""
            {"stages": [{"id": "gen", "kind": "generate"}, {"id": "out", "kind": "jsonl", "from": "gen"}]}
            """#)
        let out = try #require(plan.stage("out"))
        #expect(out.displayConfiguration.objectValue?["path"] == .string("-"))
        #expect(out.queue == .default)
        #expect(out.inputTypeName == "Tick")
    }

    struct SecretStage: Stage {
        typealias Output = Tick
        struct Configuration: StageConfiguration {
            var token: String
            var mode: String
            static let spec = ConfigSpec([
                ConfigField("token", .string, secret: true, doc: "API token."),
                ConfigField("mode", .oneOf(["a", "b"]), default: .string("a"), secret: true, doc: "A secret choice."),
            ])
        }
        static let kind = "secretive"
        static let summary = "Test source with a secret."
        init(configuration: Configuration, context: StageContext) {}
        func run(input: Inbound<Never>, output: Outbound<Tick>) async throws {}
    }

    @Test("secret values never appear in diagnostics or the effective configuration")
    func secrets() throws {
        var registry = StageRegistry.generic
        registry.register(SecretStage.self)
        let bad = #"""
            {"stages": [
              {"id": "src", "kind": "secretive", "config": {"token": ["hunter2-secret"], "mode": "hunter3-secret"}},
              {"id": "out", "kind": "null", "from": "src"}
            ]}
            """#
        do {
            _ = try PipelinePlanner(registry: registry, environment: [:]).plan(text: bad)
            Issue.record("accepted")
        } catch {
            let text = error.description
            #expect(error.diagnostics.count == 2)
            #expect(!text.contains("hunter2"))
            #expect(!text.contains("hunter3"))
        }
        let good = #"""
            {"stages": [
              {"id": "src", "kind": "secretive", "config": {"token": "${TOKEN}"}},
              {"id": "out", "kind": "null", "from": "src"}
            ]}
            """#
        let plan = try PipelinePlanner(registry: registry, environment: ["TOKEN": "tok-123456"]).plan(text: good)
        #expect(plan.stage("src")?.displayConfiguration.jsonText.contains("tok-123456") == false)
        #expect(plan.secrets == ["tok-123456"])
        #expect(SecretRedactor(secrets: plan.secrets).redact("auth failed for tok-123456") == "auth failed for ***")
    }
}
