import DXLink
import DXLinkSimulator
import Logging
import MarketData
import SluiceCore
import SluiceTesting
import Synchronization

/// The simulator of the loopback tests: token `secret-token`, 2 000 events/s.
func simulatorConfiguration() -> SimulatorConfiguration {
    var c = SimulatorConfiguration()
    c.token = "secret-token"
    c.rate = 500
    return c
}

/// Moves `clock` on by `step`, then a millisecond at a time (by at most `slack` more) until `condition`
/// holds: a timer whose task runs after the move reads a later time, and one that re-arms just as the
/// clock moves sleeps a millisecond past its deadline. Steps are relative, so the slack never adds up
/// against a deadline the previous step moved.
func advance(_ clock: ManualClock, by step: Duration, slack: Duration = .milliseconds(5),
             until condition: () -> Bool) async throws -> Bool {
    let target = clock.now.advanced(by: step)
    clock.advance(to: target)
    return try await eventually(within: .seconds(60)) {
        if condition() { return true }
        if clock.now < target.advanced(by: slack) { clock.advance(by: .milliseconds(1)) }
        return false
    }
}

/// Runs a ``DXLinkSession`` against a simulator and lets a test wait for what it emits, without sleeping:
/// frames arrive on an async stream, and the test reads until its condition holds.
struct SessionProbe: Sendable {
    let session: DXLinkSession
    let frames: AsyncStream<DXLinkFrame>
    let continuation: AsyncStream<DXLinkFrame>.Continuation
    let shutdown = ShutdownSignal()

    init(url: String, token: String = "secret-token", configuration: DXLinkClientConfiguration,
         reconnect: ReconnectPolicy = ReconnectPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(100)),
         clock: any StageClock = SystemClock()) {
        self.init(tokens: StaticTokenProvider(DXLinkEndpoint(url: url, token: token)), configuration: configuration, reconnect: reconnect, clock: clock)
    }

    init(tokens: any DXLinkTokenProvider, configuration: DXLinkClientConfiguration,
         reconnect: ReconnectPolicy = ReconnectPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(100)),
         clock: any StageClock = SystemClock()) {
        var logger = Logger(label: "test.dxlink")
        logger.logLevel = .critical
        session = DXLinkSession(configuration: configuration, tokens: tokens, reconnect: reconnect, logger: logger, clock: clock)
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



/// The WebSocket frames a client sent, parsed from the raw bytes a ``FaultProxy`` recorded (after the
/// HTTP upgrade request): opcode and unmasked payload of each.
func clientFrames(_ bytes: [UInt8]) -> [(opcode: UInt8, payload: [UInt8])] {
    var i = 0
    while i + 3 < bytes.count, !(bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10) { i += 1 }
    i += 4
    var frames: [(UInt8, [UInt8])] = []
    while i + 2 <= bytes.count {
        let opcode = bytes[i] & 0x0F
        var length = Int(bytes[i + 1] & 0x7F)
        let masked = bytes[i + 1] & 0x80 != 0
        i += 2
        if length == 126, i + 2 <= bytes.count {
            length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            i += 2
        } else if length == 127, i + 8 <= bytes.count {
            length = bytes[i..<i + 8].reduce(0) { $0 << 8 | Int($1) }
            i += 8
        }
        var mask: [UInt8] = [0, 0, 0, 0]
        if masked, i + 4 <= bytes.count { mask = Array(bytes[i..<i + 4]); i += 4 }
        guard i + length <= bytes.count else { break }
        let payload = (0..<length).map { bytes[i + $0] ^ mask[$0 % 4] }
        frames.append((opcode, payload))
        i += length
    }
    return frames
}
