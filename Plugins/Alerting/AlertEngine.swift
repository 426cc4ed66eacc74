import DequeModule
public import SluiceCore
import SluiceExpressions

/// Evaluates alert rules over records and the passing of time: the engine of the `alerts` stage.
///
/// A value without clock or I/O. Per rule and symbol it keeps whether the rule is armed (hysteresis),
/// when it last fired (cooldown), the window of a `change_pct` rule and when the symbol was last seen.
/// A rule fires once when its condition starts to hold and re-arms only when the value is back past the
/// threshold by the hysteresis; within the cooldown a firing is suppressed and counted.
public struct AlertEngine: Sendable {
    /// What the engine counted.
    public struct Statistics: Sendable, Equatable {
        /// Alerts emitted.
        public var fired = 0
        /// Firings suppressed by a cooldown.
        public var suppressed = 0
        /// Records whose watched field was missing or not a number.
        public var unreadable = 0
    }

    enum Trigger: Sendable {
        case when
        case crosses(above: Bool, level: AlertLevel)
        case change(percent: Double, window: Int64)
        case spread(bps: Double)
        case stale(after: Int64)
        case feedDown(after: Int64)

        var kind: String {
            switch self {
            case .when: return "when"
            case .crosses(let above, _): return above ? "crosses_above" : "crosses_below"
            case .change: return "change"
            case .spread: return "spread"
            case .stale: return "stale"
            case .feedDown: return "feed_down"
            }
        }
    }

    struct Rule: Sendable {
        var id: String
        var condition: ExpressionEvaluator?
        var field: String
        var trigger: Trigger
        var hysteresis: Double
        var cooldown: Int64
        var severity: AlertSeverity
        var message: String
    }

    struct SymbolState: Sendable {
        var armed: Bool?
        var lastFired: Int64?
        var lastSeen: Int64?
        var window: Deque<(time: Int64, value: Double)> = []
    }

    struct Key: Hashable, Sendable {
        var rule: Int
        var symbol: String
    }

    private var rules: [Rule]
    private var states: [Key: SymbolState] = [:]
    /// When the feed went down, if it is down.
    private var feedDownSince: Int64?
    /// The counts so far.
    public private(set) var statistics = Statistics()

    /// Compiles `rules` (already validated).
    public init(rules: [AlertRuleConfiguration]) throws {
        self.rules = try rules.map { r in
            let trigger: Trigger
            if let level = r.crossesAbove {
                trigger = .crosses(above: true, level: level)
            } else if let level = r.crossesBelow {
                trigger = .crosses(above: false, level: level)
            } else if let pct = r.changePct {
                trigger = .change(percent: pct, window: r.window.duration.milliseconds)
            } else if let bps = r.spreadBps {
                trigger = .spread(bps: bps)
            } else if let after = r.staleAfter {
                trigger = .stale(after: after.duration.milliseconds)
            } else if r.feedDown {
                trigger = .feedDown(after: r.downAfter.duration.milliseconds)
            } else {
                trigger = .when
            }
            return Rule(
                id: r.id, condition: try r.when.map { ExpressionEvaluator(try Expression(parsing: $0)) }, field: r.field,
                trigger: trigger, hysteresis: r.hysteresis, cooldown: r.cooldown.duration.milliseconds,
                severity: r.severity, message: r.message ?? Self.defaultMessage(trigger))
        }
    }

    /// Evaluates every rule against `record`; `now` is the clock (for cooldowns and staleness).
    public mutating func evaluate(_ record: some Record, now: Timestamp, into out: inout [Alert]) {
        let clock = now.millisecondsSinceEpoch
        if record.schema.recordType == "feed" {
            feedChanged(record, now: clock)
            return
        }
        let symbol: String
        if case .string(let s) = record[field: "symbol"] { symbol = s } else { symbol = "" }
        let time = record.recordTime?.millisecondsSinceEpoch ?? clock
        for index in rules.indices {
            if rules[index].condition != nil, !rules[index].condition!.matches(record) {
                if case .when = rules[index].trigger { rearm(Key(rule: index, symbol: symbol)) }
                continue
            }
            let key = Key(rule: index, symbol: symbol)
            var state = states[key] ?? SymbolState()
            let rule = rules[index]
            state.lastSeen = clock
            switch rule.trigger {
            case .when:
                if state.armed ?? true {
                    state.armed = false
                    fire(rule, symbol: symbol, time: time, value: record[field: rule.field].numericValue ?? .nan, level: nil, record: record, state: &state, now: clock, into: &out)
                }
            case .crosses(let above, let levelSpec):
                guard let value = record[field: rule.field].numericValue, !value.isNaN, let level = levelSpec.resolve(record), !level.isNaN else {
                    statistics.unreadable += 1
                    break
                }
                let beyond = above ? value >= level : value <= level
                let back = above ? value < level - rule.hysteresis : value > level + rule.hysteresis
                if beyond, state.armed == true {
                    state.armed = false
                    fire(rule, symbol: symbol, time: time, value: value, level: level, record: record, state: &state, now: clock, into: &out)
                } else if back {
                    state.armed = true
                } else if state.armed == nil, beyond {
                    state.armed = false  // already beyond when first seen: not a crossing
                }
            case .change(let percent, let window):
                guard let value = record[field: rule.field].numericValue, value.isFinite, value != 0 else {
                    statistics.unreadable += 1
                    break
                }
                state.window.append((time, value))
                while let first = state.window.first, first.time < time - window { state.window.removeFirst() }
                let base = state.window.first!.value
                let change = (value - base) / abs(base) * 100
                if abs(change) >= percent, state.armed ?? true {
                    state.armed = false
                    fire(rule, symbol: symbol, time: time, value: change, level: percent, record: record, state: &state, now: clock, into: &out)
                    state.window.removeAll()
                    state.window.append((time, value))
                } else if abs(change) < percent - rule.hysteresis {
                    state.armed = true
                }
            case .spread(let bps):
                guard let bid = record[field: "bid_price"].numericValue, let ask = record[field: "ask_price"].numericValue,
                      bid.isFinite, ask.isFinite, bid + ask > 0 else {
                    statistics.unreadable += 1
                    break
                }
                let spread = (ask - bid) / ((ask + bid) / 2) * 10_000
                if spread >= bps, state.armed ?? true {
                    state.armed = false
                    fire(rule, symbol: symbol, time: time, value: spread, level: bps, record: record, state: &state, now: clock, into: &out)
                } else if spread < bps - rule.hysteresis {
                    state.armed = true
                }
            case .stale:
                state.armed = true  // a fresh record re-arms it
            case .feedDown:
                break
            }
            states[key] = state
        }
    }

    /// Fires the time-driven rules: stale symbols while the feed is up, and a feed down for long enough.
    public mutating func tick(now: Timestamp, into out: inout [Alert]) {
        let clock = now.millisecondsSinceEpoch
        for (index, rule) in rules.enumerated() {
            switch rule.trigger {
            case .stale(let after):
                guard feedDownSince == nil else { continue }
                for key in states.keys.filter({ $0.rule == index }).sorted(by: { $0.symbol < $1.symbol }) {
                    var state = states[key]!
                    guard state.armed != false, let seen = state.lastSeen, clock - seen >= after else { continue }
                    state.armed = false
                    fire(rule, symbol: key.symbol, time: now.millisecondsSinceEpoch, value: Double(clock - seen) / 1000, level: Double(after) / 1000,
                         record: nil, state: &state, now: clock, into: &out)
                    states[key] = state
                }
            case .feedDown(let after):
                let key = Key(rule: index, symbol: "")
                var state = states[key] ?? SymbolState()
                if let since = feedDownSince, clock - since >= after, state.armed ?? true {
                    state.armed = false
                    fire(rule, symbol: "", time: clock, value: Double(clock - since) / 1000, level: Double(after) / 1000,
                         record: nil, state: &state, now: clock, into: &out)
                }
                states[key] = state
            default:
                continue
            }
        }
    }

    private mutating func feedChanged(_ record: some Record, now: Int64) {
        guard case .string(let state) = record[field: "state"] else { return }
        switch state {
        case "disconnected", "reconnecting":
            if feedDownSince == nil { feedDownSince = now }
        case "subscribed":
            feedDownSince = nil
            for index in rules.indices {
                if case .feedDown = rules[index].trigger { rearm(Key(rule: index, symbol: "")) }
                if case .stale = rules[index].trigger {
                    // The outage is not staleness: the clock restarts for every symbol.
                    for key in states.keys where key.rule == index { states[key]?.lastSeen = now }
                }
            }
        default:
            break
        }
    }

    private mutating func rearm(_ key: Key) {
        if states[key] != nil { states[key]!.armed = true }
    }

    private mutating func fire(
        _ rule: Rule, symbol: String, time: Int64, value: Double, level: Double?, record: (any Record)?,
        state: inout SymbolState, now: Int64, into out: inout [Alert]
    ) {
        if let last = state.lastFired, now - last < rule.cooldown {
            statistics.suppressed += 1
            return
        }
        state.lastFired = now
        statistics.fired += 1
        let message = AlertFormat.fill(rule.message, rule: rule.id, symbol: symbol, value: value, level: level, field: rule.field, record: record)
        out.append(Alert(rule: rule.id, kind: rule.trigger.kind, symbol: symbol, time: Timestamp(millisecondsSinceEpoch: time),
                         value: value, severity: rule.severity, message: message))
    }

    static func defaultMessage(_ trigger: Trigger) -> String {
        switch trigger {
        case .when: return "{rule}: {symbol} matched"
        case .crosses(let above, _): return "{rule}: {symbol} {field} crossed \(above ? "above" : "below") {level} at {value}"
        case .change: return "{rule}: {symbol} {field} moved {value}% (threshold {level}%)"
        case .spread: return "{rule}: {symbol} spread {value} bps (threshold {level})"
        case .stale: return "{rule}: {symbol} has been silent for {value} s while the feed is up"
        case .feedDown: return "{rule}: the feed has been down for {value} s"
        }
    }
}

/// Formatting of alert messages.
enum AlertFormat {
    /// Fills `{rule}`, `{symbol}`, `{value}`, `{level}`, `{field}` and `{<record field>}`.
    static func fill(_ template: String, rule: String, symbol: String, value: Double, level: Double?, field: String, record: (any Record)?) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            switch name {
            case "rule": out += rule
            case "symbol": out += symbol
            case "value": out += number(value)
            case "level": out += level.map(number) ?? ""
            case "field": out += field
            default:
                if let record, record.schema.index(of: name) != nil {
                    let v = record[field: name]
                    if case .double(let d) = v { out += number(d) } else { out += v.description }
                } else {
                    out += "{\(name)}"
                }
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// At most four decimals, trailing zeros removed.
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "NaN" : (v < 0 ? "-Infinity" : "Infinity") }
        var s = String((v * 10_000).rounded() / 10_000)
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }
}
