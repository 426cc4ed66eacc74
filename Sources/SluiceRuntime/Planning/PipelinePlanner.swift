import Foundation
public import SluiceCore

/// Turns a pipeline file into a ``PipelinePlan``, or reports every problem in it at once.
///
/// A file is planned in phases, each a function of what the previous ones produced:
///
/// 1. **Document**: the JSON is parsed (a syntax error ends here, with its line and column) and
///    `${NAME}` references are substituted.
/// 2. **File model**: the top-level members and one ``StageDraft`` per stage — id, kind, inputs, queue
///    and error policy, each with its JSON Pointer (``PipelineFileModel``).
/// 3. **Plugins**: the libraries the file names are loaded into the registry — an explicit step, which
///    `validate --no-plugins` leaves out (``PluginLoading``).
/// 4. **Configurations**: each stage's kind is looked up and its `config` checked against the kind's
///    spec, defaults filled in (``StageConfigurationPhase``).
/// 5. **Graph**: duplicate ids, dangling and self inputs, sources with inputs, sinks used as inputs,
///    cycles, and the topological order — pure functions of ids and edges (``StageGraph``).
/// 6. **Typing**: in topological order, every stage's input type against its upstream's output, its
///    configuration decoded and checked against the fields and event kinds its input carries
///    (``PipelineTyping``); then outputs nobody reads.
/// 7. **Secrets**: every secret value, for redaction wherever it might appear.
///
/// Each problem comes with its JSON Pointer, what was expected and, where possible, a hint.
public struct PipelinePlanner: Sendable {
    /// The stage kinds available.
    public var registry: StageRegistry
    /// The environment for `${NAME}`.
    public var environment: [String: String]
    /// Whether the plugin libraries a file names are loaded (which runs their code). Without them, the
    /// kinds they register are unknown.
    public var loadsPlugins: Bool
    /// Whether an unset `${NAME}` without a default becomes the placeholder `unset-NAME` rather than a
    /// problem (see ``EnvironmentSubstitution/placeholdersForUnset``): for checking files whose secrets
    /// are not at hand. A plan made this way is for inspection, never for running.
    public var allowsUnsetVariables: Bool

    /// Creates a planner.
    public init(registry: StageRegistry, environment: [String: String], loadsPlugins: Bool = true, allowsUnsetVariables: Bool = false) {
        self.registry = registry
        self.environment = environment
        self.loadsPlugins = loadsPlugins
        self.allowsUnsetVariables = allowsUnsetVariables
    }

    /// Creates a planner reading `${NAME}` from this process's environment.
    public init(registry: StageRegistry) {
        self.init(registry: registry, environment: ProcessInfo.processInfo.environment)
    }

    /// Reads and plans the pipeline file at `path`.
    public func plan(file path: String) throws(ValidationFailure) -> PipelinePlan {
        guard let bytes = Self.read(path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            var d = Diagnostic(.unreadableFile, at: .root, exists ? "cannot read the file" : "no such file")
            d.file = path
            throw ValidationFailure([d])
        }
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try plan(bytes: bytes, file: path, defaultName: name)
    }

    /// Plans pipeline JSON text; `file` names it in messages.
    public func plan(text: String, file: String? = nil) throws(ValidationFailure) -> PipelinePlan {
        try plan(bytes: Array(text.utf8), file: file, defaultName: "pipeline")
    }

    func plan(bytes: [UInt8], file: String?, defaultName: String) throws(ValidationFailure) -> PipelinePlan {
        // 1. Document.
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: bytes)
        } catch {
            var d = Diagnostic(error)
            d.file = file
            throw ValidationFailure([d])
        }
        var problems: [Diagnostic] = []
        let substitution = EnvironmentSubstitution(environment: environment, placeholdersForUnset: allowsUnsetVariables).apply(to: document.root)
        problems += substitution.diagnostics

        // 2. File model.
        let model = PipelineFileModel.read(substitution.value, substituted: substitution.substituted, problems: &problems)

        // 3. Plugins.
        var registry = self.registry
        if loadsPlugins, let plugins = model.plugins {
            PluginLoading.load(plugins, relativeTo: file, into: &registry, problems: &problems)
        }
        guard var drafts = model.stages else { throw Self.failure(problems, in: document, file: file) }

        // 4. Configurations.
        let configurations = StageConfigurationPhase(registry: registry, substituted: substitution.substituted, unresolved: substitution.unresolved)
        for i in drafts.indices { configurations.configure(&drafts[i], problems: &problems) }

        // 5. Graph.
        let graph = StageGraph(drafts, problems: &problems)

        // 6. Typing, then outputs nobody reads.
        var typing = PipelineTyping(drafts: drafts, graph: graph)
        drafts = []  // typing holds the only copy, and releases what it no longer needs as it goes
        let stages = typing.plan(problems: &problems)
        drafts = typing.drafts
        graph.reportUnusedOutputs(of: drafts, problems: &problems)

        // 7. Secrets.
        let secrets = graph.order.flatMap { drafts[graph.nodes[$0]].secrets }

        guard problems.isEmpty else { throw Self.failure(problems, in: document, file: file) }
        return PipelinePlan(name: model.name ?? defaultName, file: file, stages: stages, secrets: secrets, http: model.http)
    }

    /// The problems, each with the file and its position, in the order they appear in the file.
    static func failure(_ problems: [Diagnostic], in document: JSONDocument, file: String?) -> ValidationFailure {
        let positions = document.positions(of: Set(problems.map(\.path)))
        var all = problems.enumerated().map { i, problem -> (Int, Diagnostic) in
            var d = problem
            d.file = file
            d.position = positions[d.path]
            return (i, d)
        }
        // Stable: problems at the same place stay in the order they were found.
        all.sort { x, y in
            let (i, a) = x, (j, b) = y
            switch (a.position, b.position) {
            case let (p?, q?) where p != q: return (p.line, p.column) < (q.line, q.column)
            default: return a.path != b.path ? a.path < b.path : i < j
            }
        }
        return ValidationFailure(all.map(\.1))
    }

    /// The file's bytes, read once into the array the parser uses (no `Data` copy beside it).
    static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var info = stat()
        guard fstat(fileno(file), &info) == 0, info.st_mode & S_IFMT != S_IFDIR else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size) + 1)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n > 0 { bytes.append(contentsOf: chunk[..<n]) }
            if n < chunk.count { return ferror(file) == 0 ? bytes : nil }
        }
    }
}

extension Array where Element == Diagnostic {
    /// Adds a problem.
    mutating func report(_ code: DiagnosticCode, _ pointer: JSONPointer, _ message: String, expected: String? = nil, hint: String? = nil) {
        append(Diagnostic(code, at: pointer, message, expected: expected, hint: hint))
    }
}
