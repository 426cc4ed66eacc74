import ArgumentParser
import Foundation
public import SluiceCore
import SluiceRuntime

/// The `sluice` command: validate, run and inspect market-data pipelines.
struct Sluice: AsyncParsableCommand {
    static let version = SluiceVersion.current

    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Run market-data pipelines declared in JSON files.",
        discussion: """
            A pipeline is a graph of typed stages (source → transforms → sinks) joined by bounded queues.
            Exit codes: 0 success, 1 runtime failure, 2 invalid input (bad file or flags).
            """,
        version: version,
        subcommands: [RunCommand.self, ValidateCommand.self, StagesCommand.self, SchemaCommand.self, GraphCommand.self, SimulateCommand.self, SnapshotCommand.self, SymbolsCommand.self, ChainCommand.self, MetricsCommand.self, BenchCommand.self, NewStageCommand.self, BuildPluginCommand.self]
    )

    /// The stage kinds the running command knows: bound by ``SluiceCommandLine/main(registry:)`` for the
    /// command's run (a task local, so it is scoped to that run and inherited by its child tasks).
    @TaskLocal static var registry = StageRegistry()
}

/// Exit codes of the executable.
enum ExitStatus {
    static let success: Int32 = 0
    static let runtimeFailure: Int32 = 1
    static let invalidInput: Int32 = 2
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

/// Prints validation problems in file order, one per line, then a count.
func printDiagnostics(_ failure: ValidationFailure) {
    for d in failure.diagnostics { printError("error: \(d)") }
    let n = failure.diagnostics.count
    printError("\(n) problem\(n == 1 ? "" : "s") found")
}

/// Loads a plan or exits with status 2 after printing every problem. `allowingUnsetVariables`: see
/// ``PipelinePlanner/allowsUnsetVariables`` (never for a plan that runs).
func loadPlan(_ path: String, allowingUnsetVariables: Bool = false) throws -> PipelinePlan {
    do {
        var planner = PipelinePlanner(registry: Sluice.registry)
        planner.allowsUnsetVariables = allowingUnsetVariables
        return try planner.plan(file: path)
    } catch {
        printDiagnostics(error)
        throw ExitCode(ExitStatus.invalidInput)
    }
}

/// The `sluice` command line as a library: a custom runner is `sluice` with more stage kinds.
///
/// ```swift
/// import SluiceCLI
/// import SluiceCore
/// import SluiceStages
/// import MyStages
///
/// var registry = StageRegistry.all
/// registry.register(plugin: MyStagesPlugin.self)
/// await SluiceCommandLine.main(registry: registry)
/// ```
public enum SluiceCommandLine {
    /// Parses the process's arguments, runs the command with `registry`, and exits with its status
    /// (0 success, 1 runtime failure, 2 invalid input).
    public static func main(registry: StageRegistry) async -> Never {
        do {
            var command = try Sluice.parseAsRoot()
            try await Sluice.$registry.withValue(registry) {
                if var asyncCommand = command as? any AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
            }
            exit(ExitStatus.success)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            // Help and version requests print to stdout and succeed; everything else is a usage error.
            let status = Sluice.exitCode(for: error)
            if status == .success {
                print(Sluice.fullMessage(for: error))
                exit(ExitStatus.success)
            }
            printError(Sluice.fullMessage(for: error))
            exit(ExitStatus.invalidInput)
        }
    }
}
