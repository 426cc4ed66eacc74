import Foundation
import SluiceCore
@testable import SluiceHTTP
@testable import SluiceRuntime
import Testing

/// What the operator endpoint answers and when, without a socket: addresses, routes, the health and
/// readiness verdicts, and the exposition's help text.
@Suite("Operator endpoint: addresses, routes, verdicts")
struct OperatorRoutesTests {
    @Test("addresses: host:port, [IPv6]:port and a bare port on loopback; everything else, hostile or huge, is refused", arguments: [
        ("127.0.0.1:9464", "127.0.0.1:9464"), ("9464", "127.0.0.1:9464"), ("0.0.0.0:0", "0.0.0.0:0"),
        ("[::1]:9464", "[::1]:9464"), ("localhost:65535", "localhost:65535"),
        (":9464", nil), ("127.0.0.1:", nil), ("127.0.0.1:65536", nil), ("127.0.0.1:99999999999999999999", nil),
        ("::1:9464", nil), ("[::1]9464", nil), ("[::1", nil), ("host:-1", nil), ("host:+80", nil), ("", nil),
        ("a b:80", nil), ("127.0.0.1:٣", nil),
    ] as [(String, String?)])
    func addresses(text: String, parsed: String?) {
        #expect(OperatorAddress(parsing: text)?.description == parsed)
    }

    static func stage(_ id: String, role: String = "source", state: StageState = .running, feed: PipelineHealth.Feed? = nil) -> PipelineHealth.Stage {
        PipelineHealth.Stage(id: id, kind: "k", role: role, state: state, lastError: nil, restarts: 0, queueDepth: nil,
                             queueCapacity: nil, feed: feed, lastEventAgeSeconds: nil, symbols: nil)
    }

    static func feed(_ state: String, delivering: Bool) -> PipelineHealth.Feed {
        PipelineHealth.Feed(state: state, delivering: delivering, time: "2026-12-03T00:00:00Z", reason: delivering ? nil : "server silent")
    }

    @Test("healthy while running with no stage failed or restarting; ready only while, besides, every stage runs, every feed delivers and no drain has begun")
    func verdicts() {
        let up = [Self.stage("feed", feed: Self.feed("subscribed", delivering: true)), Self.stage("out", role: "sink")]
        let ok = PipelineHealth(pipeline: "p", outcome: .running, draining: false, stages: up)
        #expect(ok.isHealthy && ok.ready && ok.notReady.isEmpty)

        let reconnecting = PipelineHealth(pipeline: "p", outcome: .running, draining: false,
                                          stages: [Self.stage("feed", feed: Self.feed("reconnecting", delivering: false))])
        #expect(reconnecting.isHealthy)
        #expect(!reconnecting.ready)
        #expect(reconnecting.notReady == ["feed: feed reconnecting (server silent)"])

        let starting = PipelineHealth(pipeline: "p", outcome: .running, draining: false, stages: [Self.stage("feed", state: .starting)])
        #expect(starting.isHealthy && !starting.ready)

        let restarting = PipelineHealth(pipeline: "p", outcome: .running, draining: false, stages: [Self.stage("sink", role: "sink", state: .restarting)])
        #expect(!restarting.isHealthy && !restarting.ready)

        let draining = PipelineHealth(pipeline: "p", outcome: .running, draining: true, stages: up)
        #expect(draining.isHealthy)
        #expect(!draining.ready)

        let ended = PipelineHealth(pipeline: "p", outcome: .completed, draining: false, stages: [Self.stage("feed", state: .finished)])
        #expect(!ended.isHealthy && !ended.ready)

        // A source that reports no feed delivers while it runs; a finished source does not hold readiness back.
        let plain = PipelineHealth(pipeline: "p", outcome: .running, draining: false,
                                   stages: [Self.stage("gen"), Self.stage("replay", state: .finished)])
        #expect(plain.ready)
    }

    @Test("routes: GET /metrics, /health and /ready; 503 when unhealthy or not ready; 405 for other methods; 404 for other paths; a query string is ignored")
    func routes() throws {
        let health = PipelineHealth(pipeline: "p", outcome: .running, draining: false,
                                    stages: [Self.stage("feed", feed: Self.feed("disconnected", delivering: false))])
        let routes = OperatorRoutes(health: { health }, metrics: { "# TYPE sluice_queue_depth gauge\nsluice_queue_depth{stage=\"s\"} 3\n" })
        let metrics = routes.respond(method: "GET", uri: "/metrics?x=1")
        #expect(metrics.status == 200)
        #expect(metrics.contentType == OperatorRoutes.prometheusContentType)
        #expect(metrics.body.hasPrefix("# HELP sluice_queue_depth "))
        #expect(routes.respond(method: "GET", uri: "/health").status == 200)
        let ready = routes.respond(method: "GET", uri: "/ready")
        #expect(ready.status == 503)
        let body = try JSONSerialization.jsonObject(with: Data(ready.body.utf8)) as? [String: Any]
        #expect(body?["ready"] as? Bool == false)
        #expect(body?["not_ready"] as? [String] == ["feed: feed disconnected (server silent)"])
        #expect(routes.respond(method: "POST", uri: "/health").status == 405)
        #expect(routes.respond(method: "GET", uri: "/").status == 404)
        #expect(routes.respond(method: "GET", uri: "/health/../metrics").status == 404)
    }

    @Test("help text goes before the TYPE line of every catalogued metric, and only there")
    func help() {
        let text = MetricCatalog.annotate("# TYPE sluice_stage_errors_total counter\nsluice_stage_errors_total{stage=\"a\"} 0\n# TYPE plugin_thing gauge\nplugin_thing 1\n")
        #expect(text == """
            # HELP sluice_stage_errors_total \(MetricCatalog.help["sluice_stage_errors_total"]!)
            # TYPE sluice_stage_errors_total counter
            sluice_stage_errors_total{stage="a"} 0
            # TYPE plugin_thing gauge
            plugin_thing 1

            """)
    }

    @Test("the operations page documents every metric in the catalog")
    func documented() throws {
        let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/operations.md")
        let text = try String(contentsOf: page, encoding: .utf8)
        let missing = MetricCatalog.help.keys.sorted().filter { !text.contains("`\($0)`") }
        #expect(missing.isEmpty, "not in docs/operations.md: \(missing)")
    }
}

extension OperatorRoutesTests {
    @Test("a subscription request's body: add and remove arrays of strings; anything else is a 400 naming the problem", arguments: [
        (#"{"add": ["SPY"], "remove": ["QQQ"]}"#, nil),
        (#"{"remove": ["QQQ"]}"#, nil),
        (#"{}"#, "nothing to do: give add or remove"),
        (#"["SPY"]"#, "expected an object like"),
        (#"{"add": "SPY"}"#, "add: expected an array of symbols"),
        (#"{"add": [1]}"#, "add: expected strings"),
        (#"{"ad": ["SPY"]}"#, "unknown member \"ad\""),
        ("{\"add\": [" + String(repeating: "[", count: 10_000), "the body is not JSON"),
    ] as [(String, String?)])
    func subscriptionBodies(body: String, problem: String?) {
        switch OperatorRoutes.subscriptionRequest(Array(body.utf8)) {
        case .success(let request):
            #expect(problem == nil)
            #expect(!request.add.isEmpty || !request.remove.isEmpty)
        case .failure(let error):
            #expect(error.message.hasPrefix(problem ?? "(none expected)"), "\(error.message)")
        }
    }

    @Test("the route maps what the pipeline says to a status: 200 with the reply, 404 unknown stage, 409 not taking changes")
    func subscriptionStatuses() async {
        let routes = OperatorRoutes(health: { PipelineHealth(pipeline: "p", outcome: .running, draining: false, stages: []) }, metrics: { "" },
                                    subscriptions: { id, request in
            switch id {
            case "feed": return SubscriptionReply(added: request.add, removed: [], unchanged: [])
            case "decode": throw SubscriptionChangeError(.notAccepted, "stage \"decode\" (dxlink_decode) does not take subscription changes")
            default: throw SubscriptionChangeError(.unknownStage, "no stage \"\(id)\"")
            }
        })
        let body = Array(#"{"add": ["SPY"]}"#.utf8)
        let ok = await routes.respond(method: "POST", uri: "/sources/feed/subscriptions", contentType: "application/json", body: body)
        #expect(ok.status == 200)
        #expect(ok.body == #"{"added":["SPY"],"removed":[],"unchanged":[]}"# + "\n")
        #expect(await routes.respond(method: "POST", uri: "/sources/x/subscriptions", contentType: "application/json", body: body).status == 404)
        let refused = await routes.respond(method: "POST", uri: "/sources/decode/subscriptions", contentType: "application/json; charset=utf-8", body: body)
        #expect(refused.status == 409)
        #expect(refused.body.contains("does not take subscription changes"))
        #expect(await routes.respond(method: "GET", uri: "/health", contentType: nil, body: []).status == 200)
        let without = OperatorRoutes(health: { PipelineHealth(pipeline: "p", outcome: .running, draining: false, stages: []) }, metrics: { "" })
        #expect(await without.respond(method: "POST", uri: "/sources/feed/subscriptions", contentType: "application/json", body: body).status == 404)
    }
}
