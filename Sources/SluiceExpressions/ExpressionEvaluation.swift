public import SluiceCore

/// The expression tree with field references resolved to column indices.
indirect enum BoundNode: Sendable {
    case literal(FieldValue)
    case field(Int)
    case not(BoundNode)
    case negate(BoundNode)
    case binary(BinaryOperator, BoundNode, BoundNode)
    case inList(BoundNode, [FieldValue])
    case has(Int)
    case call(ExpressionFunction, [BoundNode])

    func evaluate(_ record: some Record) -> FieldValue {
        switch self {
        case .literal(let v): return v
        case .field(let i): return record.value(at: i)
        case .not(let n): return .bool(!n.evaluate(record).isTruthy)
        case .negate(let n):
            switch n.evaluate(record) {
            case .int(let v): return .int(0 &- v)
            case .double(let v): return .double(-v)
            default: return .null
            }
        case .has(let i): return .bool(record.value(at: i).isPresent)
        case .inList(let n, let values):
            let v = n.evaluate(record)
            return .bool(values.contains { Self.equal(v, $0) })
        case .call(let f, let args):
            switch f {
            case .has: return .bool(args[0].evaluate(record).isPresent)
            case .abs:
                switch args[0].evaluate(record) {
                case .int(let v): return .int(v < 0 ? 0 &- v : v)
                case .double(let v): return .double(Swift.abs(v))
                default: return .null
                }
            case .min, .max:
                guard let a = args[0].evaluate(record).numericValue, let b = args[1].evaluate(record).numericValue else { return .null }
                return .double(f == .min ? Swift.min(a, b) : Swift.max(a, b))
            }
        case .binary(let op, let l, let r):
            switch op {
            case .and: return .bool(l.evaluate(record).isTruthy && r.evaluate(record).isTruthy)
            case .or: return .bool(l.evaluate(record).isTruthy || r.evaluate(record).isTruthy)
            default: return Self.apply(op, l.evaluate(record), r.evaluate(record))
            }
        }
    }

    static func equal(_ a: FieldValue, _ b: FieldValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.string(let x), .string(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        default:
            if let x = a.numericValue, let y = b.numericValue { return x == y }
            return false
        }
    }

    static func compare(_ a: FieldValue, _ b: FieldValue) -> Int? {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : (x > y ? 1 : 0)
        case (.string(let x), .string(let y)): return x < y ? -1 : (x > y ? 1 : 0)
        default:
            guard let x = a.numericValue, let y = b.numericValue, !x.isNaN, !y.isNaN else { return nil }
            return x < y ? -1 : (x > y ? 1 : 0)
        }
    }

    static func apply(_ op: BinaryOperator, _ a: FieldValue, _ b: FieldValue) -> FieldValue {
        switch op {
        case .equal: return .bool(equal(a, b))
        case .notEqual: return .bool(!equal(a, b))
        case .less: return .bool(compare(a, b).map { $0 < 0 } ?? false)
        case .lessOrEqual: return .bool(compare(a, b).map { $0 <= 0 } ?? false)
        case .greater: return .bool(compare(a, b).map { $0 > 0 } ?? false)
        case .greaterOrEqual: return .bool(compare(a, b).map { $0 >= 0 } ?? false)
        case .startsWith, .endsWith, .contains:
            guard case .string(let s) = a, case .string(let t) = b else { return .bool(false) }
            switch op {
            case .startsWith: return .bool(s.hasPrefix(t))
            case .endsWith: return .bool(s.hasSuffix(t))
            default: return .bool(t.isEmpty || s.contains(t))
            }
        case .add, .subtract, .multiply, .divide, .remainder:
            if case .int(let x) = a, case .int(let y) = b, op != .divide {
                switch op {
                case .add: return .int(x &+ y)
                case .subtract: return .int(x &- y)
                case .multiply: return .int(x &* y)
                default: return y == 0 ? .null : .int(x % y)
                }
            }
            guard let x = a.numericValue, let y = b.numericValue else { return .null }
            switch op {
            case .add: return .double(x + y)
            case .subtract: return .double(x - y)
            case .multiply: return .double(x * y)
            case .divide: return y == 0 ? .null : .double(x / y)
            default: return y == 0 ? .null : .double(x.truncatingRemainder(dividingBy: y))
            }
        case .and, .or:
            return .bool(op == .and ? (a.isTruthy && b.isTruthy) : (a.isTruthy || b.isTruthy))
        }
    }
}
