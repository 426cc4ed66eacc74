import NIOCore
import NIOPosix
import Synchronization

/// A fault-injecting TCP proxy on 127.0.0.1 for tests: it sits between a client and a real server and,
/// on demand, freezes (holds everything both ways with the sockets left open, as a SIGSTOPped server does;
/// what was held is delivered when it thaws), blackholes after a number of bytes (drops everything, as a
/// vanished host does), delays every chunk, or resets every connection (RST).
///
/// Everything the client sends is recorded per connection, forwarded or not, so a test can check what a
/// client wrote after it gave up on a frozen server.
///
/// ```swift
/// try await FaultProxy.withRunning(upstreamPort: server.port) { proxy in
///     // connect the client to proxy.port …
///     proxy.set(.freeze)
/// }
/// ```
public final class FaultProxy: Sendable {
    /// What the proxy does with the bytes it reads.
    public enum Mode: Sendable, Hashable {
        /// Forward both ways.
        case pass
        /// Forward nothing either way, holding it; keep every socket open. The held bytes go on when the
        /// mode becomes ``pass`` or ``delay(_:)`` again.
        case freeze
        /// Forward this many more bytes from the server, then nothing either way (dropped, never delivered).
        case blackhole(afterBytes: Int)
        /// Forward both ways, each chunk after this delay.
        case delay(Duration)
    }

    struct Pair {
        var client: any Channel
        var server: (any Channel)?
        var fromClient: [UInt8] = []
        var toServer: [ByteBuffer] = []
        var toClient: [ByteBuffer] = []
        var open = true
    }

    struct State {
        var mode: Mode = .pass
        var blackholeBudget = 0
        var pairs: [Pair] = []
    }

    private let state = Mutex(State())
    /// The port clients connect to.
    public let port: Int
    private let upstreamPort: Int

    private init(port: Int, upstreamPort: Int) {
        self.port = port
        self.upstreamPort = upstreamPort
    }

    /// Connections accepted so far.
    public var connections: Int { state.withLock { $0.pairs.count } }

    /// Connections still open on the client side.
    public var openConnections: Int { state.withLock { $0.pairs.filter(\.open).count } }

    /// Every byte the client sent on connection `index` (0-based), forwarded or not.
    public func clientBytes(connection index: Int) -> [UInt8] {
        state.withLock { index < $0.pairs.count ? $0.pairs[index].fromClient : [] }
    }

    /// Changes what the proxy does from now on (for open and future connections).
    public func set(_ mode: Mode) {
        let pairs = state.withLock { s in
            s.mode = mode
            if case .blackhole(let n) = mode { s.blackholeBudget = n }
            return s.pairs.indices.map { ($0, s.pairs[$0].client.eventLoop) }
        }
        for (index, loop) in pairs {
            loop.execute {
                self.drain(index: index, toServer: true)
                self.drain(index: index, toServer: false)
            }
        }
    }

    /// Resets every open connection: the client gets an RST, not a FIN.
    public func resetAll() {
        let channels = state.withLock { s in s.pairs.filter(\.open).flatMap { [$0.client] + ($0.server.map { [$0] } ?? []) } }
        for channel in channels {
            guard let options = channel as? any SocketOptionProvider else {
                channel.close(promise: nil)
                continue
            }
            options.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Starts a proxy to `127.0.0.1:upstreamPort`, runs `body`, and stops the proxy (closing every connection).
    public static func withRunning<T: Sendable>(upstreamPort: Int, _ body: (FaultProxy) async throws -> T) async throws -> T {
        let box = Mutex<FaultProxy?>(nil)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { client in
                guard let proxy = box.withLock({ $0 }) else { return client.close() }
                return client.pipeline.addHandler(Starter(proxy: proxy))
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let proxy = FaultProxy(port: listener.localAddress?.port ?? 0, upstreamPort: upstreamPort)
        box.withLock { $0 = proxy }
        do {
            let value = try await body(proxy)
            try? await listener.close()
            proxy.closeAll()
            return value
        } catch {
            try? await listener.close()
            proxy.closeAll()
            throw error
        }
    }

    private func closeAll() {
        let channels = state.withLock { s in s.pairs.flatMap { [$0.client] + ($0.server.map { [$0] } ?? []) } }
        for c in channels { c.close(promise: nil) }
    }

    /// A client connected (its channel is active): connect upstream, then start reading.
    fileprivate func accept(_ client: any Channel) -> EventLoopFuture<Void> {
        let index = state.withLock { s in
            s.pairs.append(Pair(client: client))
            return s.pairs.count - 1
        }
        let upstream = ClientBootstrap(group: client.eventLoop)
            .channelInitializer { server in
                server.pipeline.addHandler(Relay(proxy: self, index: index, fromClient: false, partner: client))
            }
            .connect(host: "127.0.0.1", port: upstreamPort)
        return upstream.flatMap { server in
            self.state.withLock { $0.pairs[index].server = server }
            return client.pipeline.addHandler(Relay(proxy: self, index: index, fromClient: true, partner: server)).map {
                client.read()
            }
        }.flatMapError { _ in client.close() }
    }

    /// What to do with a chunk read on a connection.
    fileprivate enum Decision {
        case now, later(Duration), held, dropped
    }

    /// Queues a chunk read on connection `index` for the other side, or drops it, as the mode says.
    fileprivate func route(_ bytes: ByteBuffer, index: Int, fromClient: Bool) -> Decision {
        state.withLock { s in
            if fromClient { s.pairs[index].fromClient.append(contentsOf: bytes.readableBytesView) }
            func queue() {
                if fromClient { s.pairs[index].toServer.append(bytes) } else { s.pairs[index].toClient.append(bytes) }
            }
            switch s.mode {
            case .pass:
                queue()
                return .now
            case .freeze:
                queue()
                return .held
            case .delay(let d):
                return .later(d)
            case .blackhole:
                guard !fromClient, s.blackholeBudget >= bytes.readableBytes else {
                    s.blackholeBudget = 0
                    return .dropped
                }
                s.blackholeBudget -= bytes.readableBytes
                queue()
                return .now
            }
        }
    }

    /// Queues a delayed chunk (its delay is over).
    fileprivate func queueLater(_ bytes: ByteBuffer, index: Int, fromClient: Bool) {
        state.withLock { s in
            if fromClient { s.pairs[index].toServer.append(bytes) } else { s.pairs[index].toClient.append(bytes) }
        }
    }

    /// Writes what is queued for one side of connection `index`, unless frozen. Runs on the pair's event
    /// loop, so writes keep their order.
    fileprivate func drain(index: Int, toServer: Bool) {
        let (chunks, target): ([ByteBuffer], (any Channel)?) = state.withLock { s in
            if case .freeze = s.mode { return ([], nil) }
            let pair = s.pairs[index]
            if toServer {
                s.pairs[index].toServer = []
                return (pair.toServer, pair.server)
            }
            s.pairs[index].toClient = []
            return (pair.toClient, pair.client)
        }
        guard let target, !chunks.isEmpty else { return }
        for c in chunks { target.write(c, promise: nil) }
        target.flush()
    }

    fileprivate var forwardsClose: Bool {
        state.withLock { s in
            switch s.mode {
            case .pass, .delay: true
            case .freeze, .blackhole: false
            }
        }
    }

    fileprivate func closed(index: Int, fromClient: Bool) {
        if fromClient { state.withLock { $0.pairs[index].open = false } }
    }
}

/// Connects a new client's connection upstream once it is active (reading starts after that).
private final class Starter: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let proxy: FaultProxy

    init(proxy: FaultProxy) { self.proxy = proxy }

    func channelActive(context: ChannelHandlerContext) {
        _ = proxy.accept(context.channel)
        context.fireChannelActive()
    }
}

/// Reads one side of a connection and forwards to the other, as the proxy's mode says.
private final class Relay: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let proxy: FaultProxy
    let index: Int
    let fromClient: Bool
    let partner: any Channel

    init(proxy: FaultProxy, index: Int, fromClient: Bool, partner: any Channel) {
        self.proxy = proxy
        self.index = index
        self.fromClient = fromClient
        self.partner = partner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        let (proxy, index, fromClient) = (self.proxy, self.index, self.fromClient)
        switch proxy.route(bytes, index: index, fromClient: fromClient) {
        case .now:
            proxy.drain(index: index, toServer: fromClient)
        case .later(let delay):
            context.eventLoop.scheduleTask(in: .nanoseconds(delay.nanosecondsClamped)) {
                proxy.queueLater(bytes, index: index, fromClient: fromClient)
                proxy.drain(index: index, toServer: fromClient)
            }
        case .held, .dropped:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        proxy.closed(index: index, fromClient: fromClient)
        // A closed side closes the other — except a server's close while frozen or blackholed: a frozen
        // peer never says goodbye.
        if fromClient || proxy.forwardsClose { partner.close(promise: nil) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension Duration {
    var nanosecondsClamped: Int64 {
        let (s, a) = components
        return s > 9_000_000_000 ? .max : s * 1_000_000_000 + a / 1_000_000_000
    }
}
