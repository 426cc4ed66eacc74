public import MarketData
public import SluiceCore
public import Tastytrade

/// Turns what people type — `SPY`, `BRK/B`, `/ES`, `/ESZ6`, `SPXW  261218C05700000`, `./ESZ6 EW4Z6
/// 261225C6000`, `.SPXW261218C5700` — into the streamer symbols DXLink wants, through tastytrade's
/// instrument routes (`dxlink-protocol.md` §2.6.9): OCC and streamer option symbols locally, products to
/// their active month, everything else by lookup.
public struct SymbolResolver: Sendable {
    /// One input and what it resolved to.
    public struct Resolution: Sendable, Hashable {
        /// The input as given.
        public var input: String
        /// `Equity`, `Equity Option`, `Future`, `Future Option`, …; `nil` when unknown.
        public var instrumentType: String?
        /// The streamer symbol; `nil` when unknown.
        public var streamerSymbol: String?
        /// How it was resolved, or why not.
        public var note: String
    }

    let client: TastytradeClient
    let today: CalendarDate

    /// A resolver using `client`; futures products resolve to their active month on `today`.
    public init(client: TastytradeClient, today: CalendarDate) {
        self.client = client
        self.today = today
    }

    /// Resolves each input, in order (unknown ones with `nil` and a note).
    public func resolve(_ inputs: [String]) async throws -> [Resolution] {
        var out: [Resolution] = []
        for input in inputs {
            let symbol = input.trimmingCharacters(in: .whitespaces)
            if let option = OptionSymbol(occ: input) {
                out.append(Resolution(input: input, instrumentType: "Equity Option", streamerSymbol: option.streamerSymbol, note: "OCC symbol, converted locally"))
            } else if OptionSymbol(streamer: symbol) != nil {
                out.append(Resolution(input: input, instrumentType: "Equity Option", streamerSymbol: symbol, note: "already a streamer symbol"))
            } else if symbol.hasPrefix("./") {
                let found = try await client.futureOptions([symbol]).first
                out.append(Resolution(input: input, instrumentType: found?.instrumentType, streamerSymbol: found?.streamerSymbol, note: found == nil ? "unknown future option" : "/instruments/future-options"))
            } else if symbol.hasPrefix("/"), symbol.contains(":") {
                out.append(Resolution(input: input, instrumentType: "Future", streamerSymbol: symbol, note: "already a streamer symbol"))
            } else if symbol.hasPrefix("/"), symbol.dropFirst().allSatisfy({ $0.isLetter }) {
                let contracts = try await client.futures(product: symbol)
                let active = FutureContract.pick(.active, from: contracts, today: today)
                out.append(Resolution(input: input, instrumentType: active == nil ? nil : "Future", streamerSymbol: active?.streamerSymbol,
                                      note: active.map { "product: the active month, \($0.symbol)" } ?? "unknown futures product"))
            } else if symbol.hasPrefix("/") {
                let found = try await client.futureContracts([symbol]).first
                out.append(Resolution(input: input, instrumentType: found?.instrumentType, streamerSymbol: found?.streamerSymbol, note: found == nil ? "unknown futures contract" : "/instruments/futures"))
            } else {
                let found = try await client.equities([symbol]).first
                out.append(Resolution(input: input, instrumentType: found?.instrumentType, streamerSymbol: found?.streamerSymbol, note: found == nil ? "unknown symbol" : "/instruments/equities"))
            }
        }
        return out
    }
}
