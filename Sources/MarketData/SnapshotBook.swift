/// The latest event of every wanted (symbol, event type) pair, and which pairs have none yet: what a
/// snapshot waits on ("get the latest quote and Greeks for these 100 symbols and exit").
///
/// ```swift
/// var book = SnapshotBook(symbols: ["SPY", "AAPL"], types: [.quote, .greeks])
/// book.record(event)
/// if book.isComplete { … }
/// ```
public struct SnapshotBook: Sendable {
    /// The symbols, in the order given (each once).
    public let symbols: [String]
    /// The event types wanted for every symbol.
    public let types: [MarketEventType]
    private var latest: [SymbolWatch.Subscription: MarketEvent] = [:]
    private let wanted: Set<SymbolWatch.Subscription>

    /// A book waiting for every symbol × every type.
    public init(symbols: [String], types: [MarketEventType]) {
        self.init(pairs: symbols.flatMap { s in types.map { SymbolWatch.Subscription(symbol: s, type: $0) } })
    }

    /// A book waiting for exactly these pairs (a source's subscriptions: candles and quotes need not
    /// share symbols).
    public init(pairs: [SymbolWatch.Subscription]) {
        var seenSymbols = Set<String>(), seenTypes = Set<MarketEventType>()
        symbols = pairs.map(\.symbol).filter { seenSymbols.insert($0).inserted }
        types = pairs.map(\.type).filter { seenTypes.insert($0).inserted }
        wanted = Set(pairs)
    }

    /// Keeps `event` as the latest of its pair, if the pair is wanted (others are ignored: memory stays
    /// fixed by the pairs).
    public mutating func record(_ event: MarketEvent) {
        guard let type = event.type, let symbol = event.symbol else { return }
        let key = SymbolWatch.Subscription(symbol: symbol, type: type)
        guard wanted.contains(key) else { return }
        latest[key] = event
    }

    /// Whether every pair has an event.
    public var isComplete: Bool { latest.count == wanted.count }

    /// Pairs with an event.
    public var filled: Int { latest.count }

    /// Pairs wanted.
    public var pairs: Int { wanted.count }

    /// The latest event of `symbol` and `type`.
    public func latest(_ symbol: String, _ type: MarketEventType) -> MarketEvent? {
        latest[SymbolWatch.Subscription(symbol: symbol, type: type)]
    }

    /// Symbols with an event of every type wanted for them.
    public var completeSymbols: [String] {
        symbols.filter { s in types.allSatisfy { t in let k = SymbolWatch.Subscription(symbol: s, type: t); return !wanted.contains(k) || latest[k] != nil } }
    }

    /// The wanted pairs with no event, in symbol then type order.
    public var missing: [SymbolWatch.Subscription] {
        symbols.flatMap { s in
            types.map { SymbolWatch.Subscription(symbol: s, type: $0) }.filter { wanted.contains($0) && latest[$0] == nil }
        }
    }
}
