extension JSONWriter {
    /// Appends a field value: times as ISO-8601 strings, or epoch milliseconds when `timesAsMilliseconds`.
    public mutating func fieldValue(_ value: FieldValue, timesAsMilliseconds: Bool = false) {
        switch value {
        case .null: raw("null")
        case .bool(let b): if b { raw("true") } else { raw("false") }
        case .int(let v): integer(v)
        case .double(let v): number(v)
        case .string(let s): string(s)
        case .time(let t): if timesAsMilliseconds { integer(t.millisecondsSinceEpoch) } else { string(t.iso8601) }
        }
    }

    /// Appends a record as one JSON object whose keys are its column names.
    public mutating func record(_ record: some Record, timesAsMilliseconds: Bool = false) {
        let schema = record.schema
        bytes.append(UInt8(ascii: "{"))
        for (i, column) in schema.columns.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            string(column.name)
            bytes.append(UInt8(ascii: ":"))
            fieldValue(record.value(at: i), timesAsMilliseconds: timesAsMilliseconds)
        }
        bytes.append(UInt8(ascii: "}"))
    }
}
