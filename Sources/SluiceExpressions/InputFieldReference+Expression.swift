public import SluiceCore

extension InputFieldReference {
    /// The fields the expression `text` (at `pointer`) reads; none if it does not parse (its syntax
    /// error is reported by the field's own check).
    public static func fields(ofExpression text: String, at pointer: JSONPointer) -> [InputFieldReference] {
        guard let expression = try? Expression(parsing: text) else { return [] }
        return expression.fields.map { InputFieldReference($0.name, at: pointer, column: $0.column) }
    }
}
