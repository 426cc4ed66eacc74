public import MarketData
import SluiceCore

/// Writes FEED_DATA messages, COMPACT or FULL, for given field lists: what a server sends. The simulator
/// and the benchmarks use it; NaN and infinities go out as the strings DXLink uses.
public struct FeedDataEncoder {
    /// One requested field: its name, and its slot and kind when Sluice models it.
    private typealias Column = (name: String, slot: Int?, kind: EventFieldKind)

    /// Event type name → wire name → slot.
    private var indexes: [String: [String: Int]] = [:]

    /// Creates an encoder.
    public init() {}

    /// A FEED_DATA message on `channel` holding `groups` — one (fields, events) group per event type.
    public mutating func message(channel: Int, format: DataFormat, groups: [(fields: [String], events: [any MarketEventPayload])]) -> String {
        var w = JSONWriter(capacity: 4096)
        w.raw("{\"type\":\"FEED_DATA\",\"channel\":")
        w.integer(Int64(channel))
        w.raw(",\"data\":[")
        var first = true
        for group in groups where !group.events.isEmpty {
            // Everything per type is resolved once per group, not per event.
            let payloadType = Swift.type(of: group.events[0])
            let type = payloadType.eventType
            let all = payloadType.fields
            let index = indexes[type] ?? {
                var map: [String: Int] = [:]
                for (i, f) in all.enumerated() { map[f.wireName] = i }
                map["VWAP"] = map["vwap"]
                indexes[type] = map
                return map
            }()
            let columns: [Column] = group.fields.map { name in (name, index[name], index[name].map { all[$0].kind } ?? .string) }
            var slots = EventSlots(count: all.count)
            switch format {
            case .compact:
                if !first { w.raw(",") }
                first = false
                w.string(type)
                w.raw(",[")
                var firstValue = true
                for event in group.events {
                    event.store(into: &slots)
                    write(slots, columns: columns, full: false, first: &firstValue, into: &w)
                }
                w.raw("]")
            case .full:
                for event in group.events {
                    if !first { w.raw(",") }
                    first = false
                    w.raw("{\"eventType\":")
                    w.string(type)
                    var firstValue = false
                    event.store(into: &slots)
                    write(slots, columns: columns, full: true, first: &firstValue, into: &w)
                    w.raw("}")
                }
            }
        }
        w.raw("]}")
        return w.string
    }

    private func write(_ s: EventSlots, columns: [Column], full: Bool, first: inout Bool, into w: inout JSONWriter) {
        for column in columns {
            guard let i = column.slot else {
                if !full { separator(&first, &w); w.raw("null") }
                continue
            }
            let kind = column.kind
            if full {
                // FULL omits empty fields.
                if kind == .double && s.doubles[i].isNaN || kind == .optionalString && s.strings[i] == nil { continue }
                separator(&first, &w)
                w.string(column.name)
                w.raw(":")
            } else {
                separator(&first, &w)
            }
            switch kind {
            case .double:
                let d = s.doubles[i]
                if d.isNaN { w.raw("\"NaN\"") } else if d == .infinity { w.raw("\"Infinity\"") } else if d == -.infinity { w.raw("\"-Infinity\"") } else { w.number(d) }
            case .int, .time: w.integer(s.ints[i])
            case .string, .optionalString:
                if let str = s.strings[i] { w.string(str) } else { w.raw("null") }
            case .bool: if s.bools[i] { w.raw("true") } else { w.raw("false") }
            }
        }
    }

    private func separator(_ first: inout Bool, _ w: inout JSONWriter) {
        if first { first = false } else { w.raw(",") }
    }
}
