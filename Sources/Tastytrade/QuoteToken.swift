public import SluiceCore

/// A DXLink quote token from `GET /api-quote-tokens`.
public struct QuoteToken: Sendable, Hashable, CustomStringConvertible {
    /// The token for DXLink's AUTH message (secret).
    public var token: String
    /// The DXLink WebSocket URL.
    public var dxlinkURL: String
    /// `api` (real time) or `demo` (delayed, sandbox).
    public var level: String?
    /// When it expires (24 hours after issue when the response does not say).
    public var expiresAt: Timestamp

    /// Creates a quote token.
    public init(token: String, dxlinkURL: String, level: String?, expiresAt: Timestamp) {
        self.token = token
        self.dxlinkURL = dxlinkURL
        self.level = level
        self.expiresAt = expiresAt
    }

    /// Reads the `data` object of the response.
    init(data: JSONObject, now: Timestamp) throws(TastytradeError) {
        guard let token = data["token"]?.stringValue, !token.isEmpty, let url = data["dxlink-url"]?.stringValue, !url.isEmpty else {
            throw TastytradeError(.malformedResponse, message: "the quote token response lacks data.token or data.dxlink-url")
        }
        self.token = token
        self.dxlinkURL = url
        self.level = data["level"]?.stringValue
        self.expiresAt = data["expires-at"]?.stringValue.flatMap(Timestamp.init(iso8601:)) ?? now.advanced(by: .seconds(86_400))
    }

    public var description: String { "QuoteToken(url: \(dxlinkURL), level: \(level ?? "?"), expires: \(expiresAt))" }
}
