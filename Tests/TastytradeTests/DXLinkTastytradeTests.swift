import BuiltinStages
import DXLink
import Foundation
import HTTPTestServer
import SluiceCore
import SluiceRuntime
import SluiceTesting
import Synchronization
import Tastytrade
import Testing

@Suite("dxlink with tastytrade credentials")
struct DXLinkTastytradeTests {
    @Test("the source gets its URL and token from /api-quote-tokens, and a fresh token when the server rejects one")
    func quoteTokenRenewal() async throws {
        var simulator = SimulatorConfiguration()
        simulator.token = "quote-token-2"
        simulator.rate = 5000
        try await DXLinkSimulator.withRunning(simulator) { sim in
            let fake = FakeTastytrade()
            let issued = ModeBox(mode: 0)
            try await LoopbackHTTPServer.withRunning(respond: { r, n in
                fake.respond(r, n) { request in
                    issued.set(issued.value + 1)
                    return .init(body: #"{"data":{"token":"quote-token-\#(issued.value)","dxlink-url":"\#(sim.url)","level":"api"}}"#)
                }
            }) { server in
                let run = try await TestPipeline("""
                {"name": "tt", "stages": [
                  {"id": "feed", "kind": "dxlink", "config": {
                     "tastytrade": {"base_url": "\(server.url)", "client_secret": "${SECRET}", "refresh_token": "${REFRESH}"},
                     "symbols": ["SPY"], "events": ["Quote"], "duration": "500ms",
                     "reconnect": {"initial_delay": "1ms", "max_delay": "10ms"}}},
                  {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
                  {"id": "out", "kind": "collect", "from": "decode"}
                ]}
                """, registry: { var r = StageRegistry.builtin; r.register(CollectSink<FieldRecord>.self); return r }(),
                   environment: ["SECRET": secret, "REFRESH": refreshToken]).run()
                let quotes = run.rows("out").filter { $0["event_type"] == .string("Quote") }
                #expect(!quotes.isEmpty, "connected with the renewed token and streamed")
                #expect(server.requests.filter { $0.uri == "/api-quote-tokens" }.count == 2, "one token, rejected, then a fresh one")
                #expect(sim.statistics.rejectedTokens == 1)
            }
        }
    }

    @Test("a dxlink stage takes one of url, tastytrade or simulate")
    func validation() throws {
        #expect(throws: ValidationFailure.self) {
            _ = try StageHarness.configuration(DXLinkSourceStage.Configuration.self, json: #"{"symbols": ["SPY"], "simulate": {}, "tastytrade": {"client_secret": "a", "refresh_token": "b"}}"#)
        }
        let ok = try StageHarness.configuration(DXLinkSourceStage.Configuration.self, json: #"{"symbols": ["SPY"], "tastytrade": {"client_secret": "a", "refresh_token": "b"}}"#)
        #expect(ok.tastytrade?.baseURL == TastytradeConfiguration.production)
    }
}
