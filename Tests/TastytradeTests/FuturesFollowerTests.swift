@testable import BuiltinStages
import DXLink
import HTTPTestServer
import MarketData
import SluiceCore
import SluiceTesting
import Synchronization
import Tastytrade
import Testing

/// A futures product followed against a REST server that misbehaves after the start: the contract that
/// streams stays, and the run does not end.
@Suite("futures: a failing API mid-run")
struct FuturesFollowerTests {
    @Test("after the first look-up, an empty contract list and HTTP 500s keep the current contract; nothing is unsubscribed and nothing fails")
    func keepsContract() async throws {
        let futuresCalls = Mutex(0)
        let body = #"{"data":{"items":[{"symbol":"/ESZ6","product-code":"ES","streamer-symbol":"/ESZ26:XCME","expiration-date":"2026-12-18","active-month":true,"next-active-month":false}]}}"#
        try await LoopbackHTTPServer.withRunning(respond: { request, _ in
            if request.uri.hasPrefix("/oauth/token") { return .init(body: #"{"access_token":"a","expires_in":900}"#) }
            switch futuresCalls.withLock({ $0 += 1; return $0 }) {
            case 1: return .init(body: body)
            case 2: return .init(body: #"{"data":{"items":[]}}"#)
            default: return .init(status: 500, body: #"{"error":{"code":"oops","message":"down"}}"#)
            }
        }) { server in
            let clock = ManualClock(now: Timestamp(millisecondsSinceEpoch: 1_796_601_600_000))  // 2026-12-07
            var configuration = TastytradeConfiguration(baseURL: server.url, credentials: TastytradeCredentials(clientSecret: "s", refreshToken: "r"))
            configuration.rateLimit = 1000
            let logs = LogCapture()
            let context = StageContext(stageID: "feed", kind: "dxlink", logger: logs.logger(), clock: clock)
            let applied = Mutex<[String]>([])
            let follower = FuturesFollower(product: "ES", month: .active, events: ["Quote"], refresh: .seconds(1),
                                           client: TastytradeClient(configuration: configuration, clock: clock), context: context) { name, subscriptions, reason in
                applied.withLock { $0.append("\(name) \(subscriptions.map(\.symbol)) \(reason.rawValue)") }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await follower.run() }
                #expect(try await eventually {
                    clock.advance(by: .milliseconds(500))
                    return futuresCalls.withLock { $0 } >= 6
                })
                group.cancelAll()
                // Cancellation is how it ends: no other error.
                do { try await group.waitForAll() } catch is CancellationError {}
            }
            #expect(applied.withLock { $0 } == ["futures ES [\"/ESZ26:XCME\"] chain"])
            #expect(logs.text.contains("tastytrade listed no contract of the futures product; keeping the current contract"))
            #expect(logs.text.contains("could not look up the futures month; keeping the current contract"))
        }
    }
}
