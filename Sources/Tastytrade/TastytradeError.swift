public import SluiceCore

/// A failed tastytrade API call, classified by HTTP status, with the API's stable error code and a
/// redacted excerpt of the body. Never contains a secret.
public struct TastytradeError: Error, Sendable, CustomStringConvertible {
    /// A kind of failure: an extensible set (see `StableCode`), as in metrics labels and logs.
    public typealias Kind = StableCode<TastytradeError>


    /// The kind.
    public var kind: Kind
    /// The HTTP status, when there was a response.
    public var status: Int?
    /// tastytrade's `error.code`, when the body had one (e.g. `invalid_credentials`).
    public var apiCode: String?
    /// What happened (no secrets).
    public var message: String
    /// Up to 200 characters of the response body, secrets redacted.
    public var excerpt: String?

    /// Creates an error.
    public init(_ kind: Kind, status: Int? = nil, apiCode: String? = nil, message: String, excerpt: String? = nil) {
        self.kind = kind
        self.status = status
        self.apiCode = apiCode
        self.message = message
        self.excerpt = excerpt
    }

    /// Whether a retry may succeed: connection errors, timeouts, 429 and 5xx.
    public var isRetryable: Bool { [.transport, .timeout, .rateLimited, .server].contains(kind) }

    /// The kind for an HTTP status.
    static func kind(forStatus status: Int) -> Kind {
        switch status {
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 429: return .rateLimited
        case 500...599: return .server
        default: return .client
        }
    }

    public var description: String {
        var s = "tastytrade \(kind.rawValue)"
        if let status { s += " (HTTP \(status))" }
        if let apiCode { s += " [\(apiCode)]" }
        s += ": \(message)"
        if let excerpt, !excerpt.isEmpty { s += " — body: \(excerpt)" }
        return s
    }
}

extension StableCode where Domain == TastytradeError {
    /// 401: the access token (or the OAuth grant) was refused.
    public static var unauthorized: Self { Self("unauthorized") }
    /// 403: the token's scope or the account does not allow the call.
    public static var forbidden: Self { Self("forbidden") }
    /// 404: no such resource.
    public static var notFound: Self { Self("not_found") }
    /// 429: too many requests.
    public static var rateLimited: Self { Self("rate_limited") }
    /// 5xx: the server failed.
    public static var server: Self { Self("server") }
    /// Another 4xx (validation errors and the like).
    public static var client: Self { Self("client") }
    /// The request timed out.
    public static var timeout: Self { Self("timeout") }
    /// The connection failed (refused, reset, DNS, TLS).
    public static var transport: Self { Self("transport") }
    /// The response was not the JSON expected.
    public static var malformedResponse: Self { Self("malformed_response") }
    /// The circuit breaker is open: the call was not attempted.
    public static var circuitOpen: Self { Self("circuit_open") }
    /// The request was cancelled (shutdown, the end of a run): not a failure of the server, never
    /// retried, counted or held against the circuit breaker.
    public static var cancelled: Self { Self("cancelled") }
}

/// Replaces every known secret (client secret, refresh token, access and quote tokens) with `***`.
struct SecretScrubber: Sendable {
    var secrets: [String]

    func scrub(_ text: String) -> String {
        var out = text
        for secret in secrets where secret.count >= 4 {
            out = out.replacingOccurrences(of: secret, with: "***")
        }
        return out
    }

    /// The first 200 characters of `body`, scrubbed.
    func excerpt(_ body: String) -> String {
        let scrubbed = scrub(body)
        return scrubbed.count > 200 ? String(scrubbed.prefix(200)) + "…" : scrubbed
    }
}
