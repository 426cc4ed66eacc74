public import SluiceCore

/// Where to connect and with which token.
public struct DXLinkEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The WebSocket URL (`wss://…`, or `ws://` on loopback).
    public var url: String
    /// The API quote token. Never printed: ``description`` shows the URL only.
    public var token: String

    /// Creates an endpoint.
    public init(url: String, token: String) {
        self.url = url
        self.token = token
    }

    public var description: String { url }
}

/// Supplies the endpoint and token for each connection; asked again, with `renew`, when the server rejects
/// the token. The tastytrade module implements it with `/api-quote-tokens`.
public protocol DXLinkTokenProvider: Sendable {
    /// Whether ``endpoint(renew:)`` can fetch a fresh token (a fixed token cannot).
    var canRenew: Bool { get }
    /// The endpoint to connect to. With `renew`, the current token was rejected: return a fresh one or throw.
    func endpoint(renew: Bool) async throws -> DXLinkEndpoint
    /// Whether an error of ``endpoint(renew:)`` may pass (a refused connection, a 5xx): the session then
    /// retries with its reconnect backoff. Other errors (refused credentials) end the run.
    func isTemporary(_ error: any Error) -> Bool
}

extension DXLinkTokenProvider {
    /// By default every error ends the run.
    public func isTemporary(_ error: any Error) -> Bool { false }
}

/// A fixed URL and token, as given in a pipeline file. It cannot renew a rejected token.
public struct StaticTokenProvider: DXLinkTokenProvider {
    /// The endpoint.
    public var endpoint: DXLinkEndpoint

    /// A provider that always returns `endpoint`.
    public init(_ endpoint: DXLinkEndpoint) { self.endpoint = endpoint }

    /// A fixed token cannot be renewed.
    public var canRenew: Bool { false }

    public func endpoint(renew: Bool) async throws -> DXLinkEndpoint {
        if renew {
            throw DXLinkError(.unauthorized, "the DXLink server rejected the token for \(endpoint.url); check the token (API quote tokens expire after 24 hours) or configure tastytrade credentials so a fresh one is fetched")
        }
        return endpoint
    }
}

/// A DXLink failure with a stable code.
public struct DXLinkError: Error, Sendable, CustomStringConvertible {
    /// A kind of failure: an extensible set (see `StableCode`).
    public typealias Code = StableCode<DXLinkError>

    /// The code.
    public var code: Code
    /// What happened, without secrets.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension StableCode where Domain == DXLinkError {
    /// The token was rejected and no new one can be had.
    public static var unauthorized: Self { Self("unauthorized") }
    /// The URL is not a WebSocket URL.
    public static var invalidURL: Self { Self("invalid_url") }
    /// Reconnect attempts are exhausted.
    public static var reconnectsExhausted: Self { Self("reconnects_exhausted") }
}

/// Reconnect backoff: exponential with full jitter.
public struct ReconnectPolicy: Sendable, Hashable {
    /// The first delay's upper bound.
    public var initialDelay: Duration = .milliseconds(500)
    /// The cap on any delay.
    public var maxDelay: Duration = .seconds(30)
    /// The most consecutive failed attempts before giving up (`nil`: never give up).
    public var maxAttempts: Int?

    /// The default policy: 0.5 s to 30 s, unlimited attempts.
    public init(initialDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30), maxAttempts: Int? = nil) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
    }

    /// The delay before attempt `attempt` (1-based): uniform in [0, min(max, initial × 2^(attempt-1))].
    public func delay(attempt: Int, using rng: inout some RandomNumberGenerator) -> Duration {
        Backoff(initial: initialDelay, cap: maxDelay).delay(attempt: attempt, using: &rng)
    }
}
