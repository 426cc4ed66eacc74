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
    /// The generic stages alone (``StandardStages``): `generate`, `filter`, `select`, `pass`, `jsonl`,
    /// `log`, `null` and `exec`. ``StageRegistry/marketData`` adds the market-data stages, and
    /// `StageRegistry.all` (SluiceStages) every plugin too — that one is what `sluice` runs with.
    public static var generic: StageRegistry {
        var r = StageRegistry()
        r.register(plugin: StandardStages.self)
        return r
    }
}
