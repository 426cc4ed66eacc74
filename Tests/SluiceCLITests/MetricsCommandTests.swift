import Foundation
import HTTPTestServer
import Testing

@Suite("sluice metrics")
struct MetricsCommandTests {
    @Test("prints a table of metrics, marks unknown symbols, and never prints the credentials")
    func table() async throws {
        let dir = try temporaryDirectory()
        try await LoopbackHTTPServer.withRunning(respond: { request, _ in
            if request.uri == "/oauth/token" { return .init(body: #"{"access_token":"acc-xyz","expires_in":900}"#) }
            return .init(body: #"{"data":{"items":[{"symbol":"SPY","implied-volatility-index":"0.1523","implied-volatility-index-rank":"0.42","implied-volatility-percentile":"0.61","historical-volatility-30-day":"12.5","liquidity-rating":5,"earnings":{"expected-report-date":"2026-01-15","time-of-day":"BMO"}}]}}"#)
        }) { server in
            let out = try await SluiceProcess.run(["metrics", "SPY", "NOPE", "--base-url", server.url], in: dir,
                                                  environment: ["TASTYTRADE_CLIENT_SECRET": "sec-123", "TASTYTRADE_REFRESH_TOKEN": "ref-456"])
            #expect(out.status == 0)
            let lines = out.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("SYMBOL") == true)
            #expect(lines.contains { $0.hasPrefix("SPY") && $0.contains("15.2") && $0.contains("42.0") && $0.contains("61.0") && $0.contains("12.50") && $0.contains("2026-01-15 BMO") })
            #expect(lines.contains { $0.hasPrefix("NOPE") && $0.contains("no metrics") })
            #expect(!(out.stdout + out.stderr).contains("sec-123") && !(out.stdout + out.stderr).contains("ref-456"))
        }
    }

    @Test("without credentials it says which variables to set and exits 2")
    func missingCredentials() async throws {
        let out = try await SluiceProcess.run(["metrics", "SPY"], in: try temporaryDirectory(),
                                              environment: ["TASTYTRADE_CLIENT_SECRET": "", "TASTYTRADE_REFRESH_TOKEN": ""])
        #expect(out.status == 2)
        #expect(out.stderr.contains("TASTYTRADE_CLIENT_SECRET"))
    }
}
