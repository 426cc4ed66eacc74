import ArgumentParser
import DXLinkSimulator
import Foundation
import Logging
import SluiceCore
import Tastytrade

/// Where the symbol tools get tastytrade's REST API: the offline simulator (`--simulate`), or an account
/// whose credentials are in `$TASTYTRADE_CLIENT_SECRET` and `$TASTYTRADE_REFRESH_TOKEN` (base URL from
/// `--base-url`, `$TASTYTRADE_BASE_URL`, or production).
struct TastytradeAccess: ParsableArguments {
    @Flag(help: "Use the built-in simulated tastytrade (offline).") var simulate = false
    @Option(help: "The API's base URL (default: $TASTYTRADE_BASE_URL or production).") var baseURL: String?

    /// Runs `body` with a client, starting the simulator first with `--simulate`.
    func withClient<T: Sendable>(_ body: @Sendable (TastytradeClient) async throws -> T) async throws -> T {
        let logger = {
            var l = Logger(label: "sluice.tastytrade")
            l.logLevel = .error
            return l
        }()
        if simulate {
            return try await DXLinkSimulator.withRunning(SimulatorConfiguration()) { sim in
                var c = TastytradeConfiguration(baseURL: sim.restURL, credentials: TastytradeCredentials(clientSecret: "simulated", refreshToken: "simulated"))
                c.rateLimit = 100
                return try await body(TastytradeClient(configuration: c, logger: logger))
            }
        }
        let env = ProcessInfo.processInfo.environment
        guard let secret = env["TASTYTRADE_CLIENT_SECRET"], !secret.isEmpty, let refresh = env["TASTYTRADE_REFRESH_TOKEN"], !refresh.isEmpty else {
            printError("error: no tastytrade account: give --simulate, or set TASTYTRADE_CLIENT_SECRET and TASTYTRADE_REFRESH_TOKEN")
            throw ExitCode(ExitStatus.invalidInput)
        }
        let url = baseURL ?? env["TASTYTRADE_BASE_URL"] ?? TastytradeConfiguration.production
        return try await body(TastytradeClient(configuration: TastytradeConfiguration(baseURL: url, credentials: TastytradeCredentials(clientSecret: secret, refreshToken: refresh)), logger: logger))
    }
}

/// Runs a REST tool's work: a tastytrade failure is one line on standard error and exit status 1.
func reportingFailures<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        printError("error: \(error)")
        throw ExitCode(ExitStatus.runtimeFailure)
    }
}
