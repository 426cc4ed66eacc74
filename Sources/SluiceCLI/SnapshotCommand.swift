import ArgumentParser
import BuiltinStages
import DXLink
import DXLinkSimulator
import Foundation
import Logging
import MarketData
import SluiceCore

/// `sluice snapshot`: the latest events of some symbols, then exit.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Print the latest Quote, Greeks, … of some symbols, then exit.",
        discussion: """
            Opens one DXLink connection, subscribes every symbol × event type, and waits until each pair has
            an event or --timeout passes. Prints one row per symbol, then says on standard error how complete
            it is and names every missing pair. Symbols are streamer symbols (SPY, /ESZ26:XCME,
            .SPXW261218C5700).

            The feed: --simulate (the built-in simulator, offline), --url and --token (or $DXLINK_TOKEN), or
            tastytrade credentials in $TASTYTRADE_CLIENT_SECRET and $TASTYTRADE_REFRESH_TOKEN (and optionally
            $TASTYTRADE_BASE_URL).

            Exit status: 0 complete, 3 incomplete, 1 the feed failed or never subscribed, 2 bad input.
            """
    )

    /// The output formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    @Argument(help: "Streamer symbols.") var symbols: [String]
    @Option(help: "Event types, comma-separated (Quote, Trade, Greeks, Summary, Profile, TheoPrice, TimeAndSale, Underlying, TradeETH).")
    var events = "Quote"
    @Option(help: "Give up waiting after this long (e.g. 10s, 500ms).") var timeout = "10s"
    @Option(help: "table, json or csv.") var format: Format = .table
    @Flag(help: "Use the built-in simulator (offline).") var simulate = false
    @Option(help: "DXLink WebSocket URL.") var url: String?
    @Option(help: "API quote token for --url (default: $DXLINK_TOKEN).") var token: String?

    /// Exit status of a snapshot that is not complete.
    static let incomplete: Int32 = 3

    var eventTypes: [MarketEventType] {
        events.split(separator: ",").compactMap { MarketEventType(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
    }

    func validate() throws {
        let names = events.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let allowed = MarketEventType.allCases.filter { $0 != .candle }.map(\.rawValue)
        for name in names where !allowed.contains(name) {
            throw ValidationError("--events: unknown event type \"\(name)\"; expected some of \(allowed.joined(separator: ", "))")
        }
        guard !names.isEmpty else { throw ValidationError("--events: give at least one event type") }
        guard let t = DurationText.parse(timeout), t > .zero else { throw ValidationError("--timeout: expected \(DurationText.expected) above zero, got \"\(timeout)\"") }
        for s in symbols where s.isEmpty || s.unicodeScalars.contains(where: { $0.value <= 0x20 }) {
            throw ValidationError("\"\(s)\" is not a streamer symbol")
        }
        if simulate && url != nil { throw ValidationError("give --simulate or --url, not both") }
        if let url, !(url.hasPrefix("ws://") || url.hasPrefix("wss://")) { throw ValidationError("--url: expected a ws:// or wss:// URL") }
    }

    func feed() throws -> DXLinkSnapshot.Feed {
        let env = ProcessInfo.processInfo.environment
        if simulate {
            var c = SimulatorConfiguration()
            c.rate = 50_000
            return .simulate(c)
        }
        if let url {
            guard let token = token ?? env["DXLINK_TOKEN"], !token.isEmpty else {
                throw ValidationError("--url needs --token or $DXLINK_TOKEN")
            }
            return .endpoint(DXLinkEndpoint(url: url, token: token))
        }
        if let secret = env["TASTYTRADE_CLIENT_SECRET"], !secret.isEmpty, let refresh = env["TASTYTRADE_REFRESH_TOKEN"], !refresh.isEmpty {
            return .tastytrade(baseURL: env["TASTYTRADE_BASE_URL"] ?? "https://api.tastyworks.com", clientSecret: secret, refreshToken: refresh)
        }
        throw ValidationError("no feed: give --simulate, --url and --token, or set TASTYTRADE_CLIENT_SECRET and TASTYTRADE_REFRESH_TOKEN")
    }

    func run() async throws {
        let source: DXLinkSnapshot.Feed
        do {
            source = try feed()
        } catch let error as ValidationError {
            printError("error: \(error.message)")
            throw ExitCode(ExitStatus.invalidInput)
        }
        var logger = Logger(label: "sluice.snapshot")
        logger.logLevel = .error
        let result: DXLinkSnapshot.Result
        do {
            result = try await DXLinkSnapshot.take(symbols: symbols, types: eventTypes, from: source, timeout: DurationText.parse(timeout)!, logger: logger)
        } catch {
            printError("error: \(error)")
            throw ExitCode(ExitStatus.runtimeFailure)
        }
        let book = result.book
        let text: String
        switch format {
        case .table: text = SnapshotOutput.table(book)
        case .csv: text = SnapshotOutput.csv(book)
        case .json: text = SnapshotOutput.json(result, reason: Self.reason(result))
        }
        print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        printError(Self.summary(result))
        if !result.subscribed { throw ExitCode(ExitStatus.runtimeFailure) }
        if !book.isComplete { throw ExitCode(Self.incomplete) }
    }

    /// Why the missing pairs are missing.
    static func reason(_ result: DXLinkSnapshot.Result) -> String {
        if result.subscribed { return "no data before the timeout" }
        let last = result.lastStatus.map { "last: \($0.state.rawValue)" + ($0.reason.map { ", \($0)" } ?? "") } ?? "no connection"
        return "the feed was never subscribed (\(last))"
    }

    /// `98 of 100 symbols complete (Quote, Greeks) in 1.2s`, then one line per missing pair.
    static func summary(_ result: DXLinkSnapshot.Result) -> String {
        let book = result.book
        var lines = ["\(book.completeSymbols.count) of \(book.symbols.count) symbols complete (\(book.types.map(\.rawValue).joined(separator: ", "))) in \(DurationText.format(result.elapsed))"]
        let missing = book.missing
        if !missing.isEmpty {
            let reason = reason(result)
            lines += missing.prefix(50).map { "missing: \($0.symbol) \($0.type.rawValue): \(reason)" }
            if missing.count > 50 { lines.append("… and \(missing.count - 50) more missing pairs") }
        }
        return lines.joined(separator: "\n")
    }
}
