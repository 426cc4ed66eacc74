import Foundation
public import SluiceRuntime

/// What the operator endpoint answers, as a pure function of the request line and the pipeline's state:
/// `GET /metrics`, `GET /health`, `GET /ready`; 404 for other paths, 405 for other methods.
public struct OperatorRoutes: Sendable {
    /// One answer.
    public struct Response: Sendable, Equatable {
        /// The HTTP status code.
        public var status: Int
        /// The `Content-Type`.
        public var contentType: String
        /// The body.
        public var body: String
    }

    /// The pipeline's state now.
    public var health: @Sendable () -> PipelineHealth
    /// The Prometheus exposition now (without help text; ``MetricCatalog`` adds it).
    public var metrics: @Sendable () -> String

    /// Creates the routes over these two views of a run.
    public init(health: @escaping @Sendable () -> PipelineHealth, metrics: @escaping @Sendable () -> String) {
        self.health = health
        self.metrics = metrics
    }

    /// The content type of the Prometheus text format.
    public static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The answer to `method` on `uri` (a query string is ignored).
    public func respond(method: String, uri: String) -> Response {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        let known = ["/metrics", "/health", "/ready"]
        guard known.contains(path) else {
            return Response(status: 404, contentType: "text/plain; charset=utf-8", body: "not found: try /metrics, /health or /ready\n")
        }
        guard method == "GET" else {
            return Response(status: 405, contentType: "text/plain; charset=utf-8", body: "method not allowed: only GET\n")
        }
        switch path {
        case "/metrics":
            return Response(status: 200, contentType: Self.prometheusContentType, body: MetricCatalog.annotate(metrics()))
        case "/health":
            let h = health()
            return Response(status: h.isHealthy ? 200 : 503, contentType: "application/json", body: Self.json(h))
        default:
            let h = health()
            return Response(status: h.ready ? 200 : 503, contentType: "application/json", body: Self.json(ReadyBody(ready: h.ready, notReady: h.notReady)))
        }
    }

    struct ReadyBody: Encodable {
        var ready: Bool
        var notReady: [String]
        enum CodingKeys: String, CodingKey {
            case ready
            case notReady = "not_ready"
        }
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding these plain structs cannot fail; an empty object is the honest fallback if it did.
        guard let data = try? encoder.encode(value) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
