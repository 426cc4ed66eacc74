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

    func run() throws {
        var failed = false
        for file in files {
            do {
                let plan = try PipelineLinter(registry: Sluice.registry).plan(file: file)
                Swift.print("\(file): ok — \(plan.stages.count) stages: " + plan.stages.map(\.id).joined(separator: ", "))
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
}
