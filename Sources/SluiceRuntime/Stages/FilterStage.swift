public import SluiceCore
import SluiceExpressions

/// `filter` (transform): keeps the records for which an expression holds.
///
/// The expression language: comparisons (`== != < <= > >=`), `and`/`or`/`not`, arithmetic
/// (`+ - * / %`), string tests (`starts_with`, `ends_with`, `contains`), lists (`symbol in ("A", "B")`),
/// field presence (`has(bid)`) and `abs`, `min`, `max`.
public struct FilterStage<Element: Record>: RecordGenericStage {
    public typealias Input = Element
    public typealias Output = Element

    /// The configuration of `filter`.
    public struct Configuration: StageConfiguration {
        /// The condition a record must meet to pass.
        public var expression: String

        public static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("expression", .expression, doc: "Condition a record must meet to pass, e.g. price > 100 and symbol starts_with \"SP\"."),
            ])
        }
    }

    public static var kind: String { "filter" }
    public static var summary: String { "Keeps the records for which an expression holds (comparisons, and/or/not, arithmetic, string tests, has())." }

    let expression: Expression

    public init(configuration: Configuration, context: StageContext) throws {
        expression = try Expression(parsing: configuration.expression)
    }

    public static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type { FilterStage<R>.self }

    public func run(input: Inbound<Element>, output: Outbound<Element>) async throws {
        var evaluator = ExpressionEvaluator(expression)
        var kept: [Element] = []
        for try await batch in input {
            kept.removeAll(keepingCapacity: true)
            for record in batch where evaluator.matches(record) {
                kept.append(record)
            }
            try await output.send(kept)
        }
    }
}
