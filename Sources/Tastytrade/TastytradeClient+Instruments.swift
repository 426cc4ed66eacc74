public import MarketData
public import SluiceCore

extension TastytradeClient {
    /// The nested option chain of an equity or index: one ``OptionChain`` per root (`SPX` gives `SPX`
    /// and `SPXW`). An unknown underlying is a `not_found` error, or an empty list.
    public func optionChains(underlying: String) async throws -> [OptionChain] {
        try OptionChain.nested(try await get("/option-chains/\(Self.pathSegment(underlying))/nested"), underlying: underlying)
    }

    /// The nested futures-option chain of a product (`ES`, with or without the slash): one
    /// ``OptionChain`` per option root, each expiration naming the future it delivers.
    public func futuresOptionChains(product: String) async throws -> [OptionChain] {
        let code = Self.productCode(product)
        return try OptionChain.futuresNested(try await get("/futures-option-chains/\(Self.pathSegment(code))/nested"), product: code)
    }

    /// Every listed contract of a futures product (`ES` or `/ES`), following the pages.
    public func futures(product: String) async throws -> [FutureContract] {
        let code = Self.productCode(product)
        var contracts: [FutureContract] = []
        var page = 0
        while true {
            let body = try await get("/instruments/futures", query: [("product-code[]", code), ("per-page", "1000"), ("page-offset", String(page))])
            for (i, item) in try Self.items(body, of: "/instruments/futures").enumerated() {
                guard let object = item.objectValue else { throw TastytradeError(.malformedResponse, message: "future \(i) of \(code) is not an object") }
                contracts.append(try FutureContract(json: object, index: i))
            }
            // A missing pagination object is one page; at most 100 pages, whatever the server says.
            guard let pages = body.objectValue?["pagination"]?.objectValue?["total-pages"]?.integerValue, page + 1 < min(pages, 100) else { break }
            page += 1
        }
        return contracts
    }

    /// Equities, ETFs and indices by tastytrade symbol (unknown symbols are left out).
    public func equities(_ symbols: [String]) async throws -> [Instrument] {
        try await instruments("/instruments/equities", symbols, defaultType: "Equity")
    }

    /// Futures contracts by symbol (`/ESZ6` or `ESZ6`; unknown symbols are left out).
    public func futureContracts(_ symbols: [String]) async throws -> [Instrument] {
        try await instruments("/instruments/futures", symbols, defaultType: "Future")
    }

    /// Futures options by tastytrade symbol (`./ESZ6 EW4Z6 261225C6000`; unknown symbols are left out).
    public func futureOptions(_ symbols: [String]) async throws -> [Instrument] {
        try await instruments("/instruments/future-options", symbols, defaultType: "Future Option")
    }

    /// Symbols whose ticker or name starts with `text` (`GET /symbols/search/{text}`).
    public func searchSymbols(_ text: String) async throws -> [SymbolMatch] {
        let body = try await get("/symbols/search/\(Self.pathSegment(text))")
        return try Self.items(body, of: "/symbols/search").compactMap { item in
            guard let o = item.objectValue, let symbol = o["symbol"]?.stringValue else { return nil }
            return SymbolMatch(symbol: symbol, description: o["description"]?.stringValue ?? "", instrumentType: o["instrument-type"]?.stringValue,
                               hasOptions: o["options"].flatMap { if case .bool(let b) = $0 { b } else { nil } })
        }
    }

    /// REST quotes (`GET /market-data/by-type`) for tastytrade symbols grouped by instrument type
    /// (`equity`, `index`, `equity-option`, `future`, `future-option`, `cryptocurrency`); at most 100
    /// symbols in all, as tastytrade allows.
    public func quotes(_ byType: [(type: String, symbols: [String])]) async throws -> [QuoteSnapshot] {
        let total = byType.reduce(0) { $0 + $1.symbols.count }
        guard total <= 100 else {
            throw TastytradeError(.client, message: "\(total) symbols in one quote request; tastytrade answers at most 100")
        }
        let query = byType.filter { !$0.symbols.isEmpty }.map { ($0.type, $0.symbols.joined(separator: ",")) }
        guard !query.isEmpty else { return [] }
        let body = try await get("/market-data/by-type", query: query)
        return try Self.items(body, of: "/market-data/by-type").compactMap { item in
            guard let o = item.objectValue, let symbol = o["symbol"]?.stringValue else { return nil }
            return QuoteSnapshot(symbol: symbol, instrumentType: o["instrument-type"]?.stringValue, bid: decimal(o["bid"]), ask: decimal(o["ask"]),
                                 mid: decimal(o["mid"]), mark: decimal(o["mark"]), last: decimal(o["last"]),
                                 updatedAt: o["updated-at"]?.stringValue.flatMap(Timestamp.init(iso8601:)))
        }
    }

    private func instruments(_ path: String, _ symbols: [String], defaultType: String) async throws -> [Instrument] {
        var out: [Instrument] = []
        // Some hundred symbols per request keep the URL well under any server's limit.
        for start in stride(from: 0, to: symbols.count, by: 100) {
            let batch = symbols[start..<min(start + 100, symbols.count)]
            let body = try await get(path, query: batch.map { ("symbol[]", $0) })
            for item in try Self.items(body, of: path) {
                guard let o = item.objectValue, let symbol = o["symbol"]?.stringValue, let streamer = o["streamer-symbol"]?.stringValue, !streamer.isEmpty else { continue }
                out.append(Instrument(symbol: symbol, instrumentType: o["instrument-type"]?.stringValue ?? defaultType, streamerSymbol: streamer,
                                      description: o["description"]?.stringValue))
            }
        }
        return out
    }

    private static func items(_ body: JSONValue, of path: String) throws(TastytradeError) -> [JSONValue] {
        guard let items = body.objectValue?["data"]?.objectValue?["items"]?.arrayValue else {
            throw TastytradeError(.malformedResponse, message: "\(path) answered without a data.items array")
        }
        return items
    }

    /// `ES` from `/ES` or `ES`.
    public static func productCode(_ product: String) -> String {
        product.hasPrefix("/") ? String(product.dropFirst()) : product
    }

    /// A symbol as one path segment: `/` → `%2F`, space → `%20`.
    static func pathSegment(_ s: String) -> String {
        encode(s, keeping: "-._~")
    }
}
