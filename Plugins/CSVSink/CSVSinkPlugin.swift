public import SluiceCore

/// The `csv` plugin: registers the `csv` and `board` sinks.
public enum CSVSinkPlugin: SluicePlugin {
    public static let name = "csv"

    public static func register(into registry: inout StageRegistry) {
        registry.register(CSVSink<FieldRecord>.self, origin: name)
        registry.register(BoardSink<FieldRecord>.self, origin: name)
    }
}
