public import MarketData

/// Decodes FEED_DATA frames, COMPACT and FULL, into ``MarketEvent``s with a byte-level scanner.
///
/// Per frame: every (type, values) group of a COMPACT frame, every object of a FULL frame. Field order comes
/// from the frame's ``FeedLayout``. A frame that cannot be scanned, or whose value count does not divide
/// by its field count, is dropped whole and counted; an event with a value of the wrong kind or no symbol
/// is dropped and counted; a type Sluice does not model is counted and skipped.
public struct FeedDecoder: Sendable {
    /// What decoding has seen so far.
    public struct Statistics: Sendable, Hashable {
        /// Events decoded.
        public var events = 0
        /// Frames dropped because they could not be scanned or did not fit their layout.
        public var malformedFrames = 0
        /// Events dropped because a value had the wrong kind or the symbol was missing.
        public var malformedEvents = 0
        /// Groups or objects of event types Sluice does not model (or the layout does not describe).
        public var unknownEventTypes = 0
        /// Creates empty statistics.
        public init() {}
    }

    /// How one event type is read under one layout.
    struct Plan {
        var type: MarketEventType
        var ordinal: Int
        /// COMPACT: wire position → slot (-1: a field Sluice does not model, skipped).
        var slotAt: [Int]
        /// Slot → kind.
        var kinds: [EventFieldKind]
        /// FULL: wire name → slot.
        var slotByName: [String: Int]
    }

    struct PlanKey: Hashable {
        var layout: ObjectIdentifier
        var type: String
    }

    /// The counts so far.
    public private(set) var statistics = Statistics()
    /// The most recent problem, for logging (rate-limited by the caller).
    public private(set) var lastProblem: String?
    private var plans: [PlanKey: Plan?] = [:]
    private var slots: [EventSlots] = MarketEventType.allCases.map { EventSlots(count: $0.fields.count) }
    private var fullPlans: [String: Plan] = [:]

    /// Creates a decoder.
    public init() {}

    /// Decodes one FEED_DATA message and appends its events to `events`; returns how many it appended.
    @discardableResult
    public mutating func decode(_ text: String, layout: FeedLayout, into events: inout [MarketEvent]) -> Int {
        var text = text
        if let n = text.utf8.withContiguousStorageIfAvailable({ buffer in
            decode(UnsafeRawBufferPointer(buffer), layout: layout, into: &events)
        }) {
            return n
        }
        text.makeContiguousUTF8()
        return text.utf8.withContiguousStorageIfAvailable { decode(UnsafeRawBufferPointer($0), layout: layout, into: &events) } ?? 0
    }

    /// Decodes one FEED_DATA message given as bytes; see ``decode(_:layout:into:)``.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer, layout: FeedLayout, into events: inout [MarketEvent]) -> Int {
        let start = events.count
        let before = statistics
        var scanner = FrameScanner(bytes)
        do {
            try scanner.expect(UInt8(ascii: "{"))
            var sawData = false
            if !scanner.consume(UInt8(ascii: "}")) {
                repeat {
                    let key = try scanner.readKey()
                    if scanner.bytes(key, equal: "data") {
                        sawData = true
                        if layout.dataFormat == .full || scanner.peek() == UInt8(ascii: "[") && isFullData(scanner) {
                            try decodeFull(&scanner, into: &events)
                        } else {
                            try decodeCompact(&scanner, layout: layout, into: &events)
                        }
                    } else {
                        try scanner.skipValue()
                    }
                } while try scanner.nextElement(closing: UInt8(ascii: "}"))
            }
            guard scanner.isAtEnd() else { throw FrameScanError("trailing bytes after the message", at: scanner.position) }
            guard sawData else { throw FrameScanError("FEED_DATA without 'data'", at: 0) }
        } catch {
            // The frame is dropped whole: one skipped unit, whatever was counted for its events so far.
            events.removeSubrange(start...)
            statistics = before
            statistics.malformedFrames += 1
            lastProblem = "malformed FEED_DATA frame: \(error)"
            return 0
        }
        statistics.events += events.count - start
        return events.count - start
    }

    /// Whether the data array's first element is an object (FULL), peeking without consuming.
    private func isFullData(_ scanner: borrowing FrameScanner) -> Bool {
        var i = scanner.position + 1
        while i < scanner.base.count, scanner.base[i] == 0x20 || scanner.base[i] == 0x0A || scanner.base[i] == 0x0D || scanner.base[i] == 0x09 { i += 1 }
        return i < scanner.base.count && scanner.base[i] == UInt8(ascii: "{")
    }

    /// How `type` is read: COMPACT with the wire order `wire`, or FULL (by name) when `wire` is nil.
    private static func makePlan(_ type: MarketEventType, wire: [String]?) -> Plan {
        let fields = type.fields
        var index: [String: Int] = [:]
        for (i, f) in fields.enumerated() { index[f.wireName] = i }
        if let vwap = index["vwap"] { index["VWAP"] = vwap }
        return Plan(type: type, ordinal: MarketEventType.allCases.firstIndex(of: type)!,
                    slotAt: wire?.map { index[$0] ?? -1 } ?? [], kinds: fields.map(\.kind), slotByName: index)
    }

    private mutating func plan(for type: String, layout: FeedLayout) -> Plan? {
        let key = PlanKey(layout: ObjectIdentifier(layout), type: type)
        if let cached = plans[key] { return cached }
        var made: Plan?
        if let eventType = MarketEventType(rawValue: type), let wire = layout.eventFields[type] {
            made = Self.makePlan(eventType, wire: wire)
        }
        plans[key] = made
        return made
    }

    private mutating func fullPlan(for type: String) -> Plan? {
        if let p = fullPlans[type] { return p }
        guard let eventType = MarketEventType(rawValue: type) else { return nil }
        let p = Self.makePlan(eventType, wire: nil)
        fullPlans[type] = p
        return p
    }

    private mutating func decodeCompact(_ scanner: inout FrameScanner, layout: FeedLayout, into events: inout [MarketEvent]) throws(FrameScanError) {
        try scanner.expect(UInt8(ascii: "["))
        if scanner.consume(UInt8(ascii: "]")) { return }
        repeat {
            let type = try scanner.readString()
            try scanner.expect(UInt8(ascii: ","))
            guard let plan = plan(for: type, layout: layout), !plan.slotAt.isEmpty else {
                statistics.unknownEventTypes += 1
                try scanner.skipValue()
                continue
            }
            try scanner.expect(UInt8(ascii: "["))
            let width = plan.slotAt.count
            var position = 0
            var eventOK = true
            // Work on a local copy of the slots so that no write goes through two levels of arrays.
            var local = slots[plan.ordinal]
            slots[plan.ordinal] = EventSlots(count: 0)
            defer { slots[plan.ordinal] = local }
            local.reset()
            let slotAt = plan.slotAt
            let kinds = plan.kinds
            if !scanner.consume(UInt8(ascii: "]")) {
                repeat {
                    let slot = slotAt[position]
                    if slot < 0 {
                        try scanner.skipValue()
                    } else if !(try Self.assign(&scanner, kind: kinds[slot], slot: slot, into: &local)) {
                        eventOK = false
                    }
                    position += 1
                    if position == width {
                        finishEvent(plan, slots: local, ok: eventOK, into: &events)
                        // Every event of the group writes the same slots, so no reset is needed between them.
                        position = 0
                        eventOK = true
                    }
                } while try scanner.nextElement(closing: UInt8(ascii: "]"))
            }
            if position != 0 {
                throw FrameScanError("\(type): value count is not a multiple of the \(width) fields in effect", at: scanner.position)
            }
        } while try scanner.nextElement(closing: UInt8(ascii: "]"))
    }

    private mutating func decodeFull(_ scanner: inout FrameScanner, into events: inout [MarketEvent]) throws(FrameScanError) {
        try scanner.expect(UInt8(ascii: "["))
        if scanner.consume(UInt8(ascii: "]")) { return }
        repeat {
            // Find eventType first (usually the first key), then read the object from its start.
            let objectStart = scanner.position
            try scanner.expect(UInt8(ascii: "{"))
            var type: String?
            if !scanner.consume(UInt8(ascii: "}")) {
                repeat {
                    let key = try scanner.readKey()
                    if scanner.bytes(key, equal: "eventType") { type = try scanner.readString(); break }
                    try scanner.skipValue()
                } while try scanner.nextElement(closing: UInt8(ascii: "}"))
            }
            scanner.position = objectStart
            guard let type, let plan = fullPlan(for: type) else {
                if type == nil {
                    statistics.malformedEvents += 1
                    lastProblem = "FULL event without eventType"
                } else {
                    statistics.unknownEventTypes += 1
                }
                try scanner.skipValue()
                continue
            }
            slots[plan.ordinal].reset()
            var eventOK = true
            try scanner.expect(UInt8(ascii: "{"))
            if !scanner.consume(UInt8(ascii: "}")) {
                repeat {
                    let keyRange = try scanner.readKey()
                    let key = String(decoding: scanner.slice(keyRange), as: UTF8.self)
                    if let slot = plan.slotByName[key] {
                        if !(try Self.assign(&scanner, kind: plan.kinds[slot], slot: slot, into: &slots[plan.ordinal])) { eventOK = false }
                    } else {
                        try scanner.skipValue()
                    }
                } while try scanner.nextElement(closing: UInt8(ascii: "}"))
            }
            finishEvent(plan, slots: slots[plan.ordinal], ok: eventOK, into: &events)
        } while try scanner.nextElement(closing: UInt8(ascii: "]"))
    }

    private mutating func finishEvent(_ plan: Plan, slots current: borrowing EventSlots, ok: Bool, into events: inout [MarketEvent]) {
        guard ok, let symbol = current.strings[0], !symbol.isEmpty else {
            statistics.malformedEvents += 1
            lastProblem = ok ? "\(plan.type) event without a symbol" : "\(plan.type) event with a value of the wrong kind"
            return
        }
        events.append(plan.type.make(current))
    }

    /// Reads one value into `slot`; false when the value has the wrong kind (the value is consumed either way).
    @inline(__always)
    static func assign(_ scanner: inout FrameScanner, kind: EventFieldKind, slot: Int, into slots: inout EventSlots) throws(FrameScanError) -> Bool {
        let value = try scanner.readScalar()
        switch (kind, value) {
        case (.double, .number(let d)): slots.doubles[slot] = d
        case (.double, .integer(let i)): slots.doubles[slot] = Double(i)
        case (.double, .null): slots.doubles[slot] = .nan
        case (.int, .integer(let i)), (.time, .integer(let i)): slots.ints[slot] = i
        case (.int, .number(let d)), (.time, .number(let d)):
            // "NaN" for a missing integer is 0; fractional integers are truncated.
            slots.ints[slot] = d.isFinite && abs(d) < 9.2e18 ? Int64(d) : 0
        case (.int, .null), (.time, .null): slots.ints[slot] = 0
        case (.string, .string(let s)), (.optionalString, .string(let s)): slots.strings[slot] = s
        case (.string, .null), (.optionalString, .null): slots.strings[slot] = nil
        case (.bool, .bool(let b)): slots.bools[slot] = b
        case (.bool, .null): slots.bools[slot] = false
        case (.bool, .integer(let i)): slots.bools[slot] = i != 0
        default: return false
        }
        return true
    }
}
