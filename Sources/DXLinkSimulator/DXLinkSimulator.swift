import DXLink
import NIOCore
public import SluiceCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// An offline tastytrade for development and tests, on one loopback port: a DXLink-compatible WebSocket
/// server with deterministic synthetic data (SETUP, token AUTH, FEED channels with FEED_SETUP/FEED_CONFIG,
/// COMPACT and FULL data, candle history from `fromTime`, keepalive in both directions, faults on
/// demand), and on plain HTTP the tastytrade REST calls a pipeline makes (``SimulatedTastytradeAPI``:
/// OAuth, quote tokens, market metrics, option chains, futures, symbols, quotes).
///
/// ```swift
/// try await DXLinkSimulator.withRunning(SimulatorConfiguration()) { simulator in
///     print(simulator.url)      // ws://127.0.0.1:PORT
///     print(simulator.restURL)  // http://127.0.0.1:PORT
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
    let rest: SimulatedTastytradeAPI

    /// The URL DXLink clients connect to.
    public var url: String { "ws://\(configuration.host):\(port)" }

    /// The base URL of the simulated tastytrade REST API (the same port).
    public var restURL: String { "http://\(configuration.host):\(port)" }

    /// REST requests answered so far.
    public var restRequests: Int { rest.requestCount }

    /// What the simulator has done so far.
    public var statistics: SimulatorStatistics { state.statistics.withLock { $0 } }

    enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case notUpgraded(NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>)
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
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                .notUpgraded(try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel))
                            }
                        }
                    )
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                        configuration: .init(upgradeConfiguration: upgrade))
                }
            }
        let port = server.channel.localAddress?.port ?? configuration.port
        let rest = SimulatedTastytradeAPI(configuration: configuration, dxlinkURL: "ws://\(configuration.host):\(port)", clock: clock)
        let simulator = DXLinkSimulator(configuration: configuration, port: port, clock: clock, state: SimulatorState(maxEvents: configuration.maxEvents), rest: rest)
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
                                    case .notUpgraded(let http):
                                        await simulator.serveREST(http)
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

extension DXLinkSimulator {
    /// Answers the HTTP requests of one connection (keep-alive) from the REST API.
    func serveREST(_ http: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await http.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body.clear()
                case .body(var chunk):
                    guard body.readableBytes + chunk.readableBytes <= 1 << 20 else { return }
                    body.writeBuffer(&chunk)
                case .end:
                    guard let request = head else { return }
                    let response = rest.respond(method: request.method.rawValue, uri: request.uri, authorization: request.headers.first(name: "Authorization"),
                                                body: String(buffer: body))
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: "application/json")
                    headers.add(name: "Content-Length", value: String(response.body.utf8.count))
                    try await outbound.write(.head(HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(string: response.body))))
                    try await outbound.write(.end(nil))
                    if !request.isKeepAlive { return }
                }
            }
        }
    }
}
