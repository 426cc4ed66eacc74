import ArgumentParser
import SluiceCore
import SluiceRuntime

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print a JSON Schema for pipeline files (for editor completion and checking)."
    )

    func run() throws {
        var writer = JSONWriter()
        writer.write(PipelineSchema.jsonSchema(for: Sluice.registry))
        print(writer.string)
    }
}
