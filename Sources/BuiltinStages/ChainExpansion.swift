public import MarketData
public import SluiceCore
public import Tastytrade

/// An option chain's window expanded once, exactly as a `dxlink` source's `option_chains` entry would
/// subscribe it now: for `sluice chain`.
public struct ChainExpansion: Sendable {
    /// One contract of the window.
    public struct Row: Sendable, Hashable {
        /// The option root (`SPXW`).
        public var root: String
        /// The expiration date.
        public var expiration: CalendarDate
        /// Calendar days to expiration.
        public var daysToExpiration: Int64
        /// The strike price.
        public var strike: Double
        /// Call or put.
        public var kind: OptionSymbol.Kind
        /// What to subscribe.
        public var streamerSymbol: String
        /// The centre (at-the-money) strike of its expiration.
        public var atTheMoney: Bool
    }

    /// The contracts, by expiration then strike.
    public var rows: [Row]
    /// The underlying prices centred on, by streamer symbol.
    public var prices: [String: Double]
    /// Underlyings with no price (their expirations are left out).
    public var unpriced: [String]

    /// Fetches the chain of `underlying` and its price (REST quotes; `prices` wins), and expands the
    /// window at `now`.
    public static func expand(client: TastytradeClient, underlying: String, roots: [String]?, dte: ClosedRange<Int64>, strikesAroundATM: Int,
                              kinds: [OptionSymbol.Kind], now: Timestamp, prices given: [String: Double] = [:]) async throws -> ChainExpansion {
        let chains = underlying.hasPrefix("/") ? try await client.futuresOptionChains(product: underlying) : try await client.optionChains(underlying: underlying)
        if let roots {
            let missing = Set(roots).subtracting(chains.map(\.root))
            guard missing.isEmpty else {
                throw StageError(.unknownSymbol, "\(underlying) has no root \(missing.sorted().joined(separator: ", ")); its roots are \(Set(chains.map(\.root)).sorted().joined(separator: ", "))")
            }
        }
        let window = ChainWindow(roots: roots.map(Set.init), minDTE: dte.lowerBound, maxDTE: dte.upperBound, strikesAroundATM: strikesAroundATM,
                                 kinds: kinds, events: ["Quote"], recenterStrikes: 1)
        var prices = given
        let underlyings = Set(window.expirations(chains, now: now, expiry: ChainFollower.expiry).map(\.expiration.underlyingStreamerSymbol))
        let missing = underlyings.filter { prices[$0] == nil && !$0.hasPrefix("/") }
        if !missing.isEmpty {
            let indices = missing.filter(ChainFollower.indices.contains)
            for quote in try await client.quotes([("index", indices.sorted()), ("equity", missing.subtracting(indices).sorted())]) {
                if let p = quote.price { prices[quote.symbol] = p }
            }
        }
        let selection = window.select(chains, now: now, prices: prices, expiry: ChainFollower.expiry)
        let today = CalendarDate(now)
        var rows: [Row] = []
        for slice in selection.slices {
            guard let e = chains.first(where: { $0.root == slice.root })?.expirations.first(where: { $0.date == slice.date }) else { continue }
            let lo = max(0, slice.centre - strikesAroundATM), hi = min(e.strikes.count - 1, slice.centre + strikesAroundATM)
            for i in lo...hi {
                for kind in kinds {
                    guard let symbol = e.strikes[i].streamerSymbol(kind) else { continue }
                    rows.append(Row(root: slice.root, expiration: e.date, daysToExpiration: today.days(to: e.date), strike: e.strikes[i].price,
                                    kind: kind, streamerSymbol: symbol, atTheMoney: i == slice.centre))
                }
            }
        }
        return ChainExpansion(rows: rows, prices: prices.filter { underlyings.contains($0.key) }, unpriced: selection.unpriced.sorted())
    }
}
