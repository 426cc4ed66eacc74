import ArgumentParser
import BuiltinStages
import Foundation
import MarketData
import SluiceCore
import Tastytrade

/// `sluice chain SPX --dte 0-7 --strikes 10`: an option chain's window as a source would subscribe it.
struct ChainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chain",
        abstract: "Print an option chain's window — roots, DTE range, strikes around the money — as a dxlink source's option_chains entry would subscribe it now.",
        discussion: """
            The at-the-money strike is the listed strike nearest the underlying's REST quote (a futures
            product's chain, /ES, has none: give --price). Marked with * in the table.
            """
    )

    @Argument(help: "The underlying (SPX, AAPL, BRK/B) or a futures product (/ES).") var underlying: String
    @Option(help: "Days to expiration, MIN-MAX or one number.") var dte = "0-7"
    @Option(help: "Strikes each side of the at-the-money one.") var strikes = 10
    @Option(help: "Option roots, comma-separated (default: all).") var roots: String?
    @Option(help: "call, put, or call,put.") var types = "call,put"
    @Option(help: "Centre on this underlying price instead of the REST quote.") var price: Double?
    @OptionGroup var access: TastytradeAccess

    var dteRange: ClosedRange<Int64>? {
        let parts = dte.split(separator: "-", omittingEmptySubsequences: false).map { Int64($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.allSatisfy({ $0 != nil }), let lo = parts.first ?? nil, let hi = parts.last ?? nil, parts.count <= 2, lo >= 0, lo <= hi, hi <= 3660 else { return nil }
        return lo...hi
    }

    var kinds: [OptionSymbol.Kind] {
        types.split(separator: ",").compactMap { $0 == "call" ? .call : $0 == "put" ? .put : nil }
    }

    func validate() throws {
        guard dteRange != nil else { throw ValidationError("--dte: expected MIN-MAX or one number of days from 0 to 3660, got \"\(dte)\"") }
        guard (0...500).contains(strikes) else { throw ValidationError("--strikes: expected 0 to 500") }
        guard !kinds.isEmpty, types.split(separator: ",").count == kinds.count else { throw ValidationError("--types: expected call, put or call,put") }
        if let price, !(price > 0 && price.isFinite) { throw ValidationError("--price: expected a positive price") }
    }

    func run() async throws {
        let (underlying, range, strikes, kinds) = (self.underlying, dteRange!, self.strikes, self.kinds)
        let roots = self.roots.map { $0.split(separator: ",").map(String.init) }
        let given: [String: Double]? = price.map { p in [underlying: p] }
        let expansion = try await reportingFailures {
            try await access.withClient { client in
                var prices = given ?? [:]
                if let p = given?[underlying], underlying.hasPrefix("/") {
                    // A futures chain's expirations deliver different contracts: price each one at --price.
                    for chain in try await client.futuresOptionChains(product: underlying) {
                        for e in chain.expirations { prices[e.underlyingStreamerSymbol] = p }
                    }
                }
                return try await ChainExpansion.expand(client: client, underlying: underlying, roots: roots, dte: range, strikesAroundATM: strikes,
                                                       kinds: kinds, now: .now, prices: prices)
            }
        }
        print(TextTable.render(header: ["root", "expiration", "dte", "strike", "type", "streamer symbol"], rows: expansion.rows.map { r in
            [r.root, r.expiration.description, String(r.daysToExpiration), (r.atTheMoney ? "*" : "") + String(r.strike), r.kind == .call ? "call" : "put", r.streamerSymbol]
        }))
        let priced = expansion.prices.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        printError("\(expansion.rows.count) contracts in \(Set(expansion.rows.map { "\($0.root) \($0.expiration)" }).count) expirations" + (priced.isEmpty ? "" : ", centred on \(priced)"))
        if !expansion.unpriced.isEmpty {
            printError("left out, no price for: \(expansion.unpriced.joined(separator: ", ")) (give --price)")
        }
        if expansion.rows.isEmpty { throw ExitCode(3) }
    }
}
