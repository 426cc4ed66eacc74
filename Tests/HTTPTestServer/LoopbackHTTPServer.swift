import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP/1.1 server on 127.0.0.1 for tests: each request is recorded and answered by `respond`.
///
/// ```swift
/// try await LoopbackHTTPServer.withRunning { request in
///     .init(status: 503)
/// } body: { server in
///     // POST to server.url …
/// }
/// ```
public final class LoopbackHTTPServer: Sendable {
    /// One request as received.
    public struct Request: Sendable {
        public var method: String
        public var uri: String
        public var headers: [(String, String)]
        public var body: String
        /// When it arrived (the continuous clock).
        public var received: ContinuousClock.Instant

        /// The first value of header `name` (case-insensitive).
        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// What the server answers.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: String
        /// Wait this long before answering (to exercise client timeouts).
        public var delay: Duration

        public init(status: Int = 200, headers: [(String, String)] = [], body: String = "", delay: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }
    }

    private let recorded = Mutex<[Request]>([])
    /// The port it listens on.
    public let port: Int
    private let channel: any Channel

    /// The base URL, `http://127.0.0.1:PORT`.
    public var url: String { "http://127.0.0.1:\(port)" }
    /// Every request so far, in arrival order.
    public var requests: [Request] { recorded.withLock { $0 } }

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    /// Starts a server, runs `body`, and stops the server.
    public static func withRunning<T: Sendable>(
        respond: @escaping @Sendable (Request, Int) -> Response,
        body: (LoopbackHTTPServer) async throws -> T
    ) async throws -> T {
        let box = Mutex<LoopbackHTTPServer?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(respond: respond, record: { request in
                        box.withLock { $0 }.map { server in
                            server.recorded.withLock { r in
                                r.append(request)
                                return r.count
                            }
                        } ?? 0
                    }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = LoopbackHTTPServer(port: channel.localAddress?.port ?? 0, channel: channel)
        box.withLock { $0 = server }
        do {
            let result = try await body(server)
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let respond: @Sendable (Request, Int) -> Response
        let record: @Sendable (Request) -> Int
        var head: HTTPRequestHead?
        var body = ByteBuffer()

        init(respond: @escaping @Sendable (Request, Int) -> Response, record: @escaping @Sendable (Request) -> Int) {
            self.respond = respond
            self.record = record
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h):
                head = h
                body.clear()
            case .body(var chunk):
                body.writeBuffer(&chunk)
            case .end:
                guard let head else { return }
                let request = Request(
                    method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                    body: body.readString(length: body.readableBytes) ?? "", received: .now)
                let number = record(request)
                let response = respond(request, number)
                let loop = context.eventLoop
                let ctx = NIOLoopBound(context, eventLoop: loop)
                let send: @Sendable () -> Void = {
                    let context = ctx.value
                    var headers = HTTPHeaders(response.headers)
                    headers.replaceOrAdd(name: "Content-Length", value: String(response.body.utf8.count))
                    let responseHead = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
                    context.write(self.wrapOutboundOut(.head(responseHead)), promise: nil)
                    context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
                    context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
                }
                if response.delay > .zero {
                    loop.scheduleTask(in: .nanoseconds(Int64(response.delay.components.seconds * 1_000_000_000 + response.delay.components.attoseconds / 1_000_000_000))) { send() }
                } else {
                    send()
                }
            }
        }
    }
}
