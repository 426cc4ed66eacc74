import ArgumentParser
import DXLink
import DXLinkSimulator
import Foundation
import UnixSignals

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run an offline tastytrade: a DXLink WebSocket server and the REST API, with deterministic synthetic data.",
        discussion: """
            Serves every event type (Quote, Trade, TradeETH, Greeks, Summary, Profile, TheoPrice, TimeAndSale,
            Underlying, Candle with history from fromTime) on ws://HOST:PORT, with token auth, keepalive
            enforcement and faults on demand. Point a dxlink stage at it with "url" and "token". The same port
            answers tastytrade's REST calls on http://HOST:PORT (OAuth, quote tokens, market metrics, option
            chains, futures, symbol search, quotes), so "tastytrade": {"base_url": "http://HOST:PORT", …} with
            any client secret and refresh token works too, option chains and futures included. Stops on
            SIGINT/SIGTERM and prints what it sent.
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port; the URL is printed).") var port = 0
    @Option(help: "Token clients must send in AUTH (default: none required).") var token: String?
    @Option(help: "Seed of the random walks.") var seed: UInt64 = 42
    @Option(help: "Live events per second per connection.") var rate: Double = 1000
    @Flag(help: "Send as fast as the client reads (ignores --rate).") var flood = false
    @Option(help: "Most events per FEED_DATA frame.") var eventsPerFrame = 100
    @Option(help: "Stop sending live data after this many events.") var maxEvents: Int?
    @Option(help: "Close connections silent for this many seconds.") var keepaliveTimeout: Int = 60
    @Option(help: "Fault: drop the connection after every N data frames.") var dropEvery: Int?
    @Option(help: "Fault: send a malformed frame after every N data frames.") var malformedEvery: Int?
    @Option(help: "Fault: send an ERROR message after every N data frames.") var errorEvery: Int?
    @Option(help: "Fault: send an unknown message type after every N data frames.") var unknownEvery: Int?
    @Option(help: "Fault: fall silent after N data frames.") var silentAfter: Int?
    @Option(help: "Fault: send ERROR UNAUTHORIZED (a withdrawn authorization) after N data frames.") var unauthorizedAfter: Int?
    @Option(help: "Fault: drop the connection once N candles of a history snapshot were sent.") var dropInHistoryAfter: Int?
    @Flag(help: "Fault: refuse every token in AUTH.") var refuseTokens = false
    @Option(name: .customLong("unserved"), help: "Accept subscriptions for this symbol and never serve it, as for a wrong streamer symbol (repeatable).") var unserved: [String] = []
    @Option(help: "Faults only on the first N connections (default: all).") var faultyConnections: Int?

    func validate() throws {
        guard rate > 0 else { throw ValidationError("--rate must be positive") }
        guard eventsPerFrame > 0 else { throw ValidationError("--events-per-frame must be positive") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() async throws {
        var c = SimulatorConfiguration()
        c.host = host
        c.port = port
        c.token = token
        c.seed = seed
        c.rate = flood ? nil : rate
        c.eventsPerFrame = eventsPerFrame
        c.maxEvents = maxEvents
        c.keepaliveTimeout = .seconds(keepaliveTimeout)
        c.faults.dropEvery = dropEvery
        c.faults.malformedEvery = malformedEvery
        c.faults.errorEvery = errorEvery
        c.faults.unknownEvery = unknownEvery
        c.faults.silentAfter = silentAfter
        c.faults.unauthorizedAfter = unauthorizedAfter
        c.faults.dropInHistoryAfter = dropInHistoryAfter
        for symbol in unserved { c.faults.symbolEventLimits[symbol] = 0 }
        c.faults.refuseAllTokens = refuseTokens
        c.faults.connections = faultyConnections
        let configuration = c
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let statistics: SimulatorStatistics
        do {
            statistics = try await DXLinkSimulator.withRunning(configuration) { simulator in
                let line = "DXLink simulator listening on \(simulator.url)" + (configuration.token == nil ? "" : " (token required)")
                    + " and tastytrade REST on \(simulator.restURL)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
                for await _ in signals { break }
                return simulator.statistics
            }
        } catch {
            printError("error: cannot start the simulator on \(host):\(port): \(error)")
            throw ExitCode(ExitStatus.runtimeFailure)
        }
        print("simulator stopped: \(statistics.connections) connections, \(statistics.dataFrames) data frames, \(statistics.totalEvents) events")
    }
}
