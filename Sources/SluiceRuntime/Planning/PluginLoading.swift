import Foundation
import SluiceCore

/// Phase 3: the plugin libraries a pipeline file names, loaded into the registry. Loading a library runs
/// its code, so this is a step of its own, which `sluice validate --no-plugins` leaves out.
enum PluginLoading {
    /// Loads every library in `value` (the file's `plugins`: paths relative to the file).
    static func load(_ value: JSONValue, relativeTo file: String?, into registry: inout StageRegistry, problems: inout [Diagnostic]) {
        let pointer = JSONPointer.root.appending("plugins")
        guard case .array(let items) = value else {
            problems.report(.wrongType, pointer, "wrong type: got \(value.kindName)", expected: "an array of shared-library paths")
            return
        }
        let base = file.map { URL(fileURLWithPath: $0).deletingLastPathComponent() } ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for (i, item) in items.enumerated() {
            guard case .string(let path) = item else {
                problems.report(.wrongType, pointer.appending(i), "wrong type: got \(item.kindName)", expected: "a path to a plugin library")
                continue
            }
            let resolved = path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardizedFileURL.path
            do {
                try PluginLoader.load(resolved, into: &registry)
            } catch {
                problems.report(DiagnosticCode("plugin"), pointer.appending(i), error.message, expected: "a plugin built by this sluice")
            }
        }
    }
}
