public import SluiceCore

/// The generic stages every registry starts with: `generate`, `filter`, `select`, `pass`, `jsonl`, `log`,
/// `null`.
public enum StandardStages: SluicePlugin {
    public static let name = "built-in"

    public static func register(into registry: inout StageRegistry) {
        registry.register(GenerateStage.self, origin: name)
        registry.register(FilterStage<FieldRecord>.self, origin: name)
        registry.register(SelectStage<FieldRecord>.self, origin: name)
        registry.register(PassStage<FieldRecord>.self, origin: name)
        registry.register(JSONLinesSink<FieldRecord>.self, origin: name)
        registry.register(LogSink<FieldRecord>.self, origin: name)
        registry.register(NullSink<FieldRecord>.self, origin: name)
        registry.register(ExecStage<FieldRecord>.self, origin: name)
    }
}

extension StageRegistry {
    /// A registry with the standard stages.
    public static var standard: StageRegistry {
        var r = StageRegistry()
        r.register(plugin: StandardStages.self)
        return r
    }
}
