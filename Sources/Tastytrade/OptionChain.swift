public import MarketData
public import SluiceCore

/// One root of a nested option chain (`GET /option-chains/{underlying}/nested`, or
/// `/futures-option-chains/{product}/nested`): its expirations, each with its strikes and the call's and
/// put's symbols. An underlying has one chain per root — `SPX` has `SPX` (AM monthlies) and `SPXW`.
public struct OptionChain: Sendable, Hashable {
    /// One strike of an expiration.
    public struct Strike: Sendable, Hashable {
        /// The strike price.
        public var price: Double
        /// The call's tastytrade symbol (OCC for equity options).
        public var call: String?
        /// The call's streamer symbol (derived from the OCC symbol when tastytrade leaves it out).
        public var callStreamerSymbol: String?
        /// The put's tastytrade symbol.
        public var put: String?
        /// The put's streamer symbol.
        public var putStreamerSymbol: String?

        /// Creates a strike.
        public init(price: Double, call: String? = nil, callStreamerSymbol: String? = nil, put: String? = nil, putStreamerSymbol: String? = nil) {
            self.price = price
            self.call = call
            self.callStreamerSymbol = callStreamerSymbol
            self.put = put
            self.putStreamerSymbol = putStreamerSymbol
        }

        /// The streamer symbol of the call or the put.
        public func streamerSymbol(_ kind: OptionSymbol.Kind) -> String? {
            kind == .call ? callStreamerSymbol : putStreamerSymbol
        }
    }

    /// One expiration of the chain.
    public struct Expiration: Sendable, Hashable {
        /// The expiration date.
        public var date: CalendarDate
        /// `Regular`, `Weekly`, …
        public var type: String?
        /// `AM` or `PM`.
        public var settlement: String?
        /// The streamer symbol of what the options deliver: the chain's underlying for equity options,
        /// the future for futures options.
        public var underlyingStreamerSymbol: String
        /// The strikes, in ascending price.
        public var strikes: [Strike]

        /// Creates an expiration (strikes are sorted).
        public init(date: CalendarDate, type: String? = nil, settlement: String? = nil, underlyingStreamerSymbol: String, strikes: [Strike]) {
            self.date = date
            self.type = type
            self.settlement = settlement
            self.underlyingStreamerSymbol = underlyingStreamerSymbol
            self.strikes = strikes.sorted { $0.price < $1.price }
        }
    }

    /// The underlying, e.g. `SPX` or `/ES`.
    public var underlying: String
    /// The option root, e.g. `SPXW` or `EW4`.
    public var root: String
    /// The expirations, earliest first.
    public var expirations: [Expiration]

    /// Creates a chain (expirations are sorted).
    public init(underlying: String, root: String, expirations: [Expiration]) {
        self.underlying = underlying
        self.root = root
        self.expirations = expirations.sorted { $0.date < $1.date }
    }

    /// The most contracts a response may describe, over all its roots (the SPX chain has about 22 000).
    public static let maximumContracts = 1_000_000

    /// Reads the `data.items` of an equity or index nested chain: one chain per root.
    static func nested(_ body: JSONValue, underlying: String) throws(TastytradeError) -> [OptionChain] {
        guard let items = body.objectValue?["data"]?.objectValue?["items"]?.arrayValue else {
            throw TastytradeError(.malformedResponse, message: "the option chain of \(underlying) has no data.items array")
        }
        var count = 0
        return try items.enumerated().map { (i, item) throws(TastytradeError) in
            guard let object = item.objectValue, let root = object["root-symbol"]?.stringValue, !root.isEmpty else {
                throw TastytradeError(.malformedResponse, message: "option chain item \(i) of \(underlying) has no root-symbol")
            }
            let name = object["underlying-symbol"]?.stringValue ?? underlying
            let expirations = try Self.expirations(object["expirations"], context: "the \(root) chain of \(underlying)", count: &count) { _ in name }
            return OptionChain(underlying: name, root: root, expirations: expirations)
        }
    }

    /// Reads a futures-option nested chain (`data.futures` and `data.option-chains`): one chain per
    /// option root (`EW4`, `ES` …), each expiration delivering its own future.
    static func futuresNested(_ body: JSONValue, product: String) throws(TastytradeError) -> [OptionChain] {
        guard let data = body.objectValue?["data"]?.objectValue, let chains = data["option-chains"]?.arrayValue else {
            throw TastytradeError(.malformedResponse, message: "the futures option chain of \(product) has no data.option-chains array")
        }
        var streamer: [String: String] = [:]
        for future in data["futures"]?.arrayValue ?? [] {
            if let f = future.objectValue, let symbol = f["symbol"]?.stringValue, let s = f["streamer-symbol"]?.stringValue { streamer[symbol] = s }
        }
        var byRoot: [String: [Expiration]] = [:]
        var order: [String] = []
        var underlying = product
        var count = 0
        for (i, item) in chains.enumerated() {
            guard let object = item.objectValue else { throw TastytradeError(.malformedResponse, message: "futures option chain \(i) of \(product) is not an object") }
            underlying = object["root-symbol"]?.stringValue ?? underlying
            for value in object["expirations"]?.arrayValue ?? [] {
                guard let e = value.objectValue, let root = e["option-root-symbol"]?.stringValue, !root.isEmpty else {
                    throw TastytradeError(.malformedResponse, message: "a futures option expiration of \(product) has no option-root-symbol")
                }
                let parsed = try Self.expirations(.array([value]), context: "the \(root) chain of \(product)", count: &count) { e in
                    let future = e["underlying-symbol"]?.stringValue ?? product
                    return streamer[future] ?? future
                }
                if byRoot[root] == nil { order.append(root) }
                byRoot[root, default: []] += parsed
            }
        }
        return order.map { OptionChain(underlying: underlying, root: $0, expirations: byRoot[$0]!) }
    }

    private static func expirations(_ value: JSONValue?, context: String, count: inout Int, underlying: (JSONObject) -> String) throws(TastytradeError) -> [Expiration] {
        guard let list = value?.arrayValue else { throw TastytradeError(.malformedResponse, message: "\(context) has no expirations array") }
        var out: [Expiration] = []
        for (i, item) in list.enumerated() {
            guard let e = item.objectValue, let dateText = e["expiration-date"]?.stringValue, let date = CalendarDate(iso8601: dateText) else {
                throw TastytradeError(.malformedResponse, message: "expiration \(i) of \(context) has no expiration-date YYYY-MM-DD")
            }
            guard let strikeList = e["strikes"]?.arrayValue else { throw TastytradeError(.malformedResponse, message: "the \(date) expiration of \(context) has no strikes array") }
            count += 2 * strikeList.count
            guard count <= maximumContracts else {
                throw TastytradeError(.malformedResponse, message: "\(context) describes more than \(maximumContracts) contracts")
            }
            var strikes: [Strike] = []
            strikes.reserveCapacity(strikeList.count)
            for s in strikeList {
                guard let s = s.objectValue, let price = decimal(s["strike-price"]), price > 0 else {
                    throw TastytradeError(.malformedResponse, message: "a strike of the \(date) expiration of \(context) has no positive strike-price")
                }
                let call = s["call"]?.stringValue, put = s["put"]?.stringValue
                strikes.append(Strike(
                    price: price,
                    call: call, callStreamerSymbol: s["call-streamer-symbol"]?.stringValue ?? call.flatMap { OptionSymbol(occ: $0)?.streamerSymbol },
                    put: put, putStreamerSymbol: s["put-streamer-symbol"]?.stringValue ?? put.flatMap { OptionSymbol(occ: $0)?.streamerSymbol }))
            }
            out.append(Expiration(date: date, type: e["expiration-type"]?.stringValue, settlement: e["settlement-type"]?.stringValue,
                                  underlyingStreamerSymbol: underlying(e), strikes: strikes))
        }
        return out
    }
}

/// A decimal as tastytrade sends it — a JSON string (`"187.5"`) or, in some places, a number — when it
/// is finite.
func decimal(_ value: JSONValue?) -> Double? {
    switch value {
    case .string(let s)?: return Double(s).flatMap { $0.isFinite ? $0 : nil }
    case .number(let n)?: return n.isFinite ? n : nil
    default: return nil
    }
}
