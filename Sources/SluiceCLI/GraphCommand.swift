import ArgumentParser
import SluiceRuntime

struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw a pipeline as a Mermaid flowchart or a Graphviz DOT graph."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case mermaid, dot
    }

    @Argument(help: "The pipeline file.")
    var file: String

    @Option(help: "Output format: mermaid or dot.")
    var format: Format = .mermaid

    @Flag(name: .customLong("allow-unset"), help: "Give an unset ${NAME} without a default the placeholder \"unset-NAME\" instead of failing (the graph needs no secrets).")
    var allowUnset = false

    func run() throws {
        let plan = try loadPlan(file, allowingUnsetVariables: allowUnset)
        switch format {
        case .mermaid: print(PipelineGraph.mermaid(plan), terminator: "")
        case .dot: print(PipelineGraph.dot(plan), terminator: "")
        }
    }
}
