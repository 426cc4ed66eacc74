public import SluiceCore

/// One alert rule as written in the stage configuration.
///
/// A rule has an `id`, an optional `when` condition (the `filter` language) and at most one trigger:
/// `crosses_above` / `crosses_below` (a level, or the name of another field), `change_pct` over `window`,
/// `spread_bps`, `stale_after`, or `feed_down`. With no trigger the rule fires when `when` becomes true.
public struct AlertRuleConfiguration: Decodable, Sendable {
    /// The rule's id, used in alerts.
    public var id: String
    /// Only records for which this holds are considered (alone: the condition that fires).
    public var when: String?
    /// The field a crossing, change or stale rule watches.
    public var field: String
    /// Fire when the field rises to or through this level (a number or a field name).
    public var crossesAbove: AlertLevel?
    /// Fire when the field falls to or through this level (a number or a field name).
    public var crossesBelow: AlertLevel?
    /// Fire when the field moves by at least this many percent within `window`.
    public var changePct: Double?
    /// The window of `change_pct`.
    public var window: ConfigDuration
    /// Fire when the bid/ask spread is at least this wide, in basis points of the mid.
    public var spreadBps: Double?
    /// Fire when a symbol has had no record for this long while the feed is up.
    public var staleAfter: ConfigDuration?
    /// Fire when the feed has been down for `down_after`.
    public var feedDown: Bool
    /// How long the feed must be down before `feed_down` fires.
    public var downAfter: ConfigDuration
    /// How far back past the threshold the value must go before the rule fires again.
    public var hysteresis: Double
    /// The shortest time between two alerts of this rule for one symbol.
    public var cooldown: ConfigDuration
    /// The severity its alerts carry.
    public var severity: AlertSeverity
    /// The message template.
    public var message: String?


    static let levelType = ConfigType.either(.number, .string)

    static let spec = ConfigSpec([
        ConfigField("id", .string, doc: "The rule's name, carried by its alerts."),
        ConfigField("when", .expression, optional: true, doc: "Condition on the record (filter language); alone, the rule fires when it becomes true."),
        ConfigField("field", .string, default: .string("price"), doc: "Field watched by crossings, change_pct and stale_after rules."),
        ConfigField("crosses_above", levelType, optional: true, doc: "Fire when the field rises to this level (a number, or another field's name)."),
        ConfigField("crosses_below", levelType, optional: true, doc: "Fire when the field falls to this level (a number, or another field's name)."),
        ConfigField("change_pct", .number(0.000001...1_000_000), optional: true, doc: "Fire on a move of at least this many percent (either way) within window."),
        ConfigField("window", .duration, default: .string("5m"), doc: "Window of change_pct."),
        ConfigField("spread_bps", .number(0...1_000_000), optional: true, doc: "Fire when (ask - bid) / mid is at least this many basis points (bid_price, ask_price)."),
        ConfigField("stale_after", .duration, optional: true, doc: "Fire when a symbol has had no record for this long while the feed is up."),
        ConfigField("feed_down", .boolean, default: .bool(false), doc: "Fire when the feed is down (disconnected or reconnecting) for down_after."),
        ConfigField("down_after", .duration, default: .string("0s"), doc: "How long the feed must be down before feed_down fires."),
        ConfigField("hysteresis", .number(0...1e12), default: .number(0), doc: "How far back past the threshold (in the value's units) before the rule re-arms."),
        ConfigField("cooldown", .duration, default: .string("1m"), doc: "Shortest time between two alerts of this rule for one symbol."),
        ConfigField("severity", AlertSeverity.self, default: .warning, doc: "Severity carried by the alert."),
        ConfigField("message", .string, optional: true, doc: "Message template: {rule}, {symbol}, {value}, {level}, {field} and any record field, e.g. {bid_price}."),
    ])

    /// The triggers this rule sets (at most one is valid).
    var triggers: [String] {
        var t: [String] = []
        if crossesAbove != nil { t.append("crosses_above") }
        if crossesBelow != nil { t.append("crosses_below") }
        if changePct != nil { t.append("change_pct") }
        if spreadBps != nil { t.append("spread_bps") }
        if staleAfter != nil { t.append("stale_after") }
        if feedDown { t.append("feed_down") }
        return t
    }
}

/// How serious an alert is: carried by the alert, and the level it is logged at.
public enum AlertSeverity: String, ConfigOption {
    /// For information (logged at info).
    case info
    /// Needs attention (logged at warning).
    case warning
    /// Needs action now (logged at error).
    case critical
}

/// The level of a crossing: a fixed number, or another field of the same record (e.g. `vwap`).
public enum AlertLevel: Decodable, Sendable, Equatable, CustomStringConvertible {
    /// A fixed level.
    case value(Double)
    /// The value of another field.
    case field(String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            self = .value(number)
        } else {
            self = .field(try container.decode(String.self))
        }
    }

    /// The level for `record`, when it has one.
    func resolve(_ record: some Record) -> Double? {
        switch self {
        case .value(let v): return v
        case .field(let name): return record[field: name].numericValue
        }
    }

    public var description: String {
        switch self {
        case .value(let v): return AlertFormat.number(v)
        case .field(let name): return name
        }
    }
}
