public import SluiceCore

/// A record of one event kind with one fixed schema — what a feed says about itself in-band (`Feed`,
/// `Symbol`, `Universe`). Conforming types give the kind and the schema; the rest follows.
public protocol StatusRecord: Record {
    /// The event kind (the `event_type` column).
    static var eventType: String { get }
    /// The schema every value has.
    static var schema: RecordSchema { get }
}

extension StatusRecord {
    public var schema: RecordSchema { Self.schema }
    public static var declaredFields: [Column]? { schema.columns }
    public static var eventKinds: [String]? { [eventType] }
}
