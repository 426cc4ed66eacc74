import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceHTTP
import SluiceRuntime
import Synchronization
import UnixSignals

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline until its sources finish, or until SIGINT/SIGTERM.",
        discussion: """
            The first SIGINT or SIGTERM starts a graceful drain: sources stop, queues drain, sinks finish,
            and the run exits 0. The drain is bounded by --drain-timeout; a second signal exits at once
            (status 1). On exit a summary table (per stage: events, rate, errors, drops) goes to stderr.
            On a terminal a live status line is shown while the pipeline runs.
            """
    )

    @Argument(help: "The pipeline file.")
    var file: String

    @Option(help: "How long a graceful drain may take before the run is abandoned (e.g. 10s, 500ms).")
    var drainTimeout: String = "30s"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Log line format: text (for people), json (one object per line) or logfmt. Secrets are redacted in every format.")
    var logFormat: String = "text"

    @Option(help: "Write the final report (per-stage counters) as JSON to this file.")
    var report: String?

    @Flag(help: "Do not print the summary table on exit.")
    var noSummary = false

    @Flag(help: "Do not show the live status line, even on a terminal.")
    var noStatus = false

    @Option(help: "Serve /metrics (Prometheus), /health and /ready here while the run lasts: host:port, [IPv6]:port, or a port on 127.0.0.1 (0: any free port). Overrides the pipeline file's \"http\".")
    var http: String?

    func validate() throws {
        guard DurationText.parse(drainTimeout) != nil else {
            throw ValidationError("--drain-timeout: expected \(DurationText.expected), got \"\(drainTimeout)\"")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level: expected one of trace, debug, info, notice, warning, error, critical; got \"\(logLevel)\"")
        }
        if let http, OperatorAddress(parsing: http) == nil {
            throw ValidationError("--http: expected \(OperatorAddress.expected); got \"\(http)\"")
        }
        guard LogLineFormat(rawValue: logFormat) != nil else {
            throw ValidationError("--log-format: expected one of text, json, logfmt; got \"\(logFormat)\"")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel)!
        let plan = try loadPlan(file)
        let redactor = SecretRedactor(secrets: plan.secrets)
        let format = LogLineFormat(rawValue: logFormat)!
        let showStatus = !noStatus && isatty(STDERR_FILENO) == 1
        let terminal = TerminalStatus(enabled: showStatus)
        LoggingSystem.bootstrap { label in
            var handler = FormattedLogHandler(label: label, format: format, redactor: redactor) { terminal.writeLine($0) }
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sluice")
        // The exposition needs the metrics backend in place before the pipeline makes any metric.
        let address = http.flatMap(OperatorAddress.init(parsing:)) ?? plan.http
        let exposition = address.map { _ in PrometheusBootstrap.bootstrap() }
        let pipeline = Pipeline(plan: plan, logger: logger, console: ConsoleOutput { try terminal.writeOutput($0) })
        var endpoint: OperatorEndpoint?
        if let address, let exposition {
            do {
                endpoint = try await OperatorEndpoint.bind(address, routes: OperatorRoutes(
                    health: { pipeline.health() }, metrics: exposition,
                    subscriptions: { id, request in try await pipeline.changeSubscriptions(stage: id, request) }), logger: logger)
            } catch {
                printError("error: \(error)")
                throw ExitCode(ExitStatus.runtimeFailure)
            }
            if !address.isLoopback {
                logger.warning("the operator endpoint listens beyond this machine; anyone who can reach it sees the pipeline's metrics and health", metadata: ["address": "\(address)"])
            }
        }
        let drain = DurationText.parse(drainTimeout)!
        let service = PipelineService(pipeline)
        let group = GroupHandle()
        let secondSignalSeen = ShutdownSignal()
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            // Listed first, so it is shut down last: a second signal still counts during the drain.
            .init(service: SignalService(logger: logger, drain: drain, secondSignal: secondSignalSeen) { await group.triggerGracefulShutdown() },
                  successTerminationBehavior: .ignore, failureTerminationBehavior: .cancelGroup),
        ]
        if let endpoint {
            // Before the pipeline, so it is shut down after it: it answers while the pipeline drains.
            services.append(.init(service: endpoint, successTerminationBehavior: .ignore, failureTerminationBehavior: .cancelGroup))
        }
        if showStatus {
            services.append(.init(service: StatusLineService(pipeline: pipeline, terminal: terminal), successTerminationBehavior: .ignore))
        }
        services.append(.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .cancelGroup))
        var lifecycleLogger = logger
        lifecycleLogger.logLevel = .warning
        var configuration = ServiceGroupConfiguration(services: services, logger: lifecycleLogger)
        // The drain deadline: past it the group cancels the pipeline, which ends `cancelled`.
        configuration.maximumGracefulShutdownDuration = drain
        let serviceGroup = ServiceGroup(configuration: configuration)
        group.set(serviceGroup)

        var secondSignal: SecondSignal?
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await serviceGroup.run() }
                tasks.addTask {
                    // The last resort, for a stage stuck in a system call that cancellation cannot reach
                    // (a blocking write to a pipe nobody reads): once cancellation has had its grace
                    // period, after the drain deadline or a second signal, the process exits.
                    let reason = try await Self.escalation(pipeline: pipeline, drain: drain, secondSignal: secondSignalSeen)
                    terminal.clear()
                    logger.error("\(reason), and a stage did not stop within \(DurationText.format(Self.cancellationGrace)) of being cancelled; exiting without waiting for it")
                    if !noSummary { printError(pipeline.report().table) }
                    Foundation.exit(ExitStatus.runtimeFailure)
                }
                try await tasks.next()
                tasks.cancelAll()
            }
        } catch let error as SecondSignal {
            secondSignal = error
        } catch is PipelineFailure {
            // The report says failed and names the stage.
        }
        terminal.clear()

        let result = service.finalReport
        if secondSignal == nil, result.outcome == .cancelled, pipeline.isShuttingDown {
            logger.error("drain did not finish within \(DurationText.format(drain)); the rest was cancelled")
        }
        if !noSummary { printError(result.table) }
        if let path = report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do {
                try encoder.encode(result).write(to: URL(fileURLWithPath: path))
            } catch {
                printError("error: cannot write the report to \"\(path)\": \(error.localizedDescription)")
                throw ExitCode(ExitStatus.runtimeFailure)
            }
        }
        switch result.outcome {
        case .completed, .shutDown: return
        case .failed, .cancelled, .running: throw ExitCode(ExitStatus.runtimeFailure)
        }
    }

    /// How long cancellation may take, after the drain deadline or a second signal, before the run
    /// exits regardless.
    static let cancellationGrace: Duration = .seconds(1)

    /// Returns (with the reason) once the run has been cancelled and the grace period is over.
    static func escalation(pipeline: Pipeline, drain: Duration, secondSignal: ShutdownSignal) async throws -> String {
        try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                await pipeline.waitForShutdownRequest()
                try await Task.sleep(for: drain + cancellationGrace)
                return "drain did not finish within \(DurationText.format(drain))"
            }
            group.addTask {
                await secondSignal.wait()
                try await Task.sleep(for: cancellationGrace)
                return "received a second signal"
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}

/// The run's service group, reachable from the services it runs (set once, before it runs).
final class GroupHandle: Sendable {
    private let group = Mutex<ServiceGroup?>(nil)

    func set(_ group: ServiceGroup) { self.group.withLock { $0 = group } }

    func triggerGracefulShutdown() async {
        await group.withLock { $0 }?.triggerGracefulShutdown()
    }
}

/// A second SIGINT/SIGTERM during the drain: stop at once.
struct SecondSignal: Error {
    var signal: UnixSignal
}

/// SIGINT and SIGTERM: the first starts the graceful drain, the second cancels the run.
struct SignalService: Service {
    let logger: Logger
    let drain: Duration
    /// Triggered on the second signal, before the group is cancelled.
    let secondSignal: ShutdownSignal
    let onFirst: @Sendable () async -> Void

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        var count = 0
        for await signal in signals.cancelOnGracefulShutdown() {
            count += 1
            if count > 1 {
                logger.error("received \(signal) again; exiting without draining")
                secondSignal.trigger()
                throw SecondSignal(signal: signal)
            }
            logger.notice("received \(signal); draining (send it again to stop at once)", metadata: ["drain_timeout": "\(DurationText.format(drain))"])
            await onFirst()
        }
    }
}

/// The live status line, once a second while the pipeline runs and drains.
struct StatusLineService: Service {
    let pipeline: Pipeline
    let terminal: TerminalStatus

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                var rates = StatusLine()
                while true {
                    try await Task.sleep(for: .seconds(1))
                    terminal.show(rates.text(pipeline.report(), feeds: StatusLine.feeds(pipeline.health()), width: TerminalStatus.width()))
                }
            }
        } catch is CancellationError {
            // Shutdown cancels the loop's sleep: that is how this service ends, not a failure. (Thrown
            // on, it failed the group, and every run on a terminal exited 2 with "CancellationError()".)
        }
    }
}

/// The status line's text: per stage, events/s out (sinks: in), queue depth, drops and errors, cut to
/// the terminal's width (never wrapped).
struct StatusLine {
    private var previous: [String: Int] = [:]

    /// What the line says in brackets after a stage: a source's feed state while it is not delivering,
    /// and a decoder's subscriptions with no data or gone stale (`2 no data, 1 stale`).
    static func feeds(_ health: PipelineHealth) -> [String: String] {
        var out: [String: String] = [:]
        for s in health.stages {
            if let feed = s.feed, !feed.delivering { out[s.id] = feed.state }
            if let symbols = s.symbols {
                let notes = [("no_data", "no data"), ("stale", "stale")].compactMap { key, words in
                    (symbols.counts[key] ?? 0) > 0 ? "\(symbols.counts[key]!) \(words)" : nil
                }
                if !notes.isEmpty { out[s.id] = notes.joined(separator: ", ") }
            }
        }
        return out
    }

    mutating func text(_ report: PipelineReport, feeds: [String: String] = [:], width: Int) -> String {
        let parts = report.stages.map { s -> String in
            let count = s.role == "sink" ? s.eventsIn : s.eventsOut
            let rate = count - (previous[s.id] ?? 0)
            previous[s.id] = count
            var t = "\(s.id) \(Self.compact(Double(rate)))/s"
            if s.queueCapacity > 0 { t += " q\(s.queueDepth)" }
            if s.dropped > 0 { t += " drop \(s.dropped)" }
            if s.errors > 0 { t += " err \(s.errors)" }
            if let feed = feeds[s.id] { t += " [\(feed)]" }
            return t
        }
        return Self.fit(parts.joined(separator: " │ "), width: width)
    }

    /// `text` cut to `width - 1` characters, ending in `…` when cut (the last column stays free, so the
    /// terminal never wraps).
    static func fit(_ text: String, width: Int) -> String {
        let room = max(width - 1, 1)
        guard text.count > room else { return text }
        return String(text.prefix(room - 1)) + "…"
    }

    static func compact(_ v: Double) -> String {
        if v >= 1e6 { return String(format: "%.1fM", v / 1e6) }
        if v >= 1e3 { return String(format: "%.1fk", v / 1e3) }
        return String(Int(v))
    }
}

