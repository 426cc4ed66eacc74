public import SluiceCore

/// The `sqlite` plugin: registers the `sqlite` sink.
public enum SQLiteSinkPlugin: SluicePlugin {
    public static let name = "sqlite"

    public static func register(into registry: inout StageRegistry) {
        registry.register(SQLiteSink<FieldRecord>.self, origin: name)
    }
}
