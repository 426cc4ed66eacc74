public import SluiceCore

/// A problem in a filter or alert expression, with the column where it was found.
public struct ExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// The 1-based character column in the expression.
    public var column: Int
    /// A suggestion, e.g. "did you mean \"price\"?".
    public var hint: String?

    /// Creates an error.
    public init(_ message: String, column: Int, hint: String? = nil) {
        self.message = message
        self.column = column
        self.hint = hint
    }

    public var description: String { "column \(column): \(message)" }
}
