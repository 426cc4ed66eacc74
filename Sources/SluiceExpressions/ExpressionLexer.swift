public import SluiceCore

/// A token of the expression language.
enum ExpressionToken: Equatable, Sendable {
    case number(Double, isInteger: Bool)
    case string(String)
    case identifier(String)
    case op(String)
    case leftParen, rightParen, comma
    case end
}

/// Splits an expression into tokens, remembering each token's column.
struct ExpressionLexer {
    let scalars: [Unicode.Scalar]
    var index = 0

    init(_ source: String) { scalars = Array(source.unicodeScalars) }

    /// `==`, `!=`, `<=`, `>=`, `&&` or `||` when `a` and `b` spell one (no string is built otherwise).
    static func twoCharOperator(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> String? {
        switch (a, b) {
        case ("=", "="): "=="
        case ("!", "="): "!="
        case ("<", "="): "<="
        case (">", "="): ">="
        case ("&", "&"): "&&"
        case ("|", "|"): "||"
        default: nil
        }
    }

    /// The text of `scalars`; ASCII (the common case) is copied byte by byte.
    static func text(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        guard scalars.allSatisfy(\.isASCII) else { return String(String.UnicodeScalarView(scalars)) }
        return String(unsafeUninitializedCapacity: scalars.count) { buffer in
            for (i, c) in scalars.enumerated() { buffer[i] = UInt8(truncatingIfNeeded: c.value) }
            return scalars.count
        }
    }

    /// Whitespace, with ASCII answered without the Unicode tables (the common case, and much faster).
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c.isASCII ? (c == " " || c == "\t" || c == "\n" || c == "\r") : c.properties.isWhitespace
    }

    /// A letter, with ASCII answered without the Unicode tables.
    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        c.isASCII ? (("a"..."z").contains(c) || ("A"..."Z").contains(c)) : c.properties.isAlphabetic
    }
    static let oneCharOperators: Set<Unicode.Scalar> = ["<", ">", "+", "-", "*", "/", "%", "!"]

    mutating func tokenize() throws(ExpressionError) -> [(ExpressionToken, Int)] {
        var tokens: [(ExpressionToken, Int)] = []
        while true {
            while index < scalars.count, Self.isWhitespace(scalars[index]) { index += 1 }
            let column = index + 1
            guard index < scalars.count else {
                tokens.append((.end, column))
                return tokens
            }
            let c = scalars[index]
            switch c {
            case "(": tokens.append((.leftParen, column)); index += 1
            case ")": tokens.append((.rightParen, column)); index += 1
            case ",": tokens.append((.comma, column)); index += 1
            case "\"", "'":
                tokens.append((.string(try lexString(quote: c)), column))
            case "0"..."9", ".":
                if c == ".", index + 1 < scalars.count, !("0"..."9").contains(scalars[index + 1]) {
                    throw ExpressionError("unexpected '.'", column: column)
                }
                tokens.append((try lexNumber(), column))
            default:
                if c == "_" || Self.isLetter(c) {
                    let start = index
                    while index < scalars.count,
                        scalars[index] == "_" || scalars[index] == "." || Self.isLetter(scalars[index])
                            || ("0"..."9").contains(scalars[index])
                    {
                        index += 1
                    }
                    tokens.append((.identifier(Self.text(scalars[start..<index])), column))
                    continue
                }
                if index + 1 < scalars.count, let two = Self.twoCharOperator(c, scalars[index + 1]) {
                    tokens.append((.op(two), column))
                    index += 2
                    continue
                }
                if c == "=" {
                    throw ExpressionError("'=' is not an operator", column: column, hint: "use '==' to compare")
                }
                if Self.oneCharOperators.contains(c) {
                    tokens.append((.op(String(Character(c))), column))
                    index += 1
                    continue
                }
                throw ExpressionError("unexpected character '\(Character(c))'", column: column)
            }
        }
    }

    mutating func lexString(quote: Unicode.Scalar) throws(ExpressionError) -> String {
        let column = index + 1
        index += 1
        var out = String.UnicodeScalarView()
        while index < scalars.count {
            let c = scalars[index]
            index += 1
            if c == quote { return String(out) }
            if c == "\\", index < scalars.count {
                let e = scalars[index]
                index += 1
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: out.append(e)
                }
                continue
            }
            out.append(c)
        }
        throw ExpressionError("unterminated string", column: column)
    }

    mutating func lexNumber() throws(ExpressionError) -> ExpressionToken {
        let column = index + 1
        let start = index
        var isInteger = true
        while index < scalars.count, ("0"..."9").contains(scalars[index]) || scalars[index] == "." || scalars[index] == "e" || scalars[index] == "E"
            || ((scalars[index] == "-" || scalars[index] == "+") && index > start && (scalars[index - 1] == "e" || scalars[index - 1] == "E"))
        {
            if !("0"..."9").contains(scalars[index]) { isInteger = false }
            index += 1
        }
        // A plain integer of up to 15 digits is exact in a double and read directly; the rest (fractions,
        // exponents, long digit strings) goes through the standard conversion.
        if isInteger, index - start <= 15 {
            var v = 0.0
            for c in scalars[start..<index] { v = v * 10 + Double(c.value - 48) }
            return .number(v, isInteger: true)
        }
        let text = Self.text(scalars[start..<index])
        guard let v = Double(text) else { throw ExpressionError("invalid number '\(text)'", column: column) }
        return .number(v, isInteger: isInteger)
    }
}
