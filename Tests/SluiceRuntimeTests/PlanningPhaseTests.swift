import SluiceCore
@testable import SluiceRuntime
import Testing

/// The phases of planning a pipeline file, each on its own.
@Suite("planning phases")
struct PlanningPhaseTests {
    /// The file model of `json`, configured against the standard registry, and the problems found.
    func drafts(_ json: String) throws -> (drafts: [StageDraft], problems: [Diagnostic]) {
        let document = try JSONDocument(parsing: json)
        var problems: [Diagnostic] = []
        let model = PipelineFileModel.read(document.root, substituted: [], problems: &problems)
        var drafts = try #require(model.stages)
        let phase = StageConfigurationPhase(registry: .generic, substituted: [], unresolved: [])
        for i in drafts.indices { phase.configure(&drafts[i], problems: &problems) }
        return (drafts, problems)
    }

    @Test("the file model reads every stage with the pointer of each part, without a registry")
    func fileModel() throws {
        let document = try JSONDocument(parsing: #"""
            {"name": "p", "stages": [
              {"id": "a", "kind": "nosuchkind"},
              {"id": "-bad", "kind": "filter", "from": ["a", "b"]},
              {"id": "c"}
            ]}
            """#)
        var problems: [Diagnostic] = []
        let model = PipelineFileModel.read(document.root, substituted: [], problems: &problems)
        let stages = try #require(model.stages)
        #expect(model.name == "p")
        #expect(stages.map(\.id) == ["a", nil, "c"])
        #expect(stages.map(\.kind) == ["nosuchkind", "filter", nil])
        #expect(stages[1].from == ["a", "b"])
        #expect(stages[1].fromPointers.map(\.description) == ["/stages/1/from/0", "/stages/1/from/1"])
        #expect(stages[2].kindIsMissing)
        // Kinds are not looked up here: only the bad id is a problem of the file model.
        #expect(problems.map(\.path.description) == ["/stages/1/id"])
    }

    @Test("a pipeline of more than 10 000 stages is one problem at /stages, found before any stage is read; 10 000 are read")
    func stageLimit() throws {
        func file(_ count: Int) -> String {
            #"{"stages": ["# + (0..<count).map { #"{"id": "s\#($0)", "kind": "null"}"# }.joined(separator: ",") + "]}"
        }
        var problems: [Diagnostic] = []
        let over = PipelineFileModel.read(try JSONDocument(parsing: file(10_001)).root, substituted: [], problems: &problems)
        #expect(over.stages == nil)
        #expect(problems.map(\.path.description) == ["/stages"])
        #expect(problems.first?.message == "too many stages: 10001 (limit 10000)")
        problems = []
        let at = PipelineFileModel.read(try JSONDocument(parsing: file(10_000)).root, substituted: [], problems: &problems)
        #expect(at.stages?.count == 10_000)
        #expect(problems.isEmpty)
    }

    @Test("the graph orders stages after their inputs, whatever order the file lists them in")
    func topologicalOrder() throws {
        let (drafts, problems) = try drafts(#"""
            {"stages": [
              {"id": "out", "kind": "null", "from": ["left", "right"]},
              {"id": "left", "kind": "filter", "from": "gen", "config": {"expression": "price > 1"}},
              {"id": "right", "kind": "filter", "from": "gen", "config": {"expression": "price < 1"}},
              {"id": "gen", "kind": "generate"}
            ]}
            """#)
        var graphProblems = problems
        let graph = StageGraph(drafts, problems: &graphProblems)
        #expect(graphProblems.isEmpty)
        let order = graph.order.map { drafts[graph.nodes[$0]].id! }
        #expect(order == ["gen", "left", "right", "out"])
        #expect(graph.consumers[graph.node["gen"]!].map { drafts[graph.nodes[$0]].id! } == ["left", "right"])
    }

    @Test("a cycle is reported once, in data-flow order from the stage first in the file, and its stages are left out of the order")
    func cycle() throws {
        let (drafts, _) = try drafts(#"""
            {"stages": [
              {"id": "gen", "kind": "generate"},
              {"id": "a", "kind": "filter", "from": ["gen", "c"], "config": {"expression": "true"}},
              {"id": "b", "kind": "filter", "from": "a", "config": {"expression": "true"}},
              {"id": "c", "kind": "filter", "from": "b", "config": {"expression": "true"}},
              {"id": "out", "kind": "null", "from": "c"}
            ]}
            """#)
        var problems: [Diagnostic] = []
        let graph = StageGraph(drafts, problems: &problems)
        #expect(problems.map(\.message) == [#"stages form a cycle: "a" → "b" → "c" → "a""#])
        #expect(problems.map(\.path.description) == ["/stages/1/from"])
        #expect(graph.order.map { drafts[graph.nodes[$0]].id! } == ["gen"])
    }

    @Test("a duplicate id keeps the first stage; a dangling input names the ids there are; an output nobody reads is reported")
    func wiring() throws {
        let (drafts, _) = try drafts(#"""
            {"stages": [
              {"id": "gen", "kind": "generate"},
              {"id": "gen", "kind": "generate"},
              {"id": "f", "kind": "filter", "from": "gne", "config": {"expression": "true"}},
              {"id": "spare", "kind": "generate"}
            ]}
            """#)
        var problems: [Diagnostic] = []
        let graph = StageGraph(drafts, problems: &problems)
        graph.reportUnusedOutputs(of: drafts, problems: &problems)
        #expect(graph.nodes == [0, 2, 3])
        #expect(problems.map(\.code) == [.duplicateID, .danglingFrom, .unusedOutput, .unusedOutput])
        #expect(problems[1].expected == #"one of "gen", "spare""#)
        #expect(problems[1].hint?.contains("gen") == true)
        #expect(problems[2...].map(\.path.description) == ["/stages/0", "/stages/3"])
    }
}
