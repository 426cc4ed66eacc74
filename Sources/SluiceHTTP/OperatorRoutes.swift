import Foundation
public import SluiceCore
public import SluiceRuntime

/// What the operator endpoint answers, as a function of the request and the pipeline's state:
/// `GET /metrics`, `GET /health`, `GET /ready`, and `POST /sources/{id}/subscriptions`; 404 for other
/// paths, 405 for other methods.
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

    /// Changes a source's subscriptions (`nil`: the route answers 404).
    public var subscriptions: (@Sendable (String, SubscriptionRequest) async throws -> SubscriptionReply)?

    /// Creates the routes over these views of a run.
    public init(health: @escaping @Sendable () -> PipelineHealth, metrics: @escaping @Sendable () -> String,
                subscriptions: (@Sendable (String, SubscriptionRequest) async throws -> SubscriptionReply)? = nil) {
        self.health = health
        self.metrics = metrics
        self.subscriptions = subscriptions
    }

    /// The largest request body taken.
    public static let maximumBodyBytes = 1 << 20

    /// The answer to a request with a body: `POST /sources/{id}/subscriptions` takes
    /// `{"add": [SYMBOL…], "remove": [SYMBOL…]}` as `application/json`; every other path is
    /// ``respond(method:uri:)``.
    public func respond(method: String, uri: String, contentType: String?, body: [UInt8]) async -> Response {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].isEmpty, parts[1] == "sources", parts[3] == "subscriptions", !parts[2].isEmpty,
              let subscriptions else {
            return respond(method: method, uri: uri)
        }
        func text(_ status: Int, _ message: String) -> Response {
            Response(status: status, contentType: "text/plain; charset=utf-8", body: message + "\n")
        }
        guard method == "POST" else { return text(405, "method not allowed: only POST") }
        guard contentType?.lowercased().hasPrefix("application/json") == true else {
            return text(415, "expected Content-Type: application/json")
        }
        guard body.count <= Self.maximumBodyBytes else { return text(413, "the body is over \(Self.maximumBodyBytes >> 20) MiB") }
        let request: SubscriptionRequest
        switch Self.subscriptionRequest(body) {
        case .success(let r): request = r
        case .failure(let problem): return text(400, problem.message)
        }
        let id = String(parts[2]).removingPercentEncoding ?? String(parts[2])
        do {
            return Response(status: 200, contentType: "application/json", body: Self.json(try await subscriptions(id, request)))
        } catch let error as SubscriptionChangeError {
            switch error.kind {
            case .badRequest: return text(400, error.message)
            case .unknownStage: return text(404, error.message)
            case .notAccepted, .notRunning: return text(409, error.message)
            }
        } catch {
            return text(500, "the subscription change failed: \(error)")
        }
    }

    /// `{"add": [...], "remove": [...]}` (either may be left out), or what is wrong with it.
    static func subscriptionRequest(_ body: [UInt8]) -> Result<SubscriptionRequest, SubscriptionChangeError> {
        func bad(_ message: String) -> Result<SubscriptionRequest, SubscriptionChangeError> { .failure(SubscriptionChangeError(.badRequest, message)) }
        let root: JSONValue
        do {
            root = try JSONDocument(parsing: body).root
        } catch {
            return bad("the body is not JSON: \(error)")
        }
        guard let object = root.objectValue else { return bad("expected an object like {\"add\": [\"SPY\"], \"remove\": [\"QQQ\"]}") }
        for key in object.keys where key != "add" && key != "remove" { return bad("unknown member \"\(key)\"; expected add and remove") }
        var lists: [String: [String]] = [:]
        for key in ["add", "remove"] {
            guard let value = object[key] else { continue }
            guard let items = value.arrayValue else { return bad("\(key): expected an array of symbols") }
            var symbols: [String] = []
            for item in items {
                guard let s = item.stringValue else { return bad("\(key): expected strings (streamer symbols)") }
                symbols.append(s)
            }
            lists[key] = symbols
        }
        guard !(lists["add"] ?? []).isEmpty || !(lists["remove"] ?? []).isEmpty else { return bad("nothing to do: give add or remove") }
        return .success(SubscriptionRequest(add: lists["add"] ?? [], remove: lists["remove"] ?? []))
    }

    /// The content type of the Prometheus text format.
    public static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The answer to `method` on `uri` (a query string is ignored).
    public func respond(method: String, uri: String) -> Response {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        let known = ["/metrics", "/health", "/ready"]
        guard known.contains(path) else {
            return Response(status: 404, contentType: "text/plain; charset=utf-8", body: "not found: try /metrics, /health, /ready or POST /sources/ID/subscriptions\n")
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
