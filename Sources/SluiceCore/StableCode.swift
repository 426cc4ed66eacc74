/// A stable, extensible identifier for one kind of problem or failure in `Domain` — ``Diagnostic``,
/// ``StageError``, a client's error type — as a string for logs, reports and tooling, with the known ones
/// as static members of a constrained extension.
///
/// A struct, not an enum, so a module adds its own (`StageError.Code("quota_exceeded")`) without a
/// breaking change; the domain keeps codes of different kinds apart.
public struct StableCode<Domain>: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The identifier as written in logs, reports and diagnostics (snake_case).
    public let rawValue: String

    /// A code with this identifier.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public var description: String { rawValue }
}
