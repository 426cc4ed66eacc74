public import ServiceLifecycle
import Synchronization

/// A ``Pipeline`` as a swift-service-lifecycle `Service`, so a `ServiceGroup` runs it beside other
/// services (the status line, an HTTP endpoint) and owns its shutdown:
///
/// - the group's graceful shutdown (a signal, `triggerGracefulShutdown()`) starts the pipeline's drain;
/// - the group's `maximumGracefulShutdownDuration` is the drain deadline: past it the group cancels the
///   pipeline, which ends `cancelled`;
/// - a failed stage makes ``run()`` throw the ``PipelineFailure``, which cancels the group.
///
/// Add it with `successTerminationBehavior: .gracefullyShutdownGroup` so the group ends when the
/// pipeline does, and `failureTerminationBehavior: .cancelGroup`:
///
/// ```swift
/// let service = PipelineService(pipeline)
/// let group = ServiceGroup(configuration: .init(services: [
///     .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .cancelGroup),
/// ], logger: logger))
/// try await group.run()
/// let report = service.finalReport
/// ```
public final class PipelineService: Service, Sendable {
    /// The pipeline this service runs.
    public let pipeline: Pipeline
    private let outcome = Mutex<PipelineReport?>(nil)

    /// Wraps `pipeline`; it must not be run elsewhere.
    public init(_ pipeline: Pipeline) {
        self.pipeline = pipeline
    }

    /// Runs the pipeline to its end.
    ///
    /// - Throws: ``PipelineFailure`` when a stage fails.
    public func run() async throws {
        do {
            let report = try await withGracefulShutdownHandler {
                try await pipeline.run()
            } onGracefulShutdown: {
                self.pipeline.requestShutdown()
            }
            outcome.withLock { $0 = report }
        } catch {
            outcome.withLock { $0 = self.pipeline.report() }
            throw error
        }
    }

    /// The report of the finished run, or a snapshot while it runs.
    public var finalReport: PipelineReport {
        outcome.withLock { $0 } ?? pipeline.report()
    }
}
