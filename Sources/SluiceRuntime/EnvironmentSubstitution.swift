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
    /// Whether an unset variable without a default becomes the placeholder `unset-NAME` instead of a
    /// problem: for checking a file (`validate --allow-unset`, `graph --allow-unset`) where its secrets
    /// are not available, such as a repository's CI. Never for running one.
    public var placeholdersForUnset: Bool

    /// Creates a substitution over `environment`.
    public init(environment: [String: String], placeholdersForUnset: Bool = false) {
        self.environment = environment
        self.placeholdersForUnset = placeholdersForUnset
    }

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
        var path = JSONPath()
        result.value = walk(value, path: &path, &result) ?? value
        return result
    }

    /// The value with its substitutions made, or `nil` when nothing in it changes: untouched parts of a
    /// big file are shared, not copied, and a pointer is built only where a `$` is.
    private func walk(_ value: JSONValue, path: inout JSONPath, _ result: inout Result) -> JSONValue? {
        switch value {
        case .string(let s):
            guard s.utf8.contains(UInt8(ascii: "$")) else { return nil }
            return .string(expand(s, at: path.pointer, &result))
        case .array(let items):
            var changed: [JSONValue]?
            path.push(index: 0)
            defer { path.pop() }
            for (i, item) in items.enumerated() {
                path.setLast(index: i)
                let new = walk(item, path: &path, &result)
                if let new {
                    if changed == nil { changed = items }
                    changed![i] = new
                }
            }
            return changed.map { .array($0) }
        case .object(let object):
            var changed: JSONObject?
            for (i, entry) in object.entries.enumerated() {
                path.push(entry.key)
                let new = walk(entry.value, path: &path, &result)
                path.pop()
                if let new {
                    if changed == nil { changed = object }
                    changed!.entries[i].value = new
                }
            }
            return changed.map { .object($0) }
        default:
            return nil
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
            } else if placeholdersForUnset {
                out += "unset-" + name
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
