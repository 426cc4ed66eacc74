import Foundation
import Logging
public import SluiceCore
import SluiceQueue
import SluiceExpressions

/// `alerts` (transform): rules over any records — conditions, crossings, % change over a window, spread
/// width, stale symbols, feed down — with cooldown and hysteresis.
///
/// Alerts are records: they flow on to any sink connected to this stage. The stage can also deliver them
/// itself (`notify`): to standard output, the log, a JSON-lines file and a webhook (POST with retries;
/// failures to a dead-letter file). Webhook delivery runs beside the stream, so a slow or dead endpoint
/// never holds up the records.
public struct AlertsStage<Element: Record>: RecordGenericStage {
    public typealias Input = Element
    public typealias Output = Alert

    /// Where the stage itself delivers alerts.
    public struct Notify: Decodable, Sendable {
        /// Print each alert's message to standard output.
        public var stdout: Bool
        /// Log each alert (warning level; critical as error).
        public var log: Bool
        /// Append each alert as a JSON line to this file.
        public var jsonl: String?
        /// POST each alert to a webhook.
        public var webhook: WebhookConfiguration?

        static var spec: ConfigSpec { ConfigSpec([
            ConfigField("stdout", .boolean, default: .bool(false), doc: "Print each alert's message to standard output."),
            ConfigField("log", .boolean, default: .bool(true), doc: "Log each alert."),
            ConfigField("jsonl", .string, optional: true, doc: "Append each alert as a JSON line to this file."),
            ConfigField("webhook", .object(WebhookConfiguration.spec), optional: true, doc: "POST each alert as JSON, with retries and a dead-letter file."),
        ]) }
    }

    /// The configuration of `alerts`.
    public struct Configuration: StageConfiguration {
        /// The rules.
        public var rules: [AlertRuleConfiguration]
        /// Built-in deliveries.
        public var notify: Notify
        /// How often time-driven rules (stale, feed down) are checked.
        public var tick: ConfigDuration

        public static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("rules", .array(.object(AlertRuleConfiguration.spec), minCount: 1), doc: "The alert rules (docs/stages.md, section alerts, has every trigger)."),
                ConfigField("notify", .object(Notify.spec), default: .object(JSONObject([("stdout", .bool(false)), ("log", .bool(true))])), doc: "Where this stage delivers alerts itself (they also flow to connected sinks)."),
                ConfigField("tick", .duration, default: .string("1s"), advanced: true, doc: "How often stale and feed-down rules are checked."),
            ])
        }

        /// Every field a rule reads: its `when` expression, the watched `field` (for the triggers that
        /// watch one), a level given as another field's name, and the quote fields `spread_bps` uses.
        public func inputFieldReferences() -> [InputFieldReference] {
            var references: [InputFieldReference] = []
            for (i, rule) in rules.enumerated() {
                let at = { (name: String) in Self.spec.pointer("rules", i, name) }
                if let when = rule.when { references += InputFieldReference.fields(ofExpression: when, at: at("when")) }
                if rule.crossesAbove != nil || rule.crossesBelow != nil || rule.changePct != nil || rule.staleAfter != nil {
                    references.append(InputFieldReference(rule.field, at: at("field")))
                }
                if case .field(let name)? = rule.crossesAbove { references.append(InputFieldReference(name, at: at("crosses_above"))) }
                if case .field(let name)? = rule.crossesBelow { references.append(InputFieldReference(name, at: at("crosses_below"))) }
                if rule.spreadBps != nil {
                    references += ["bid_price", "ask_price"].map { InputFieldReference($0, at: at("spread_bps")) }
                }
            }
            return references
        }

        public func validate() -> [Diagnostic] {
            var problems: [Diagnostic] = []
            var ids: [String: Int] = [:]
            for (i, rule) in rules.enumerated() {
                if let first = ids[rule.id] {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("rules", i, "id"), "rule id \"\(rule.id)\" is also used by rule \(first)"))
                }
                ids[rule.id] = ids[rule.id] ?? i
                let triggers = rule.triggers
                if triggers.count > 1 {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("rules", i),
                                               "rule \"\(rule.id)\" sets \(triggers.joined(separator: " and ")); give one trigger per rule"))
                }
                if triggers.isEmpty, rule.when == nil {
                    problems.append(Diagnostic(.missingField, at: Self.spec.pointer("rules", i), "rule \"\(rule.id)\" has nothing to fire on",
                                               expected: "when, crosses_above, crosses_below, change_pct, spread_bps, stale_after or feed_down"))
                }
            }
            if let jsonl = notify.jsonl, let problem = FileOutput.problem(withOutputPath: jsonl) {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("notify", "jsonl"), problem, expected: "a file this process can write"))
            }
            if let webhook = notify.webhook, let problem = FileOutput.problem(withOutputPath: webhook.deadLetter) {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("notify", "webhook", "dead_letter"), problem, expected: "a file this process can write"))
            }
            if let webhook = notify.webhook, !(webhook.url.hasPrefix("http://") || webhook.url.hasPrefix("https://")) {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("notify", "webhook", "url"), "not an HTTP URL", expected: "a URL starting with https:// or http://"))
            }
            return problems
        }
    }

    public static var kind: String { "alerts" }
    public static var summary: String {
        "Fires alerts from rules (conditions, crossings, % change, spread, stale symbol, feed down) with cooldown and hysteresis; delivers to stdout, log, a file or a webhook."
    }
    public static var outputIsOptional: Bool { true }

    let configuration: Configuration
    let context: StageContext

    public init(configuration: Configuration, context: StageContext) throws {
        self.configuration = configuration
        self.context = context
        do {
            _ = try AlertEngine(rules: configuration.rules)
        } catch {
            throw StageError(.invalidRule, "\(error)", underlying: error)
        }
    }

    public static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type { AlertsStage<R>.self }

    public func run(input: Inbound<Element>, output: Outbound<Alert>) async throws {
        var engine = try AlertEngine(rules: configuration.rules)
        let notify = configuration.notify
        let deliveries = BatchQueue<Alert>(capacity: 10_000)
        let jsonlFD: Int32? = try notify.jsonl.map { path in
            try FileOutput.createParentDirectories(of: path)
            return try FileOutput.open(path, append: true)
        }
        defer { if let jsonlFD { close(jsonlFD) } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let webhook = notify.webhook {
                let notifier = WebhookNotifier(configuration: webhook, clock: context.clock, userAgent: "sluice/\(SluiceVersion.current)")
                let context = self.context
                group.addTask {
                    while let batch = try await deliveries.next() {
                        for alert in batch {
                            switch await notifier.deliver(alert) {
                            case .delivered: break
                            case .deadLettered(let reason):
                                context.counters.errors.add(1)
                                context.logger.error("alert not delivered; written to the dead-letter file", metadata: [
                                    "rule": "\(alert.rule)", "symbol": "\(alert.symbol)", "reason": "\(reason)", "file": "\(webhook.deadLetter)",
                                ])
                                try notifier.deadLetter(alert, reason: reason)
                            }
                        }
                    }
                }
            }
            var alerts: [Alert] = []
            do {
                try await input.forEach(tickingEvery: configuration.tick.duration, clock: context.clock) { step in
                    alerts.removeAll(keepingCapacity: true)
                    let now = context.clock.now
                    switch step {
                    case .batch(let records):
                        for record in records { engine.evaluate(record, now: now, into: &alerts) }
                    case .tick(let now):
                        engine.tick(now: now, into: &alerts)
                    }
                    guard !alerts.isEmpty else { return }
                    try deliverLocally(alerts, fd: jsonlFD)
                    if notify.webhook != nil { try await deliveries.send(alerts) }
                    try await output.send(alerts)
                }
            } catch {
                deliveries.finishProducing()
                throw error
            }
            deliveries.finishProducing()
            try await group.waitForAll()
        }
        let s = engine.statistics
        context.logger.info("alerts finished", metadata: ["fired": "\(s.fired)", "suppressed": "\(s.suppressed)", "unreadable": "\(s.unreadable)"])
    }

    private func deliverLocally(_ alerts: [Alert], fd: Int32?) throws {
        let notify = configuration.notify
        if notify.stdout {
            var text = ""
            for a in alerts { text += "ALERT [\(a.severity.rawValue)] \(a.time.iso8601) \(a.message)\n" }
            try context.console.write(Array(text.utf8))
        }
        if notify.log {
            for a in alerts {
                let level: Logger.Level = switch a.severity {
                case .info: .info
                case .warning: .warning
                case .critical: .error
                }
                context.logger.log(level: level, "\(a.message)", metadata: ["rule": "\(a.rule)", "symbol": "\(a.symbol)", "value": "\(a.value)"])
            }
        }
        if let fd, let path = notify.jsonl {
            var w = JSONWriter()
            for a in alerts {
                w.record(a)
                w.bytes.append(0x0A)
            }
            try FileOutput.writeAll(fd, w.bytes, path: path)
        }
    }
}
