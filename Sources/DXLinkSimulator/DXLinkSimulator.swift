import DXLink
import NIOCore
public import SluiceCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A DXLink-compatible WebSocket server with deterministic synthetic data, for offline development and
/// tests: SETUP, token AUTH, FEED channels with FEED_SETUP/FEED_CONFIG, COMPACT and FULL data, candle
/// history from `fromTime`, keepalive in both directions, and faults on demand.
///
/// ```swift
/// try await DXLinkSimulator.withRunning(SimulatorConfiguration()) { simulator in
///     print(simulator.url)   // ws://127.0.0.1:PORT
/// }
/// ```
public struct DXLinkSimulator: Sendable {
    /// The configuration.
    public let configuration: SimulatorConfiguration
    /// The port it listens on.
    public let port: Int
    /// The clock of the keepalive deadlines (both directions).
    public let clock: any StageClock
    let state: SimulatorState

    /// The URL clients connect to.
    public var url: String { "ws://\(configuration.host):\(port)" }

    /// What the simulator has done so far.
    public var statistics: SimulatorStatistics { state.statistics.withLock { $0 } }

    enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case notUpgraded(any Channel)
    }

    /// Starts the simulator, runs `body` while it serves, then stops it.
    ///
    /// - Parameter clock: The clock its keepalive deadlines run on (a test can share a manual clock with
    ///   the client, so keepalive timing is tested without real time).
    public static func withRunning<T: Sendable>(
        _ configuration: SimulatorConfiguration,
        clock: any StageClock = SystemClock(),
        _ body: @Sendable (DXLinkSimulator) async throws -> T
    ) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketServerUpgrader<Upgrade>(
                        maxFrameSize: 1 << 24,
                        shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                .websocket(try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel))
                            }
                        }
                    )
                    let upgrade = NIOTypedHTTPServerUpgradeConfiguration<Upgrade>(
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(.notUpgraded(channel)) }
                    )
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                        configuration: .init(upgradeConfiguration: upgrade))
                }
            }
        let port = server.channel.localAddress?.port ?? configuration.port
        let simulator = DXLinkSimulator(configuration: configuration, port: port, clock: clock, state: SimulatorState(maxEvents: configuration.maxEvents))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await withTaskCancellationHandler {
                    try await server.executeThenClose { inbound in
                        try await withThrowingDiscardingTaskGroup { connections in
                            for try await negotiation in inbound {
                                connections.addTask {
                                    guard let result = try? await negotiation.get() else { return }
                                    switch result {
                                    case .websocket(let ws):
                                        let number = simulator.state.statistics.withLock { $0.connections += 1; return $0.connections }
                                        await SimulatorConnection(simulator: simulator, number: number).serve(ws)
                                    case .notUpgraded(let channel):
                                        try? await channel.close()
                                    }
                                }
                            }
                        }
                    }
                } onCancel: {
                    server.channel.close(promise: nil)
                }
                return nil
            }
            let value = try await body(simulator)
            group.cancelAll()
            while let next = try? await group.next() { _ = next }
            return value
        }
    }
}
