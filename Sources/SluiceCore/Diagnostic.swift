/// What kind of problem a ``Diagnostic`` reports. Codes are stable strings for tooling; plugins may
/// define their own (`DiagnosticCode("plugin")`).
public typealias DiagnosticCode = StableCode<Diagnostic>

extension StableCode where Domain == Diagnostic {
    /// The file could not be read.
    public static var unreadableFile: Self { Self("unreadable_file") }
    /// The file is not valid JSON.
    public static var syntax: Self { Self("syntax") }
    /// No stage kind of that name is registered.
    public static var unknownKind: Self { Self("unknown_kind") }
    /// A member the spec does not define.
    public static var unknownField: Self { Self("unknown_field") }
    /// A value of the wrong JSON type.
    public static var wrongType: Self { Self("wrong_type") }
    /// A required member is missing.
    public static var missingField: Self { Self("missing_field") }
    /// A value of the right type that is not allowed (bad enum value, out of range, bad format).
    public static var invalidValue: Self { Self("invalid_value") }
    /// Two stages share an id.
    public static var duplicateID: Self { Self("duplicate_id") }
    /// `from` names a stage that does not exist.
    public static var danglingFrom: Self { Self("dangling_from") }
    /// `from` names the stage itself.
    public static var selfFrom: Self { Self("self_from") }
    /// The stages form a cycle.
    public static var cycle: Self { Self("cycle") }
    /// A stage that needs input has no `from`.
    public static var missingInput: Self { Self("missing_input") }
    /// A source was given a `from`.
    public static var unexpectedInput: Self { Self("unexpected_input") }
    /// Two connected stages have incompatible port types.
    public static var portMismatch: Self { Self("port_mismatch") }
    /// A `${NAME}` reference to an unset environment variable.
    public static var environment: Self { Self("environment") }
    /// A filter or alert expression that does not parse or names unknown fields.
    public static var expression: Self { Self("expression") }
    /// A stage's own check of its configuration failed.
    public static var configuration: Self { Self("configuration") }
    /// A stage produces output nobody consumes.
    public static var unusedOutput: Self { Self("unused_output") }
}

/// One problem found in a pipeline file: where, what, what was expected, and a hint.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is.
    public var code: DiagnosticCode
    /// The JSON Pointer of the offending value.
    public var path: JSONPointer
    /// What is wrong, e.g. `unknown field "periodz"`.
    public var message: String
    /// What was expected, e.g. `one of block, drop_oldest, drop_newest, conflate`.
    public var expected: String?
    /// A suggestion, e.g. `did you mean "periods"?`.
    public var hint: String?
    /// The file the problem is in, when known.
    public var file: String?
    /// Line and column of the offending value, when known.
    public var position: SourcePosition?

    /// Creates a diagnostic.
    public init(
        _ code: DiagnosticCode, at path: JSONPointer, _ message: String,
        expected: String? = nil, hint: String? = nil
    ) {
        self.code = code
        self.path = path
        self.message = message
        self.expected = expected
        self.hint = hint
    }

    /// One line: `file:line:col: /path: message; expected …; hint`.
    public var description: String {
        var out = ""
        if let file { out += file + ":" }
        if let position { out += "\(position):" }
        if !out.isEmpty { out += " " }
        out += "\(path.displayText): \(message)"
        if let expected { out += "; expected \(expected)" }
        if let hint { out += " (\(hint))" }
        return out
    }
}

extension Diagnostic {
    /// The diagnostic for a JSON syntax error: at the document root, with the error's line and column.
    public init(_ error: JSONSyntaxError) {
        self.init(.syntax, at: error.pointer, "invalid JSON: \(error.message)")
        position = error.position
    }
}

/// The error thrown when a pipeline file is invalid: every problem found, in file order.
public struct ValidationFailure: Error, Sendable, CustomStringConvertible {
    /// The problems, sorted by position.
    public var diagnostics: [Diagnostic]

    /// Creates a failure from diagnostics.
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var description: String {
        let n = diagnostics.count
        return "\(n) problem\(n == 1 ? "" : "s") found:\n" + diagnostics.map { "  " + $0.description }.joined(separator: "\n")
    }
}

/// Suggests the closest of `candidates` to `word`, for "did you mean …" hints.
public func closestMatch(to word: String, in candidates: some Sequence<String>) -> String? {
    let w = Array(word.lowercased().utf8)
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(w, Array(c.lowercased().utf8))
        if best == nil || d < best!.1 { best = (c, d) }
    }
    guard let (name, distance) = best else { return nil }
    let limit = max(2, min(w.count, name.utf8.count) / 3)
    if distance <= limit { return name }
    // A prefix or containment relation is also a good sign ("price" for "pric").
    if name.lowercased().hasPrefix(word.lowercased()) || word.lowercased().hasPrefix(name.lowercased()) { return name }
    return nil
}

/// A "did you mean" hint for `word`, or `nil`.
public func didYouMean(_ word: String, in candidates: some Sequence<String>) -> String? {
    closestMatch(to: word, in: candidates).map { "did you mean \"\($0)\"?" }
}

func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    // Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps.
    var rows = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { rows[i][0] = i }
    for j in 0...b.count { rows[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
            }
        }
    }
    return rows[a.count][b.count]
}
