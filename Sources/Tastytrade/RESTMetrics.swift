import CoreMetrics
import Foundation

/// The tastytrade client's metrics: requests by endpoint and outcome, and whether its breaker is open.
/// REST calls are few and slow next to the stream, so they are counted as they happen.
struct RESTMetrics: Sendable {
    let host: String
    let breakerOpen: Gauge

    init(baseURL: String) {
        host = URL(string: baseURL)?.host ?? "unknown"
        breakerOpen = Gauge(label: "sluice_rest_breaker_open", dimensions: [("host", host)])
    }

    /// Counts one request to `path`: `outcome` is the HTTP status, or `timeout` / `error` / `cancelled`.
    func request(path: String, outcome: String) {
        Counter(label: "sluice_rest_requests_total", dimensions: [("host", host), ("endpoint", Self.endpoint(of: path)), ("status", outcome)]).increment()
    }

    /// Records the breaker's state.
    func breaker(_ state: CircuitBreaker.State) {
        if case .open = state { breakerOpen.record(1) } else { breakerOpen.record(0) }
    }

    /// The endpoint label of `path`: its first segment (`/market-metrics`, `/instruments`), so ids and
    /// symbols in a path never become label values.
    static func endpoint(of path: String) -> String {
        let first = path.split(separator: "/", omittingEmptySubsequences: true).first.map(String.init) ?? ""
        let safe = first.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } && first.count <= 40
        return safe ? "/" + first : "/other"
    }
}
