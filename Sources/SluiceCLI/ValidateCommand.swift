import ArgumentParser
import SluiceCore
import SluiceRuntime

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check pipeline files without running them.",
        discussion: """
            Reports every problem in every file at once, each with its JSON Pointer path (for example
            /stages/2/config/periods/0), line and column, what was expected and a hint. Secrets are never
            printed. Exits 0 when all files are valid, 2 otherwise.
            """
    )

    @Argument(help: "Pipeline files to check.")
    var files: [String]

    @Flag(help: "Print each valid pipeline's effective configuration (defaults filled in, secrets redacted).")
    var print = false

    @Flag(name: .customLong("no-plugins"), help: "Do not load the plugin libraries the files name (loading runs their code); their kinds are then unknown.")
    var noPlugins = false

    @Flag(name: .customLong("allow-unset"), help: "Give an unset ${NAME} without a default the placeholder \"unset-NAME\" instead of failing: for checking files whose secrets are not available (a repository's CI). Secret fields stay redacted.")
    var allowUnset = false

    func run() throws {
        var failed = false
        for file in files {
            do {
                var planner = PipelinePlanner(registry: Sluice.registry)
                planner.loadsPlugins = !noPlugins
                planner.allowsUnsetVariables = allowUnset
                let plan = try planner.plan(file: file)
                Swift.print("\(file): ok — \(plan.stages.count) stages: " + Self.listing(plan.stages.map(\.id)))
                if print {
                    for s in plan.stages {
                        Swift.print("  \(s.id) (\(s.kind)): \(s.displayConfiguration.jsonText)")
                    }
                }
            } catch {
                failed = true
                printDiagnostics(error)
            }
        }
        if failed { throw ExitCode(ExitStatus.invalidInput) }
    }

    /// Stage ids for the summary line: all of them when few, else the first twenty and how many more.
    static func listing(_ ids: [String]) -> String {
        guard ids.count > 20 else { return ids.joined(separator: ", ") }
        return ids.prefix(20).joined(separator: ", ") + ", … (\(ids.count - 20) more)"
    }
}
