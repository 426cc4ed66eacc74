/// A record whose columns are decided at run time: what `select` produces and what out-of-process
/// stages send back.
public struct FieldRecord: Record, Hashable {
    /// The columns of this record.
    public let schema: RecordSchema
    /// The values, one per column of ``schema``.
    public var values: [FieldValue]

    /// Creates a record; `values` must have one entry per column of `schema`.
    public init(schema: RecordSchema, values: [FieldValue]) {
        precondition(values.count == schema.columns.count, "one value per column")
        self.schema = schema
        self.values = values
    }

    public func value(at index: Int) -> FieldValue { values[index] }
}
