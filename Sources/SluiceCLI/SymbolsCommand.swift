import ArgumentParser
import BuiltinStages
import Foundation
import SluiceCore
import Tastytrade

/// `sluice symbols search|resolve`: find symbols and their streamer symbols, for writing pipeline files.
struct SymbolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "symbols",
        abstract: "Search tastytrade's symbols, and resolve symbols to the streamer symbols DXLink wants.",
        subcommands: [Search.self, Resolve.self]
    )

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Symbols whose ticker or company name starts with TEXT.")

        @Argument(help: "A ticker or name prefix, e.g. APP or apple.") var text: String
        @OptionGroup var access: TastytradeAccess

        func run() async throws {
            let text = self.text
            let matches = try await reportingFailures { try await access.withClient { try await $0.searchSymbols(text) } }
            if matches.isEmpty {
                printError("no symbol matches \"\(text)\"")
                throw ExitCode(3)
            }
            print(TextTable.render(header: ["symbol", "description", "options"],
                                   rows: matches.map { [$0.symbol, $0.description, $0.hasOptions.map { $0 ? "yes" : "no" } ?? "?"] }))
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The instrument type and streamer symbol of each symbol.",
            discussion: """
                Takes equities and indices (SPY, BRK/B, SPX), OCC option symbols ("SPY   261218C00590000"),
                futures products (/ES: its active month) and contracts (/ESZ6), and futures options. Exit
                status 3 when some symbol is unknown.
                """
        )

        @Argument(help: "Symbols as tastytrade writes them.") var symbols: [String]
        @OptionGroup var access: TastytradeAccess

        func run() async throws {
            let symbols = self.symbols
            let resolved = try await reportingFailures {
                try await access.withClient { client in try await SymbolResolver(client: client, today: CalendarDate(.now)).resolve(symbols) }
            }
            print(TextTable.render(header: ["symbol", "type", "streamer symbol", "how"],
                                   rows: resolved.map { [$0.input, $0.instrumentType ?? "-", $0.streamerSymbol ?? "-", $0.note] }))
            let unknown = resolved.filter { $0.streamerSymbol == nil }
            if !unknown.isEmpty {
                printError("\(unknown.count) of \(resolved.count) symbols unknown: \(unknown.map(\.input).joined(separator: ", "))")
                throw ExitCode(3)
            }
        }
    }
}
