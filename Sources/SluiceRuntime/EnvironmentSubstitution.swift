public import SluiceCore

/// Replaces `${NAME}` and `${NAME:-default}` in every string of a pipeline file with values from the
/// environment. `$${` writes a literal `${`.
///
/// Substitution happens inside strings only, after parsing, so a variable can never change the shape of
/// the file. Where a field expects a number or boolean, a string that was produced entirely by
/// substitution (e.g. `"${COUNT:-100}"`) is accepted and converted during validation.
public struct EnvironmentSubstitution: Sendable {
    /// The variables to read.
    public var environment: [String: String]

    /// Creates a substitution over `environment`.
    public init(environment: [String: String]) { self.environment = environment }

    /// The result: the new tree, where substitutions happened, and problems (unset variables).
    public struct Result: Sendable {
        /// The tree with variables replaced.
        public var value: JSONValue
        /// Pointers of strings that contained at least one reference.
        public var substituted: Set<JSONPointer>
        /// Pointers of strings with an unset variable or a malformed reference.
        public var unresolved: Set<JSONPointer>
        /// Unset variables without a default, and malformed references.
        public var diagnostics: [Diagnostic]
    }

    /// Substitutes throughout `value`.
    public func apply(to value: JSONValue) -> Result {
        var result = Result(value: .null, substituted: [], unresolved: [], diagnostics: [])
        result.value = walk(value, at: .root, &result)
        return result
    }

    private func walk(_ value: JSONValue, at pointer: JSONPointer, _ result: inout Result) -> JSONValue {
        switch value {
        case .string(let s):
            guard s.contains("$") else { return value }
            return .string(expand(s, at: pointer, &result))
        case .array(let a):
            return .array(a.enumerated().map { walk($1, at: pointer.appending($0), &result) })
        case .object(let o):
            return .object(JSONObject(o.entries.map { ($0.key, walk($0.value, at: pointer.appending($0.key), &result)) }))
        default:
            return value
        }
    }

    /// Expands the references in one string.
    func expand(_ text: String, at pointer: JSONPointer, _ result: inout Result) -> String {
        var out = ""
        var rest = Substring(text)
        var didSubstitute = false
        let reported = result.diagnostics.count
        defer { if result.diagnostics.count > reported { result.unresolved.insert(pointer) } }
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("${") {
                // "$${" is an escaped "${".
                out += "${"
                rest = after.dropFirst(2)
                continue
            }
            guard after.hasPrefix("{") else {
                out.append("$")
                rest = after
                continue
            }
            guard let close = after.firstIndex(of: "}") else {
                result.diagnostics.append(Diagnostic(.environment, at: pointer, "unterminated ${ in \"\(text)\"", expected: "${NAME} or ${NAME:-default}"))
                return text
            }
            let body = after[after.index(after: after.startIndex)..<close]
            let name: Substring
            var fallback: Substring?
            if let sep = body.firstRange(of: ":-") {
                name = body[..<sep.lowerBound]
                fallback = body[sep.upperBound...]
            } else {
                name = body
            }
            if name.isEmpty || !name.allSatisfy({ $0 == "_" || $0.isLetter || $0.isNumber }) {
                result.diagnostics.append(Diagnostic(.environment, at: pointer, "invalid variable name \"\(name)\" in ${…}", expected: "letters, digits and underscores"))
                return text
            }
            if let v = environment[String(name)], !(v.isEmpty && fallback != nil) {
                out += v
            } else if let fallback {
                out += fallback
            } else {
                result.diagnostics.append(
                    Diagnostic(.environment, at: pointer, "environment variable \(name) is not set",
                               hint: "set it, or give a default with ${\(name):-value}"))
            }
            didSubstitute = true
            rest = after[after.index(after: close)...]
        }
        out += rest
        if didSubstitute { result.substituted.insert(pointer) }
        return out
    }
}
