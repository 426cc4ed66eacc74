public import SluiceCore

/// `pass` (transform): forwards every record unchanged — a merge point for fan-in, or a tap.
public struct PassStage<Element: Record>: RecordGenericStage {
    public typealias Input = Element
    public typealias Output = Element

    public static var kind: String { "pass" }
    public static var summary: String { "Forwards every record unchanged (a merge point for several inputs, or a tap)." }

    public init(configuration: EmptyConfiguration, context: StageContext) {}

    public static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type { PassStage<R>.self }

    public func run(input: Inbound<Element>, output: Outbound<Element>) async throws {
        for try await batch in input {
            try await output.send(batch)
        }
    }
}
