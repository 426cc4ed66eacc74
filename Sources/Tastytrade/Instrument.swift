public import SluiceCore

/// A tradeable instrument as tastytrade's instrument routes describe it: its tastytrade symbol, its type
/// and the streamer symbol DXLink wants.
public struct Instrument: Sendable, Hashable {
    /// The tastytrade symbol (`AAPL`, `BRK/B`, `/ESZ6`, `SPXW  261218C05700000`).
    public var symbol: String
    /// `Equity`, `Equity Option`, `Future`, `Future Option`, `Cryptocurrency`.
    public var instrumentType: String
    /// The streamer symbol (`AAPL`, `/ESZ26:XCME`, `.SPXW261218C5700`).
    public var streamerSymbol: String
    /// The description, when tastytrade gives one.
    public var description: String?

    /// Creates an instrument.
    public init(symbol: String, instrumentType: String, streamerSymbol: String, description: String? = nil) {
        self.symbol = symbol
        self.instrumentType = instrumentType
        self.streamerSymbol = streamerSymbol
        self.description = description
    }
}

/// One match of `GET /symbols/search/{text}`: a tastytrade symbol (not a streamer symbol) and its name.
public struct SymbolMatch: Sendable, Hashable {
    /// The tastytrade symbol.
    public var symbol: String
    /// The company or fund name.
    public var description: String
    /// The instrument type, when given.
    public var instrumentType: String?
    /// Whether it has listed options, when given.
    public var hasOptions: Bool?

    /// Creates a match.
    public init(symbol: String, description: String, instrumentType: String? = nil, hasOptions: Bool? = nil) {
        self.symbol = symbol
        self.description = description
        self.instrumentType = instrumentType
        self.hasOptions = hasOptions
    }
}

/// One item of `GET /market-data/by-type`: a REST quote (no Greeks, no IV).
public struct QuoteSnapshot: Sendable, Hashable {
    /// The tastytrade symbol, as requested.
    public var symbol: String
    /// The instrument type.
    public var instrumentType: String?
    /// Bid, ask, mid, mark and last, as tastytrade sends them.
    public var bid: Double?, ask: Double?, mid: Double?, mark: Double?, last: Double?
    /// When tastytrade updated it.
    public var updatedAt: Timestamp?

    /// Creates a snapshot.
    public init(symbol: String, instrumentType: String? = nil, bid: Double? = nil, ask: Double? = nil, mid: Double? = nil, mark: Double? = nil, last: Double? = nil, updatedAt: Timestamp? = nil) {
        self.symbol = symbol
        self.instrumentType = instrumentType
        self.bid = bid
        self.ask = ask
        self.mid = mid
        self.mark = mark
        self.last = last
        self.updatedAt = updatedAt
    }

    /// The best single price: the mark, else the mid, else the last trade.
    public var price: Double? { [mark, mid, last].lazy.compactMap { $0 }.first { $0 > 0 } }
}
