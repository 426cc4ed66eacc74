public import SluiceCore

/// A parsed filter expression: comparisons, `and`/`or`/`not`, arithmetic, string tests and field
/// presence over a record's fields.
///
/// ```
/// price > 100 and symbol starts_with "SP"
/// (ask - bid) / ask * 10000 < 5 or not has(bid)
/// symbol in ["AAPL", "MSFT"] and size >= 100
/// ```
///
/// Field names are bare identifiers (`bid_price`); strings use double or single quotes. Comparisons
/// involving a missing value are false (`!=` is true), so `price > 0` is false for a record without a price.
public struct Expression: Sendable, CustomStringConvertible {
    /// The source text.
    public let source: String
    let root: ExpressionNode
    /// The field names the expression reads, with the column of their first use.
    public let fields: [(name: String, column: Int)]

    /// Parses `source`.
    ///
    /// - Throws: ``ExpressionError`` with the column of the problem.
    public init(parsing source: String) throws(ExpressionError) {
        var lexer = ExpressionLexer(source)
        var parser = ExpressionParser(tokens: try lexer.tokenize())
        if case .end = parser.tokens[0].0 { throw ExpressionError("the expression is empty", column: 1) }
        self.root = try parser.parseExpression()
        if case let (token, column) = parser.current, token != .end {
            throw ExpressionError("unexpected \(ExpressionParser.describe(token)) after the end of the expression", column: column, hint: "join conditions with 'and' or 'or'")
        }
        self.source = source
        var seen = Set<String>()
        self.fields = parser.fieldReferences.filter { seen.insert($0.name).inserted }
    }

    /// Checks field names against the fields a record type declares.
    public func unknownFields(among known: [String]) -> [ExpressionError] {
        // A record has a few dozen fields at most: a scan beats building a set for every stage checked.
        let isKnown: (String) -> Bool
        if known.count <= 32 {
            isKnown = { name in known.contains(name) }
        } else {
            let set = Set(known)
            isKnown = { name in set.contains(name) }
        }
        return fields.filter { !isKnown($0.name) }.map {
            ExpressionError("unknown field '\($0.name)'", column: $0.column, hint: didYouMean($0.name, in: known))
        }
    }

    /// The expression with field references resolved for records of `schema`.
    public func bind(to schema: RecordSchema) -> BoundExpression {
        BoundExpression(root: root.bind(schema), schema: schema)
    }

    public var description: String { source }
}

/// An ``Expression`` resolved against one record schema, ready to evaluate quickly.
public struct BoundExpression: Sendable {
    let root: BoundNode
    /// The schema it was bound to.
    public let schema: RecordSchema

    /// Evaluates the expression for `record` (which must have ``schema``).
    public func evaluate(_ record: some Record) -> FieldValue { root.evaluate(record) }

    /// Whether the expression holds for `record`: `true`, a non-zero number or a non-empty string.
    public func matches(_ record: some Record) -> Bool { evaluate(record).isTruthy }
}

/// Binds an expression to whatever schema records arrive with, caching per schema.
public struct ExpressionEvaluator: Sendable {
    /// The expression.
    public let expression: Expression
    private var last: BoundExpression?
    private var cache: [ObjectIdentifier: BoundExpression] = [:]

    /// Creates an evaluator.
    public init(_ expression: Expression) { self.expression = expression }

    /// Whether the expression holds for `record`.
    public mutating func matches(_ record: some Record) -> Bool { evaluate(record).isTruthy }

    /// The value of the expression for `record`.
    public mutating func evaluate(_ record: some Record) -> FieldValue {
        let schema = record.schema
        if let last, last.schema === schema { return last.evaluate(record) }
        let bound: BoundExpression
        if let cached = cache[ObjectIdentifier(schema)] {
            bound = cached
        } else {
            bound = expression.bind(to: schema)
            if cache.count < 1024 { cache[ObjectIdentifier(schema)] = bound }
        }
        last = bound
        return bound.evaluate(record)
    }
}

extension FieldValue {
    /// Truthiness for conditions: `true`, a non-zero number, a non-empty string.
    @inlinable
    public var isTruthy: Bool {
        switch self {
        case .bool(let b): return b
        case .int(let v): return v != 0
        case .double(let v): return v != 0 && !v.isNaN
        case .string(let s): return !s.isEmpty
        case .time: return true
        case .null: return false
        }
    }
}
