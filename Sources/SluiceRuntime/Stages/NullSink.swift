public import SluiceCore

/// `null` (sink): consumes and counts records — for benchmarks and for outputs you do not need.
public struct NullSink<Element: Record>: RecordGenericStage {
    public typealias Input = Element

    public static var kind: String { "null" }
    public static var summary: String { "Consumes and counts records (for benchmarks)." }

    public init(configuration: EmptyConfiguration, context: StageContext) {}

    public static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type { NullSink<R>.self }

    public func run(input: Inbound<Element>, output: Outbound<Never>) async throws {
        for try await _ in input {}
    }
}
