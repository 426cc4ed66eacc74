import ArgumentParser
import Foundation
import Logging
import SluiceCore
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

    @Option(help: "Write the final report (per-stage counters) as JSON to this file.")
    var report: String?

    @Flag(help: "Do not print the summary table on exit.")
    var noSummary = false

    @Flag(help: "Do not show the live status line, even on a terminal.")
    var noStatus = false

    func validate() throws {
        guard DurationText.parse(drainTimeout) != nil else {
            throw ValidationError("--drain-timeout: expected \(DurationText.expected), got \"\(drainTimeout)\"")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level: expected one of trace, debug, info, notice, warning, error, critical; got \"\(logLevel)\"")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel)!
        let plan = try loadPlan(file)
        let redactor = SecretRedactor(secrets: plan.secrets)
        LoggingSystem.bootstrap { label in
            var handler = RedactingLogHandler(label: label, redactor: redactor)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sluice")
        let pipeline = Pipeline(plan: plan, logger: logger)
        let drain = DurationText.parse(drainTimeout)!
        let showStatus = !noStatus && isatty(STDERR_FILENO) == 1
        let finalReport = ReportBox()
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)

        try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        let r = try await pipeline.run()
                        finalReport.value.withLock { $0 = r }
                    } catch is PipelineFailure {
                        finalReport.value.withLock { $0 = pipeline.report() }
                    }
                }
                group.addTask {
                    var count = 0
                    for await signal in signals {
                        count += 1
                        if count == 1 {
                            logger.notice("received \(signal); draining (send it again to exit at once)", metadata: ["drain_timeout": "\(DurationText.format(drain))"])
                            pipeline.requestShutdown()
                        } else {
                            StatusLine.clear(if: showStatus)
                            printError("received \(signal) again; exiting without draining")
                            if !noSummary { printError(pipeline.report().table) }
                            Foundation.exit(ExitStatus.runtimeFailure)
                        }
                    }
                }
                group.addTask {
                    // The drain deadline: starts when shutdown is requested (by a signal or otherwise).
                    await pipeline.waitForShutdownRequest()
                    try await Task.sleep(for: drain)
                    // A stage stuck in a system call cannot be cancelled; the deadline must hold anyway.
                    StatusLine.clear(if: showStatus)
                    logger.error("drain did not finish within \(DurationText.format(drain)); exiting without waiting for the rest")
                    if !noSummary { printError(pipeline.report().table) }
                    Foundation.exit(ExitStatus.runtimeFailure)
                }
                if showStatus {
                    group.addTask {
                        while true {
                            try await Task.sleep(for: .seconds(1))
                            StatusLine.show(pipeline.report())
                        }
                    }
                }
                // The pipeline task finishes first in every normal case.
                try await group.next()
                group.cancelAll()
            }
        StatusLine.clear(if: showStatus)

        let result = finalReport.value.withLock { $0 } ?? pipeline.report()
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
}

/// Holds the final report across the run's child tasks.
final class ReportBox: Sendable {
    let value = Mutex<PipelineReport?>(nil)
}

/// The live one-line status on a terminal: events/s, queue fill and drops.
enum StatusLine {
    static let previous = Mutex<[String: Int]>([:])

    static func show(_ report: PipelineReport) {
        let last = previous.withLock { p in
            let old = p
            for s in report.stages { p[s.id] = s.eventsOut + s.eventsIn }
            return old
        }
        let parts = report.stages.map { s -> String in
            let total = s.eventsOut + s.eventsIn
            let rate = total - (last[s.id] ?? 0)
            var t = "\(s.id) \(compact(Double(rate)))/s"
            if s.queueCapacity > 0 { t += " q\(s.queueDepth)" }
            if s.dropped > 0 { t += " drop \(s.dropped)" }
            if s.errors > 0 { t += " err \(s.errors)" }
            return t
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + parts.joined(separator: " │ ")).utf8))
    }

    static func clear(if shown: Bool) {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    static func compact(_ v: Double) -> String {
        if v >= 1e6 { return String(format: "%.1fM", v / 1e6) }
        if v >= 1e3 { return String(format: "%.1fk", v / 1e3) }
        return String(Int(v))
    }
}

/// A stderr log handler that prints structured lines and redacts secret values.
struct RedactingLogHandler: LogHandler {
    let label: String
    let redactor: SecretRedactor
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    init(label: String, redactor: SecretRedactor) {
        self.label = label
        self.redactor = redactor
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let time = Timestamp.now.iso8601
        var line = "\(time) \(event.level) \(event.message)"
        for key in all.keys.sorted() { line += " \(key)=\(all[key]!)" }
        printError(redactor.redact(line))
    }
}
