public import DXLink
public import Tastytrade

/// DXLink endpoints from tastytrade's `/api-quote-tokens`: the token and URL are fetched for the first
/// connection, reused while valid, fetched again for a connection made within the renewal margin of
/// expiry, and fetched fresh when the server rejects the token.
public struct TastytradeTokenProvider: DXLinkTokenProvider {
    /// The REST client.
    public let client: TastytradeClient

    /// A provider backed by `client`.
    public init(client: TastytradeClient) { self.client = client }

    /// A fresh quote token can always be asked for.
    public var canRenew: Bool { true }

    /// Connection failures, timeouts, 429 and 5xx pass (and an open breaker closes again); refused
    /// credentials and malformed answers do not.
    public func isTemporary(_ error: any Error) -> Bool {
        guard let e = error as? TastytradeError else { return false }
        return e.isRetryable || e.kind == .circuitOpen
    }

    public func endpoint(renew: Bool) async throws -> DXLinkEndpoint {
        let token = try await client.quoteToken(forceRefresh: renew)
        return DXLinkEndpoint(url: token.dxlinkURL, token: token.token)
    }
}
