public import SluiceCore

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

/// A parsed subtree and its height (1 for a leaf).
struct ParsedNode {
    var node: ExpressionNode
    var height: Int
}

/// Recursive-descent parser with precedence: or < and < not < comparison < additive < multiplicative < unary.
///
/// Every tree it builds is at most ``maximumHeight`` deep: binding, evaluating and freeing a tree recurse
/// once per level, so the limit is what keeps a hostile expression (10 000 parentheses, 100 000 `not`s,
/// a chain of 100 000 `+`) from exhausting the stack.
struct ExpressionParser {
    /// The deepest expression tree accepted.
    static let maximumHeight = 100

    let tokens: [(ExpressionToken, Int)]
    var position = 0
    var fieldReferences: [(name: String, column: Int)] = []
    /// Parentheses (and call argument lists) open around the current token.
    var parens = 0

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

    mutating func parseExpression() throws(ExpressionError) -> ExpressionNode { try parseOr().node }

    /// Makes a node over `children`, one level above the highest of them, or throws past the limit.
    func make(_ node: ExpressionNode, over children: ParsedNode...) throws(ExpressionError) -> ParsedNode {
        let height = (children.map(\.height).max() ?? 0) + 1
        guard height <= Self.maximumHeight else {
            throw ExpressionError("expression nested too deeply (limit \(Self.maximumHeight))", column: current.1)
        }
        return ParsedNode(node: node, height: height)
    }

    mutating func parseOr() throws(ExpressionError) -> ParsedNode {
        var left = try parseAnd()
        while isKeyword("or") || current.0 == .op("||") {
            advance()
            let right = try operand(after: "or") { (p: inout ExpressionParser) throws(ExpressionError) in try p.parseAnd() }
            left = try make(.binary(.or, left.node, right.node), over: left, right)
        }
        return left
    }

    mutating func parseAnd() throws(ExpressionError) -> ParsedNode {
        var left = try parseNot()
        while isKeyword("and") || current.0 == .op("&&") {
            advance()
            let right = try operand(after: "and") { (p: inout ExpressionParser) throws(ExpressionError) in try p.parseNot() }
            left = try make(.binary(.and, left.node, right.node), over: left, right)
        }
        return left
    }

    mutating func parseNot() throws(ExpressionError) -> ParsedNode {
        // A run of `not`s is counted first and built bottom-up, so it never recurses once per `not`.
        var nots = 0
        while isKeyword("not") || current.0 == .op("!") {
            nots += 1
            guard nots < Self.maximumHeight else {
                throw ExpressionError("expression nested too deeply (limit \(Self.maximumHeight))", column: current.1)
            }
            advance()
            if current.0 == .end { throw ExpressionError("expected an operand after 'not'", column: current.1) }
        }
        if nots > 0 {
            var inner = try parseComparison()
            for _ in 0..<nots { inner = try make(.not(inner.node), over: inner) }
            return inner
        }
        return try parseComparison()
    }

    static let comparisonOperators: [String: BinaryOperator] = [
        "==": .equal, "!=": .notEqual, "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
        "starts_with": .startsWith, "ends_with": .endsWith, "contains": .contains,
    ]

    mutating func parseComparison() throws(ExpressionError) -> ParsedNode {
        let left = try parseAdditive()
        let name: String?
        switch current.0 {
        case .op(let s): name = s
        case .identifier(let s): name = s
        default: name = nil
        }
        if name == "in" {
            advance()
            return try make(.inList(left.node, try parseList()), over: left)
        }
        guard let name, let op = Self.comparisonOperators[name] else { return left }
        advance()
        let right = try operand(after: name) { (p: inout ExpressionParser) throws(ExpressionError) in try p.parseAdditive() }
        return try make(.binary(op, left.node, right.node), over: left, right)
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

    mutating func parseAdditive() throws(ExpressionError) -> ParsedNode {
        var left = try parseMultiplicative()
        while case .op(let s) = current.0, s == "+" || s == "-" {
            advance()
            let right = try operand(after: s) { (p: inout ExpressionParser) throws(ExpressionError) in try p.parseMultiplicative() }
            left = try make(.binary(s == "+" ? .add : .subtract, left.node, right.node), over: left, right)
        }
        return left
    }

    mutating func parseMultiplicative() throws(ExpressionError) -> ParsedNode {
        var left = try parseUnary()
        while case .op(let s) = current.0, s == "*" || s == "/" || s == "%" {
            advance()
            let right = try operand(after: s) { (p: inout ExpressionParser) throws(ExpressionError) in try p.parseUnary() }
            left = try make(.binary(BinaryOperator(rawValue: s)!, left.node, right.node), over: left, right)
        }
        return left
    }

    mutating func parseUnary() throws(ExpressionError) -> ParsedNode {
        // Like `not`: a run of unary minuses is counted, then built bottom-up.
        var minuses = 0
        while current.0 == .op("-") {
            minuses += 1
            guard minuses < Self.maximumHeight else {
                throw ExpressionError("expression nested too deeply (limit \(Self.maximumHeight))", column: current.1)
            }
            advance()
            if current.0 == .end { throw ExpressionError("expected an operand after '-'", column: current.1) }
        }
        var inner = try parsePrimary()
        for _ in 0..<minuses { inner = try make(.negate(inner.node), over: inner) }
        return inner
    }

    /// Parses the operand after an operator, turning "end of expression" into a clear message.
    mutating func operand(after op: String, _ parse: (inout ExpressionParser) throws(ExpressionError) -> ParsedNode) throws(ExpressionError) -> ParsedNode {
        if current.0 == .end {
            throw ExpressionError("expected an operand after '\(op)'", column: current.1)
        }
        return try parse(&self)
    }

    static let reserved: Set<String> = ["and", "or", "not", "in", "starts_with", "ends_with", "contains"]

    mutating func parsePrimary() throws(ExpressionError) -> ParsedNode {
        let (token, column) = current
        switch token {
        case .number(let v, let isInt):
            advance()
            return ParsedNode(node: .literal(isInt && abs(v) < 9e15 ? .int(Int64(v)) : .double(v)), height: 1)
        case .string(let s):
            advance()
            return ParsedNode(node: .literal(.string(s)), height: 1)
        case .leftParen:
            // Parentheses recurse: count them against the same limit as the tree they build.
            parens += 1
            defer { parens -= 1 }
            guard parens < Self.maximumHeight else {
                throw ExpressionError("expression nested too deeply (limit \(Self.maximumHeight))", column: column)
            }
            advance()
            let inner = try parseOr()
            guard current.0 == .rightParen else {
                throw ExpressionError("expected ')' to close the '(' at column \(column), found \(Self.describe(current.0))", column: current.1)
            }
            advance()
            return inner
        case .identifier(let name):
            switch name {
            case "true": advance(); return ParsedNode(node: .literal(.bool(true)), height: 1)
            case "false": advance(); return ParsedNode(node: .literal(.bool(false)), height: 1)
            case "null": advance(); return ParsedNode(node: .literal(.null), height: 1)
            case _ where Self.reserved.contains(name):
                throw ExpressionError("expected an operand, found '\(name)'", column: column)
            default: break
            }
            advance()
            if current.0 == .leftParen {
                return try parseCall(name, column: column)
            }
            fieldReferences.append((name, column))
            return ParsedNode(node: .field(name), height: 1)
        case .end:
            throw ExpressionError("unexpected end of expression; expected an operand", column: column)
        default:
            throw ExpressionError("expected an operand, found \(Self.describe(token))", column: column)
        }
    }

    mutating func parseCall(_ name: String, column: Int) throws(ExpressionError) -> ParsedNode {
        guard let function = ExpressionFunction(rawValue: name) else {
            throw ExpressionError("unknown function '\(name)'", column: column, hint: didYouMean(name, in: ExpressionFunction.allCases.map(\.rawValue)))
        }
        advance()  // (
        var args: [ParsedNode] = []
        if current.0 != .rightParen {
            while true {
                if function == .has {
                    guard case .identifier(let field) = current.0 else {
                        throw ExpressionError("has() takes a field name", column: current.1)
                    }
                    fieldReferences.append((field, current.1))
                    advance()
                    args.append(ParsedNode(node: .field(field), height: 1))
                } else {
                    parens += 1
                    defer { parens -= 1 }
                    guard parens < Self.maximumHeight else {
                        throw ExpressionError("expression nested too deeply (limit \(Self.maximumHeight))", column: current.1)
                    }
                    args.append(try parseOr())
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
        if function == .has, case .field(let f) = args[0].node { return ParsedNode(node: .has(f), height: 1) }
        let height = (args.map(\.height).max() ?? 0) + 1
        guard height <= Self.maximumHeight else {
            throw ExpressionError("expression nested too deeply (limit \(Self.maximumHeight))", column: column)
        }
        return ParsedNode(node: .call(function, args.map(\.node)), height: height)
    }
}
