import SluiceCore
/// Counters of one stage, at the end of a run or while it runs.
public struct StageReport: Sendable, Codable, Hashable {
    /// The stage id.
    public var id: String
    /// The stage kind.
    public var kind: String
    /// `source`, `transform` or `sink`.
    public var role: String
    /// Events read from the input.
    public var eventsIn: Int
    /// Events sent to the output.
    public var eventsOut: Int
    /// Errors (record-level and stage failures).
    public var errors: Int
    /// Inputs skipped by the stage (bad records, malformed frames).
    public var skipped: Int
    /// Restarts after failures.
    public var restarts: Int
    /// Events dropped on the stage's input queue by its policy (`block` never drops).
    public var dropped: Int
    /// Events left in the stage's input queue when the run failed or was cancelled.
    public var abandoned: Int
    /// Events replaced by newer ones with the same key (`conflate`).
    public var conflated: Int
    /// Events in the input queue now.
    public var queueDepth: Int
    /// The most events the input queue held.
    public var queueHighWaterMark: Int
    /// The input queue's capacity (0 for sources).
    public var queueCapacity: Int
    /// The input queue's policy (empty for sources).
    public var queuePolicy: String

    enum CodingKeys: String, CodingKey {
        case id, kind, role, errors, skipped, restarts, dropped, abandoned, conflated
        case eventsIn = "events_in", eventsOut = "events_out", queueDepth = "queue_depth"
        case queueHighWaterMark = "queue_high_water_mark", queueCapacity = "queue_capacity", queuePolicy = "queue_policy"
    }
}

/// The outcome of a pipeline run, with per-stage counters; printed as the summary table and available
/// as JSON (`sluice run --report FILE`).
public struct PipelineReport: Sendable, Codable, Hashable {
    /// How a run ended.
    public enum Outcome: String, Sendable, Codable, Hashable {
        /// Still running (a snapshot).
        case running
        /// Every source finished and everything drained.
        case completed
        /// Shut down on request and drained completely.
        case shutDown = "shut_down"
        /// A stage failed.
        case failed
        /// Cancelled before draining completed (drain deadline or forced exit).
        case cancelled
    }

    /// The pipeline's name.
    public var name: String
    /// How the run ended.
    public var outcome: Outcome
    /// Wall time since start, in seconds.
    public var durationSeconds: Double
    /// Per-stage counters, sources first.
    public var stages: [StageReport]
    /// The failure, if the run failed (secrets redacted).
    public var error: String?
    /// The failure as fields, if the run failed: which stage, its kind, the error's code and message.
    public var failure: Failure?

    /// A failed run's failure, for machines: the stage, its kind and the error's code and message.
    public struct Failure: Sendable, Codable, Hashable {
        /// The failing stage's id.
        public var stage: String
        /// Its kind.
        public var kind: String
        /// The error's stable code (``StageError/Code``), or the error type's name for other errors.
        public var code: String
        /// What happened (secrets redacted).
        public var message: String
        /// Restarts before the stage gave up, under `on_error: restart`.
        public var restarts: Int?

        /// The report of `failure`.
        public init(_ failure: PipelineFailure) {
            stage = failure.stageID
            kind = failure.kind
            code = (failure.cause as? StageError)?.code.rawValue ?? String(describing: type(of: failure.cause))
            message = failure.message
            restarts = failure.restarts
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, outcome, stages, error, failure
        case durationSeconds = "duration_seconds"
    }

    /// Total events dropped on all queues.
    public var totalDropped: Int { stages.reduce(0) { $0 + $1.dropped } }

    /// The counters of stage `id`.
    public func stage(_ id: String) -> StageReport? { stages.first { $0.id == id } }

    /// The summary table printed when a run ends.
    public var table: String {
        let seconds = max(durationSeconds, 1e-9)
        // The conflated and abandoned columns appear only when some queue conflated, or a failed or
        // cancelled run left events in a queue. Drops are only what a policy dropped.
        let showConflated = stages.contains { $0.conflated > 0 }
        let showAbandoned = stages.contains { $0.abandoned > 0 }
        var header = ["stage", "kind", "in", "out", "out/s", "errors", "skipped", "dropped"]
        if showConflated { header.append("conflated") }
        if showAbandoned { header.append("abandoned") }
        header.append("queue hwm")
        var rows: [[String]] = [header]
        for s in stages {
            let queued = s.queueCapacity > 0
            var row = [
                s.id, s.kind, queued ? String(s.eventsIn) : "-", s.role == "sink" ? "-" : String(s.eventsOut),
                s.role == "sink" ? "-" : formatRate(Double(s.eventsOut) / seconds),
                String(s.errors), String(s.skipped), queued ? String(s.dropped) : "-",
            ]
            if showConflated { row.append(queued ? String(s.conflated) : "-") }
            if showAbandoned { row.append(queued ? String(s.abandoned) : "-") }
            row.append(queued ? "\(s.queueHighWaterMark)/\(s.queueCapacity)" : "-")
            rows.append(row)
        }
        var widths = [Int](repeating: 0, count: header.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        var out = "pipeline \"\(name)\" \(outcome.summaryVerb) in \(formatDuration(durationSeconds))\n"
        for (n, r) in rows.enumerated() {
            let line = r.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return i < 2 ? c + pad : pad + c
            }.joined(separator: "  ")
            out += "  " + line + "\n"
            if n == 0 { out += "  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        if let error { out += "error: \(error)\n" }
        return out
    }
}

extension PipelineReport.Outcome {
    var summaryVerb: String {
        switch self {
        case .running: return "running"
        case .completed: return "completed"
        case .shutDown: return "shut down and drained"
        case .failed: return "failed"
        case .cancelled: return "cancelled"
        }
    }
}

func formatRate(_ perSecond: Double) -> String {
    if perSecond >= 1e6 { return String(format1(perSecond / 1e6)) + "M" }
    if perSecond >= 1e3 { return String(format1(perSecond / 1e3)) + "k" }
    return format1(perSecond)
}

func formatDuration(_ seconds: Double) -> String {
    if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
    if seconds < 120 { return format1(seconds) + "s" }
    return "\(Int(seconds) / 60)m\(Int(seconds) % 60)s"
}

func format1(_ v: Double) -> String {
    let r = (v * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(r)
}
