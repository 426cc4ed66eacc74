public import SluiceQueue

extension ConflationKey {
    /// The key of a record under `conflate`: its record type plus the values of its key fields, so a
    /// Quote and a Trade for one symbol are kept apart.
    public init(recordType: String, values: [FieldValue]) {
        self.init(RecordKey(recordType: recordType, values: values))
    }
}

/// What a record's conflation key is made of.
private struct RecordKey: Hashable, Sendable {
    var recordType: String
    var values: [FieldValue]
}
