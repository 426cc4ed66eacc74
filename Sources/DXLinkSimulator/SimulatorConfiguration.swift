/// How the DXLink simulator behaves: data, authentication, keepalive and faults.
public struct SimulatorConfiguration: Sendable, Hashable {
    /// The address to listen on.
    public var host = "127.0.0.1"
    /// The port (0: any free port).
    public var port = 0
    /// The token clients must send; `nil` accepts any client without AUTH.
    public var token: String?
    /// The seed of the random walks; the same seed gives the same data.
    public var seed: UInt64 = 42
    /// Live events per second per connection, over all its subscriptions (`nil`: flood, as fast as the
    /// client reads).
    public var rate: Double? = 1000
    /// The most events in one FEED_DATA frame.
    public var eventsPerFrame = 100
    /// Stop sending live data after this many events in total (`nil`: never).
    public var maxEvents: Int?
    /// Close a connection that sends nothing for this long (ERROR TIMEOUT first).
    public var keepaliveTimeout: Duration = .seconds(60)
    /// Send a KEEPALIVE after this long without sending anything.
    public var keepaliveInterval: Duration = .seconds(30)
    /// The most candles in one history snapshot (older ones are cut with SNAPSHOT_SNIP).
    public var maxHistoryCandles = 5000
    /// Faults to inject.
    public var faults = Faults()
    /// The OAuth credentials its REST side accepts (`nil`: any non-empty client secret and refresh token).
    public var credentials: Credentials?

    /// The OAuth client secret and refresh token of the simulated tastytrade.
    public struct Credentials: Sendable, Hashable {
        /// The client secret.
        public var clientSecret: String
        /// The refresh token.
        public var refreshToken: String
        /// Creates credentials.
        public init(clientSecret: String, refreshToken: String) {
            self.clientSecret = clientSecret
            self.refreshToken = refreshToken
        }
    }

    /// Faults on demand, counted in data frames per connection.
    public struct Faults: Sendable, Hashable {
        /// Drop the connection (no close frame) after every N data frames.
        public var dropEvery: Int?
        /// Send a malformed frame after every N data frames.
        public var malformedEvery: Int?
        /// Send an ERROR message after every N data frames.
        public var errorEvery: Int?
        /// Send a message of an unknown type after every N data frames.
        public var unknownEvery: Int?
        /// Fall silent (no data, no keepalives) after N data frames, keeping the connection open.
        public var silentAfter: Int?
        /// Send ERROR UNAUTHORIZED after N data frames and keep the connection open, as a server does when
        /// it withdraws a running session's authorization.
        public var unauthorizedAfter: Int?
        /// Drop the connection (no close frame) once N candles of a history snapshot have been sent.
        public var dropInHistoryAfter: Int?
        /// Symbols that stop being served after this many live events on a connection (0: never served,
        /// history included), as for a wrong streamer symbol, an unentitled one, or one that stops trading.
        /// The subscription is accepted either way: a real server does not say.
        public var symbolEventLimits: [String: Int] = [:]
        /// Refuse every token in AUTH (AUTH_STATE UNAUTHORIZED), as for a revoked quote token.
        public var refuseAllTokens = false
        /// Answer the first N REST requests to each path prefix with HTTP 500, as a failing API does
        /// (`["/option-chains": 6]`).
        public var restFailures: [String: Int] = [:]
        /// Only the first N connections get faults (`nil`: all), so a test can fail once and then recover.
        public var connections: Int?
        /// No faults.
        public init() {}
    }

    /// The default configuration.
    public init() {}
}
