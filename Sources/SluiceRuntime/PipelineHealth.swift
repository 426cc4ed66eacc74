public import SluiceCore
import Synchronization

/// Where a stage is in its life, as `/health` shows it.
public enum StageState: String, Sendable, Codable, Hashable, CaseIterable {
    /// Created or being created; waiting for the other stages.
    case starting
    /// Running.
    case running
    /// Failed, and waiting out its backoff before the next attempt (`on_error: restart`).
    case restarting
    /// Finished by itself (a source that ran out, a sink whose input ended).
    case finished
    /// Failed for good; the run is ending.
    case failed
}

/// A live view of a running pipeline for operators: each stage's state and last error, each source's
/// feed, the queues, and the two verdicts a supervisor asks for (`/health`, `/ready`).
public struct PipelineHealth: Sendable, Codable, Hashable {
    /// One stage.
    public struct Stage: Sendable, Codable, Hashable {
        /// The stage id.
        public var id: String
        /// The stage kind.
        public var kind: String
        /// `source`, `transform` or `sink`.
        public var role: String
        /// Where the stage is in its life.
        public var state: StageState
        /// The last error that failed the stage (secrets redacted), if it ever failed.
        public var lastError: String?
        /// Restarts so far.
        public var restarts: Int
        /// Events in its input queue now (transforms and sinks).
        public var queueDepth: Int?
        /// Its input queue's capacity.
        public var queueCapacity: Int?
        /// The feed the source last reported, if it reports one.
        public var feed: Feed?
        /// Seconds since the source last emitted an event (sources; `nil` before the first).
        public var lastEventAgeSeconds: Double?
        /// The subscriptions the stage watches (`dxlink_decode`), if it watches any.
        public var symbols: Symbols?

        enum CodingKeys: String, CodingKey {
            case id, kind, role, state, restarts, feed, symbols
            case lastError = "last_error", queueDepth = "queue_depth", queueCapacity = "queue_capacity"
            case lastEventAgeSeconds = "last_event_age_seconds"
        }
    }

    /// A source's feed, as it reported it.
    public struct Feed: Sendable, Codable, Hashable {
        /// The feed's state (`subscribed`, `disconnected`, …).
        public var state: String
        /// Whether it is up and delivering.
        public var delivering: Bool
        /// When it changed (ISO 8601).
        public var time: String
        /// Why, for a feed that is down.
        public var reason: String?
    }

    /// The subscriptions a stage watches, as it reported them. They do not change the verdicts: a
    /// symbol with no data is the user's to fix, not a reason to restart the process.
    public struct Symbols: Sendable, Codable, Hashable {
        /// Subscriptions watched.
        public var watched: Int
        /// Subscriptions per state (`waiting`, `fresh`, `stale`, `no_data`).
        public var counts: [String: Int]
        /// The first subscriptions with no data (`SYMBOL EventType`; at most 100).
        public var noData: [String]
        /// The first subscriptions that went quiet (at most 100).
        public var stale: [String]

        enum CodingKeys: String, CodingKey {
            case watched, counts, stale
            case noData = "no_data"
        }
    }

    /// The pipeline's name.
    public var pipeline: String
    /// `running` while it runs, then how it ended.
    public var outcome: PipelineReport.Outcome
    /// `ok` (the pipeline runs and no stage has failed) or `failing`.
    public var status: String
    /// Whether every stage runs and every source delivers (and no drain has begun).
    public var ready: Bool
    /// Why it is not ready, for people (empty when ready).
    public var notReady: [String]
    /// The stages, sources first.
    public var stages: [Stage]

    /// Whether `/health` answers 200.
    public var isHealthy: Bool { status == "ok" }

    enum CodingKeys: String, CodingKey {
        case pipeline, outcome, status, ready, stages
        case notReady = "not_ready"
    }

    /// Judges the stages: healthy while the pipeline runs and no stage is failed or restarting; ready
    /// while, besides, no drain has begun, every stage runs (or has finished), and every source that
    /// reports a feed delivers.
    public init(pipeline: String, outcome: PipelineReport.Outcome, draining: Bool, stages: [Stage]) {
        self.pipeline = pipeline
        self.outcome = outcome
        self.stages = stages
        let failing = stages.filter { $0.state == .failed || $0.state == .restarting }
        status = outcome == .running && failing.isEmpty ? "ok" : "failing"
        var reasons: [String] = []
        if outcome != .running { reasons.append("the pipeline has ended (\(outcome.rawValue))") }
        if draining { reasons.append("the pipeline is draining") }
        for s in stages {
            switch s.state {
            case .starting: reasons.append("\(s.id): starting")
            case .restarting, .failed: reasons.append("\(s.id): \(s.state.rawValue)")
            case .running, .finished: break
            }
            if let feed = s.feed, !feed.delivering, s.state == .running {
                reasons.append("\(s.id): feed \(feed.state)" + (feed.reason.map { " (\($0))" } ?? ""))
            }
        }
        notReady = reasons
        ready = reasons.isEmpty
    }
}

/// One stage's life as the runtime sees it (set by the runner, read by health checks).
final class StageStatusCell: Sendable {
    private let value = Mutex<(state: StageState, lastError: String?)>((.starting, nil))

    var current: (state: StageState, lastError: String?) { value.withLock { $0 } }

    func set(_ state: StageState) { value.withLock { $0.state = state } }

    func fail(_ state: StageState, error: String) { value.withLock { $0 = (state, error) } }
}

/// When a source last emitted, as seen by whoever looks (the metrics reporter each second, health
/// checks): the hot path only counts, and the watch notes the time a count was first seen to move.
final class ActivityWatch: Sendable {
    private let value = Mutex<(count: Int, changed: ContinuousClock.Instant?)>((0, nil))

    /// Seconds since `count` last moved, as of `now`; `nil` while it has never been above zero.
    func age(count: Int, now: ContinuousClock.Instant = .now) -> Double? {
        value.withLock { v in
            if count != v.count {
                v.count = count
                v.changed = now
            }
            return v.changed.map { ($0.duration(to: now)).seconds }
        }
    }
}
