public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
public import ServiceLifecycle
public import SluiceRuntime
import SluiceCore
import Synchronization

/// The HTTP endpoint for operators — `/metrics`, `/health`, `/ready` (``OperatorRoutes``) — as a
/// swift-service-lifecycle `Service`.
///
/// Bind it before the run starts (a port in use is an error before any source connects), then run it in
/// the same `ServiceGroup` as the pipeline, listed *before* the ``PipelineService``: the group shuts
/// services down in reverse order, so the endpoint keeps answering while the pipeline drains and closes
/// once the pipeline has ended.
///
/// Each connection gets one answer and is closed; a connection that has not sent a whole request
/// within ``requestTimeout`` is closed, and at most ``maximumConnections`` are served at once, so a
/// misbehaving client cannot hold the endpoint.
public final class OperatorEndpoint: Service, Sendable {
    /// How long a client may take to send its request.
    public static let requestTimeout: Duration = .seconds(10)
    /// Connections served at once; more are closed at once.
    public static let maximumConnections = 32

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private let server: NIOAsyncChannel<Connection, Never>
    private let routes: OperatorRoutes
    private let logger: Logger
    /// Connections being served.
    private let active = Atomic<Int>(0)
    /// The address it listens on (with the port it got, if it asked for port 0).
    public let address: OperatorAddress

    private init(server: NIOAsyncChannel<Connection, Never>, routes: OperatorRoutes, logger: Logger, address: OperatorAddress) {
        self.server = server
        self.routes = routes
        self.logger = logger
        self.address = address
    }

    /// Starts listening on `address`.
    ///
    /// - Throws: ``OperatorEndpointError`` when the address cannot be bound (in use, not this machine's).
    public static func bind(_ address: OperatorAddress, routes: OperatorRoutes, logger: Logger) async throws -> OperatorEndpoint {
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw OperatorEndpointError(address: address, underlying: error)
        }
        let bound = OperatorAddress(host: address.host, port: server.channel.localAddress?.port ?? address.port)
        return OperatorEndpoint(server: server, routes: routes, logger: logger, address: bound)
    }

    /// Serves until the group shuts down gracefully (or the task is cancelled), then closes.
    public func run() async throws {
        logger.notice("operator endpoint listening", metadata: ["url": "http://\(address)"])
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    try await self.server.executeThenClose { connections in
                        for try await connection in connections {
                            guard self.active.add(1, ordering: .relaxed).newValue <= Self.maximumConnections else {
                                self.active.subtract(1, ordering: .relaxed)
                                try? await connection.channel.close()
                                continue
                            }
                            group.addTask {
                                defer { self.active.subtract(1, ordering: .relaxed) }
                                await self.serve(connection)
                            }
                        }
                    }
                }
            }
        } catch is CancellationError {
            // Shutdown cancels the accept loop: that is how the endpoint ends, not a failure.
        }
    }

    private func serve(_ connection: Connection) async {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.answer(connection) }
                group.addTask {
                    try await Task.sleep(for: Self.requestTimeout)
                    throw RequestTimeout()
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch {
            logger.debug("operator endpoint connection closed", metadata: ["error": "\(error)"])
            try? await connection.channel.close()
        }
    }

    private func answer(_ connection: Connection) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            var tooLarge = false
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                case .body(let chunk):
                    // Past the limit the rest is read and dropped: the answer is 413 either way.
                    if body.count + chunk.readableBytes > OperatorRoutes.maximumBodyBytes { tooLarge = true } else { body += chunk.readableBytesView }
                case .end:
                    guard let head else { return }
                    let response = tooLarge
                        ? OperatorRoutes.Response(status: 413, contentType: "text/plain; charset=utf-8", body: "the body is over \(OperatorRoutes.maximumBodyBytes >> 20) MiB\n")
                        : await routes.respond(method: head.method.rawValue, uri: head.uri, contentType: head.headers.first(name: "Content-Type"), body: body)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: response.contentType)
                    headers.add(name: "Content-Length", value: String(response.body.utf8.count))
                    headers.add(name: "Connection", value: "close")
                    if response.status == 405 { headers.add(name: "Allow", value: head.uri.hasPrefix("/sources/") ? "POST" : "GET") }
                    try await outbound.write(.head(HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(string: response.body))))
                    try await outbound.write(.end(nil))
                    return
                }
            }
        }
    }

    private struct RequestTimeout: Error, CustomStringConvertible {
        var description: String { "no complete request within \(DurationText.format(OperatorEndpoint.requestTimeout))" }
    }
}

/// The operator endpoint could not listen where it was asked to.
public struct OperatorEndpointError: Error, CustomStringConvertible {
    /// Where it was asked to listen.
    public var address: OperatorAddress
    /// What the system said.
    public var underlying: any Error

    public var description: String { "cannot listen on \(address) for the operator endpoint: \(underlying)" }
}
