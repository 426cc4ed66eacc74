import ArgumentParser
import Foundation
import Logging
import SluiceCore
import Tastytrade

struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print tastytrade market metrics (IV rank, IV percentile, HV, liquidity …) for symbols.",
        discussion: """
            A quick check for users with an account. Credentials come from the environment:
            TASTYTRADE_CLIENT_SECRET and TASTYTRADE_REFRESH_TOKEN (OAuth), and optionally
            TASTYTRADE_BASE_URL. IV index, rank and percentile are shown as percentages.
            """
    )

    @Argument(help: "Symbols, e.g. SPY AAPL /ES.") var symbols: [String]
    @Option(help: "API base URL (default: $TASTYTRADE_BASE_URL or production).") var baseURL: String?
    @Flag(help: "Use the sandbox (api.cert.tastyworks.com).") var sandbox = false

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let secret = env["TASTYTRADE_CLIENT_SECRET"], !secret.isEmpty, let refresh = env["TASTYTRADE_REFRESH_TOKEN"], !refresh.isEmpty else {
            printError("error: set TASTYTRADE_CLIENT_SECRET and TASTYTRADE_REFRESH_TOKEN (your OAuth client secret and refresh token)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        let base = baseURL ?? (sandbox ? TastytradeConfiguration.sandbox : env["TASTYTRADE_BASE_URL"] ?? TastytradeConfiguration.production)
        var logger = Logger(label: "sluice.metrics")
        logger.logLevel = .warning
        let client = TastytradeClient(
            configuration: TastytradeConfiguration(baseURL: base, credentials: TastytradeCredentials(clientSecret: secret, refreshToken: refresh)),
            logger: logger)
        let response: MarketMetricsResponse
        do {
            response = try await client.marketMetrics(symbols)
        } catch {
            printError("error: \(error)")
            throw ExitCode(ExitStatus.runtimeFailure)
        }
        print(Self.table(symbols: symbols, response: response))
    }

    static func table(symbols: [String], response: MarketMetricsResponse) -> String {
        let header = ["SYMBOL", "IVX %", "IV RANK %", "IV PCTL %", "IV30 %", "HV30 %", "HV90 %", "LIQ", "BETA", "EARNINGS"]
        var rows: [[String]] = []
        for symbol in symbols {
            guard let m = response.metrics[symbol] else {
                rows.append([symbol, "no metrics", "", "", "", "", "", "", "", ""])
                continue
            }
            rows.append([
                symbol, pct(m.impliedVolatilityIndex), pct(m.impliedVolatilityIndexRank), pct(m.impliedVolatilityPercentile),
                num(m.impliedVolatility30Day), num(m.historicalVolatility30Day), num(m.historicalVolatility90Day),
                m.liquidityRating.map(String.init) ?? "-", num(m.beta),
                m.earnings?.expectedReportDate.map { $0 + (m.earnings?.timeOfDay.map { " \($0)" } ?? "") } ?? "-",
            ])
        }
        return TextTable.render(header: header, rows: rows)
    }

    static func pct(_ v: Double?) -> String { v.map { String(format: "%.1f", $0 * 100) } ?? "-" }
    static func num(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "-" }
}
