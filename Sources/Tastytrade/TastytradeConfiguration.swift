public import SluiceCore

/// The OAuth credentials of a tastytrade API client: the client secret and a refresh token (which does
/// not expire). Never printed.
public struct TastytradeCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The OAuth client secret.
    public var clientSecret: String
    /// The OAuth refresh token.
    public var refreshToken: String

    /// Creates credentials.
    public init(clientSecret: String, refreshToken: String) {
        self.clientSecret = clientSecret
        self.refreshToken = refreshToken
    }

    public var description: String { "TastytradeCredentials(***)" }
}

/// How a ``TastytradeClient`` talks to the API.
public struct TastytradeConfiguration: Sendable {
    /// Production.
    public static let production = "https://api.tastyworks.com"
    /// The sandbox (separate credentials, delayed data).
    public static let sandbox = "https://api.cert.tastyworks.com"

    /// The API's base URL: production, sandbox, or a local URL.
    public var baseURL: String
    /// The OAuth credentials.
    public var credentials: TastytradeCredentials
    /// The timeout of each request.
    public var timeout: Duration = .seconds(10)
    /// Retries of connection errors, timeouts, 429 and 5xx.
    public var retry = RetryPolicy()
    /// At most this many requests per `rateWindow`.
    public var rateLimit = 2
    /// The sliding window of the rate limit.
    public var rateWindow: Duration = .seconds(1)
    /// Consecutive failures that open the circuit breaker.
    public var breakerThreshold = 5
    /// How long the breaker stays open before a probe.
    public var breakerOpenDuration: Duration = .seconds(30)
    /// Access tokens are refreshed this long before they expire (at most a quarter of their lifetime).
    public var refreshMargin: Duration = .seconds(60)
    /// Quote tokens are renewed this long before they expire.
    public var quoteTokenMargin: Duration = .seconds(300)
    /// The `User-Agent` (tastytrade refuses requests without one of the form `product/version`).
    public var userAgent = "sluice/\(SluiceVersion.current)"

    /// Creates a configuration.
    public init(baseURL: String = TastytradeConfiguration.production, credentials: TastytradeCredentials) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.credentials = credentials
    }
}
