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

    /// Resolves each input, in order (unknown ones with `nil` and a note): one instrument request per kind
    /// of symbol (equities, futures contracts, futures options) and one per futures product, however many
    /// symbols are given.
    public func resolve(_ inputs: [String]) async throws -> [Resolution] {
        enum Kind { case local(Resolution), equity(String), contract(String), futureOption(String), product(String) }
        let kinds: [Kind] = inputs.map { input in
            let symbol = input.trimmingCharacters(in: .whitespaces)
            if let option = OptionSymbol(occ: input) {
                return .local(Resolution(input: input, instrumentType: "Equity Option", streamerSymbol: option.streamerSymbol, note: "OCC symbol, converted locally"))
            }
            if OptionSymbol(streamer: symbol) != nil {
                return .local(Resolution(input: input, instrumentType: "Equity Option", streamerSymbol: symbol, note: "already a streamer symbol"))
            }
            if symbol.hasPrefix("./") { return .futureOption(symbol) }
            if symbol.hasPrefix("/"), symbol.contains(":") {
                return .local(Resolution(input: input, instrumentType: "Future", streamerSymbol: symbol, note: "already a streamer symbol"))
            }
            if symbol.hasPrefix("/") { return symbol.dropFirst().allSatisfy(\.isLetter) ? .product(symbol) : .contract(symbol) }
            return .equity(symbol)
        }
        func symbols(_ pick: (Kind) -> String?) -> [String] { Array(Set(kinds.compactMap(pick))).sorted() }
        func byKey(_ found: [Instrument], _ key: (String) -> String = { $0 }) -> [String: Instrument] {
            Dictionary(found.map { (key($0.symbol), $0) }, uniquingKeysWith: { a, _ in a })
        }
        let equities = byKey(try await lookUp(symbols { if case .equity(let s) = $0 { s } else { nil } }, client.equities))
        // A contract may be asked for with or without its slash; tastytrade answers with it.
        let contracts = byKey(try await lookUp(symbols { if case .contract(let s) = $0 { s } else { nil } }, client.futureContracts))
        let futureOptions = byKey(try await lookUp(symbols { if case .futureOption(let s) = $0 { s } else { nil } }, client.futureOptions))
        var active: [String: FutureContract] = [:]
        for product in symbols({ if case .product(let s) = $0 { s } else { nil } }) {
            active[product] = FutureContract.pick(.active, from: try await client.futures(product: product), today: today)
        }
        return zip(inputs, kinds).map { input, kind in
            func found(_ instrument: Instrument?, _ how: String, unknown: String) -> Resolution {
                Resolution(input: input, instrumentType: instrument?.instrumentType, streamerSymbol: instrument?.streamerSymbol, note: instrument == nil ? unknown : how)
            }
            switch kind {
            case .local(let r): return r
            case .equity(let s): return found(equities[s], "/instruments/equities", unknown: "unknown symbol")
            case .contract(let s): return found(contracts[s], "/instruments/futures", unknown: "unknown futures contract")
            case .futureOption(let s): return found(futureOptions[s], "/instruments/future-options", unknown: "unknown future option")
            case .product(let s):
                let pick = active[s]
                return Resolution(input: input, instrumentType: pick == nil ? nil : "Future", streamerSymbol: pick?.streamerSymbol,
                                  note: pick.map { "product: the active month, \($0.symbol)" } ?? "unknown futures product")
            }
        }
    }

    private func lookUp(_ symbols: [String], _ request: ([String]) async throws -> [Instrument]) async throws -> [Instrument] {
        symbols.isEmpty ? [] : try await request(symbols)
    }
}
