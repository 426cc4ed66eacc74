/// A field of its input that a stage's configuration names — a column to write, a key to upsert on,
/// a field an alert watches, or a field an expression reads. When the pipeline is validated each one
/// is checked against the fields the upstream stage emits, with a did-you-mean hint, so a typo is an
/// error before anything runs instead of a rule that silently never fires.
///
/// ```swift
/// func inputFieldReferences() -> [InputFieldReference] {
///     keys.enumerated().map { InputFieldReference($1, at: JSONPointer(tokens: ["keys", String($0)])) }
/// }
/// ```
public struct InputFieldReference: Sendable, Hashable {
    /// The field name.
    public var field: String
    /// Where it is written, relative to the stage's configuration object.
    public var pointer: JSONPointer
    /// For a field read by an expression: its column in the expression text.
    public var column: Int?

    /// A field named at `pointer`.
    public init(_ field: String, at pointer: JSONPointer, column: Int? = nil) {
        self.field = field
        self.pointer = pointer
        self.column = column
    }
}
