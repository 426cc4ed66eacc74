import DXLink
import Logging
import MarketData
import SluiceCore
import Synchronization

/// Runs a ``DXLinkSession`` against a simulator and lets a test wait for what it emits, without sleeping:
/// frames arrive on an async stream, and the test reads until its condition holds.
struct SessionProbe: Sendable {
    let session: DXLinkSession
    let frames: AsyncStream<DXLinkFrame>
    let continuation: AsyncStream<DXLinkFrame>.Continuation
    let shutdown = ShutdownSignal()

    init(url: String, token: String = "secret-token", configuration: DXLinkClientConfiguration,
         reconnect: ReconnectPolicy = ReconnectPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(100))) {
        var logger = Logger(label: "test.dxlink")
        logger.logLevel = .critical
        session = DXLinkSession(configuration: configuration, tokens: StaticTokenProvider(DXLinkEndpoint(url: url, token: token)),
                                reconnect: reconnect, logger: logger)
        (frames, continuation) = AsyncStream.makeStream(of: DXLinkFrame.self)
    }

    /// Runs the session while `body` reads frames; shuts the session down when `body` returns.
    func run<T: Sendable>(_ body: @Sendable (inout AsyncStream<DXLinkFrame>.Iterator) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            let continuation = self.continuation
            group.addTask {
                defer { continuation.finish() }
                try await session.run(shutdown: shutdown) { frame in continuation.yield(frame) }
                return nil
            }
            var iterator = frames.makeAsyncIterator()
            let value = try await body(&iterator)
            shutdown.trigger()
            for try await _ in group {}
            return value
        }
    }
}

extension AsyncStream<DXLinkFrame>.Iterator {
    /// Reads frames until one satisfies `condition`, collecting all of them.
    mutating func collect(until condition: (DXLinkFrame, [DXLinkFrame]) -> Bool) async -> [DXLinkFrame] {
        var seen: [DXLinkFrame] = []
        while let frame = await next() {
            seen.append(frame)
            if condition(frame, seen) { break }
        }
        return seen
    }

    /// Reads frames until the feed reports `state` (`count` times), collecting all of them.
    mutating func collect(untilState state: FeedStatus.State, count: Int = 1) async -> [DXLinkFrame] {
        var n = 0
        return await collect { frame, _ in
            if case .status(let s) = frame.content, s.state == state { n += 1 }
            return n >= count
        }
    }
}

extension DXLinkFrame {
    var status: FeedStatus? { if case .status(let s) = content { return s } else { return nil } }
    var dataText: String? { if case .data(let t, _) = content { return t } else { return nil } }
}

/// Decodes every data frame in `frames`.
func decodeAll(_ frames: [DXLinkFrame]) -> (events: [MarketEvent], statistics: FeedDecoder.Statistics) {
    var decoder = FeedDecoder()
    var events: [MarketEvent] = []
    for f in frames {
        if case .data(let text, let layout) = f.content { decoder.decode(text, layout: layout, into: &events) }
    }
    return (events, decoder.statistics)
}


