public import SluiceCore

/// The `candles` plugin: registers the `candles` stage.
public enum CandlesPlugin: SluicePlugin {
    public static let name = "candles"

    public static func register(into registry: inout StageRegistry) {
        registry.register(CandlesStage.self, origin: name)
    }
}
