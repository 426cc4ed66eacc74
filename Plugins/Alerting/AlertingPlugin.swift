public import SluiceCore

/// The `alerts` plugin: registers the `alerts` stage.
public enum AlertingPlugin: SluicePlugin {
    public static let name = "alerts"

    public static func register(into registry: inout StageRegistry) {
        registry.register(AlertsStage<FieldRecord>.self, origin: name)
    }
}
