public import SluiceCore

/// The `csv` plugin: registers the `csv` sink.
public enum CSVSinkPlugin: SluicePlugin {
    public static let name = "csv"

    public static func register(into registry: inout StageRegistry) {
        registry.register(CSVSink<FieldRecord>.self, origin: name)
    }
}
