import ArgumentParser
import Foundation
import SluiceCore
import SluiceRuntime

struct StagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages",
        abstract: "List the stage kinds, or document one kind's configuration fields."
    )

    @Argument(help: "A stage kind to document in full.")
    var kind: String?

    @Option(name: .customLong("plugin"), help: "Also load this plugin library (repeatable), as a pipeline file's \"plugins\" would.")
    var plugins: [String] = []

    func run() throws {
        var registry = Sluice.registry
        for path in plugins {
            do {
                try PluginLoader.load(path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path, into: &registry)
            } catch {
                printError("error: \(error)")
                throw ExitCode(ExitStatus.invalidInput)
            }
        }
        guard let kind else {
            print(StageDocs.overview(registry), terminator: "")
            return
        }
        guard let descriptor = registry.descriptor(for: kind) else {
            var message = "error: unknown stage kind \"\(kind)\""
            if let hint = didYouMean(kind, in: registry.kinds) { message += " (\(hint))" }
            printError(message + "\nknown kinds: " + registry.kinds.joined(separator: ", "))
            throw ExitCode(ExitStatus.invalidInput)
        }
        print(StageDocs.detail(descriptor), terminator: "")
    }
}
