/// Binary operators of the expression language.
enum BinaryOperator: String, Sendable {
    case and, or
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case startsWith = "starts_with", endsWith = "ends_with", contains
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
}

/// Functions of the expression language.
enum ExpressionFunction: String, Sendable, CaseIterable {
    case has, abs, min, max

    var arity: Int {
        switch self {
        case .has, .abs: return 1
        case .min, .max: return 2
        }
    }
}

/// The parsed tree, with field references by name.
indirect enum ExpressionNode: Sendable {
    case literal(FieldValue)
    case field(String)
    case not(ExpressionNode)
    case negate(ExpressionNode)
    case binary(BinaryOperator, ExpressionNode, ExpressionNode)
    case inList(ExpressionNode, [FieldValue])
    case has(String)
    case call(ExpressionFunction, [ExpressionNode])

    func bind(_ schema: RecordSchema) -> BoundNode {
        switch self {
        case .literal(let v): return .literal(v)
        case .field(let name): return schema.index(of: name).map { .field($0) } ?? .literal(.null)
        case .not(let n): return .not(n.bind(schema))
        case .negate(let n): return .negate(n.bind(schema))
        case .binary(let op, let l, let r): return .binary(op, l.bind(schema), r.bind(schema))
        case .inList(let n, let values): return .inList(n.bind(schema), values)
        case .has(let name): return schema.index(of: name).map { .has($0) } ?? .literal(.bool(false))
        case .call(let f, let args): return .call(f, args.map { $0.bind(schema) })
        }
    }
}

/// Recursive-descent parser with precedence: or < and < not < comparison < additive < multiplicative < unary.
struct ExpressionParser {
    let tokens: [(ExpressionToken, Int)]
    var position = 0
    var fieldReferences: [(name: String, column: Int)] = []

    init(tokens: [(ExpressionToken, Int)]) { self.tokens = tokens }

    var current: (ExpressionToken, Int) { tokens[position] }

    static func describe(_ token: ExpressionToken) -> String {
        switch token {
        case .number(let v, _): return "number \(v)"
        case .string(let s): return "string \"\(s)\""
        case .identifier(let s): return "'\(s)'"
        case .op(let s): return "'\(s)'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .comma: return "','"
        case .end: return "end of expression"
        }
    }

    mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    func isKeyword(_ word: String) -> Bool {
        if case .identifier(let s) = current.0, s == word { return true }
        return false
    }

    mutating func parseExpression() throws(ExpressionError) -> ExpressionNode { try parseOr() }

    mutating func parseOr() throws(ExpressionError) -> ExpressionNode {
        var left = try parseAnd()
        while isKeyword("or") || current.0 == .op("||") {
            advance()
            left = .binary(.or, left, try operand(after: "or") { (p: inout ExpressionParser) throws(ExpressionError) in try p.parseAnd() })
        }
        return left
    }

    mutating func parseAnd() throws(ExpressionError) -> ExpressionNode {
        var left = try parseNot()
        while isKeyword("and") || current.0 == .op("&&") {
            advance()
            left = .binary(.and, left, try operand(after: "and") { (p: inout ExpressionParser) throws(ExpressionError) in try p.parseNot() })
        }
        return left
    }

    mutating func parseNot() throws(ExpressionError) -> ExpressionNode {
        if isKeyword("not") || current.0 == .op("!") {
            advance()
            return .not(try operand(after: "not") { (p: inout ExpressionParser) throws(ExpressionError) in try p.parseNot() })
        }
        return try parseComparison()
    }

    static let comparisonOperators: [String: BinaryOperator] = [
        "==": .equal, "!=": .notEqual, "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
        "starts_with": .startsWith, "ends_with": .endsWith, "contains": .contains,
    ]

    mutating func parseComparison() throws(ExpressionError) -> ExpressionNode {
        let left = try parseAdditive()
        let name: String?
        switch current.0 {
        case .op(let s): name = s
        case .identifier(let s): name = s
        default: name = nil
        }
        if name == "in" {
            advance()
            return .inList(left, try parseList())
        }
        guard let name, let op = Self.comparisonOperators[name] else { return left }
        advance()
        let right = try operand(after: name) { (p: inout ExpressionParser) throws(ExpressionError) in try p.parseAdditive() }
        return .binary(op, left, right)
    }

    /// Parses `("A", "B", 3)` after `in`.
    mutating func parseList() throws(ExpressionError) -> [FieldValue] {
        guard current.0 == .leftParen else {
            throw ExpressionError("expected a list in parentheses after 'in', like in (\"AAPL\", \"MSFT\")", column: current.1)
        }
        advance()
        var values: [FieldValue] = []
        while true {
            let (token, column) = current
            switch token {
            case .number(let v, let isInt): values.append(isInt && abs(v) < 9e15 ? .int(Int64(v)) : .double(v))
            case .string(let s): values.append(.string(s))
            default: throw ExpressionError("expected a number or string in the list, found \(Self.describe(token))", column: column)
            }
            advance()
            if current.0 == .comma { advance(); continue }
            if current.0 == .rightParen { advance(); return values }
            throw ExpressionError("expected ',' or ')' in the list, found \(Self.describe(current.0))", column: current.1)
        }
    }

    mutating func parseAdditive() throws(ExpressionError) -> ExpressionNode {
        var left = try parseMultiplicative()
        while case .op(let s) = current.0, s == "+" || s == "-" {
            advance()
            let right = try operand(after: s) { (p: inout ExpressionParser) throws(ExpressionError) in try p.parseMultiplicative() }
            left = .binary(s == "+" ? .add : .subtract, left, right)
        }
        return left
    }

    mutating func parseMultiplicative() throws(ExpressionError) -> ExpressionNode {
        var left = try parseUnary()
        while case .op(let s) = current.0, s == "*" || s == "/" || s == "%" {
            advance()
            let right = try operand(after: s) { (p: inout ExpressionParser) throws(ExpressionError) in try p.parseUnary() }
            left = .binary(BinaryOperator(rawValue: s)!, left, right)
        }
        return left
    }

    mutating func parseUnary() throws(ExpressionError) -> ExpressionNode {
        if current.0 == .op("-") {
            advance()
            return .negate(try operand(after: "-") { (p: inout ExpressionParser) throws(ExpressionError) in try p.parseUnary() })
        }
        return try parsePrimary()
    }

    /// Parses the operand after an operator, turning "end of expression" into a clear message.
    mutating func operand(after op: String, _ parse: (inout ExpressionParser) throws(ExpressionError) -> ExpressionNode) throws(ExpressionError) -> ExpressionNode {
        if current.0 == .end {
            throw ExpressionError("expected an operand after '\(op)'", column: current.1)
        }
        return try parse(&self)
    }

    static let reserved: Set<String> = ["and", "or", "not", "in", "starts_with", "ends_with", "contains"]

    mutating func parsePrimary() throws(ExpressionError) -> ExpressionNode {
        let (token, column) = current
        switch token {
        case .number(let v, let isInt):
            advance()
            return .literal(isInt && abs(v) < 9e15 ? .int(Int64(v)) : .double(v))
        case .string(let s):
            advance()
            return .literal(.string(s))
        case .leftParen:
            advance()
            let inner = try parseExpression()
            guard current.0 == .rightParen else {
                throw ExpressionError("expected ')' to close the '(' at column \(column), found \(Self.describe(current.0))", column: current.1)
            }
            advance()
            return inner
        case .identifier(let name):
            switch name {
            case "true": advance(); return .literal(.bool(true))
            case "false": advance(); return .literal(.bool(false))
            case "null": advance(); return .literal(.null)
            case _ where Self.reserved.contains(name):
                throw ExpressionError("expected an operand, found '\(name)'", column: column)
            default: break
            }
            advance()
            if current.0 == .leftParen {
                return try parseCall(name, column: column)
            }
            fieldReferences.append((name, column))
            return .field(name)
        case .end:
            throw ExpressionError("unexpected end of expression; expected an operand", column: column)
        default:
            throw ExpressionError("expected an operand, found \(Self.describe(token))", column: column)
        }
    }

    mutating func parseCall(_ name: String, column: Int) throws(ExpressionError) -> ExpressionNode {
        guard let function = ExpressionFunction(rawValue: name) else {
            throw ExpressionError("unknown function '\(name)'", column: column, hint: didYouMean(name, in: ExpressionFunction.allCases.map(\.rawValue)))
        }
        advance()  // (
        var args: [ExpressionNode] = []
        if current.0 != .rightParen {
            while true {
                if function == .has {
                    guard case .identifier(let field) = current.0 else {
                        throw ExpressionError("has() takes a field name", column: current.1)
                    }
                    fieldReferences.append((field, current.1))
                    advance()
                    args.append(.field(field))
                } else {
                    args.append(try parseExpression())
                }
                if current.0 == .comma { advance(); continue }
                break
            }
        }
        guard current.0 == .rightParen else {
            throw ExpressionError("expected ')' after the arguments of \(name)(), found \(Self.describe(current.0))", column: current.1)
        }
        advance()
        guard args.count == function.arity else {
            throw ExpressionError("\(name)() takes \(function.arity) argument\(function.arity == 1 ? "" : "s"), got \(args.count)", column: column)
        }
        if function == .has, case .field(let f) = args[0] { return .has(f) }
        return .call(function, args)
    }
}
