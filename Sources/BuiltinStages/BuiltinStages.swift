public import SluiceCore
import SluiceRuntime

/// The built-in market-data stages: `dxlink`, `dxlink_decode`, `record`, `replay` and `market_metrics`.
public enum BuiltinStages: SluicePlugin {
    public static let name = "built-in"

    public static func register(into registry: inout StageRegistry) {
        registry.register(DXLinkSourceStage.self, origin: name)
        registry.register(DXLinkDecodeStage.self, origin: name)
        registry.register(RecordSink.self, origin: name)
        registry.register(ReplaySource.self, origin: name)
        registry.register(MarketMetricsStage<FieldRecord>.self, origin: name)
    }
}

extension StageRegistry {
    /// The generic stages plus the built-in market-data stages (``BuiltinStages``), without the plugin
    /// modules; `StageRegistry.all` (SluiceStages), what `sluice` runs with, adds those.
    public static var marketData: StageRegistry {
        var r = StageRegistry.generic
        r.register(plugin: BuiltinStages.self)
        return r
    }
}
