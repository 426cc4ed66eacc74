import MarketData
import SluiceCore

/// A listed option the simulator can price, read from its streamer symbol: an equity or index option
/// (`.SPXW261218C5700`, on the root's underlying) or a futures option (`./EW4Z26C6000:XCME`, on the
/// quarterly future it delivers).
struct SimulatedOption: Sendable, Hashable {
    var call: Bool
    var strike: Double
    var expiration: CalendarDate
    /// The streamer symbol of what it is priced on (`SPX`, `/ESZ26:XCME`).
    var underlying: String
    /// The underlying's at-the-money volatility.
    var volatility: Double

    init?(_ symbol: String) {
        if symbol.hasPrefix("./") {
            guard let parsed = FuturesOptionSymbol(streamer: symbol), let product = SimulatedCatalog.product(parsed.product),
                  let future = SimulatedCatalog.contracts(product, today: parsed.expiration).first(where: { product.months.contains($0.month) && $0.expiration >= parsed.expiration && "HMUZ".contains($0.month) }) else { return nil }
            call = parsed.call
            strike = parsed.strike
            expiration = parsed.expiration
            underlying = future.streamerSymbol
            volatility = product.volatility
        } else {
            guard let option = OptionSymbol(streamer: symbol) else { return nil }
            let equity = SimulatedCatalog.underlying(ofRoot: option.root)
            call = option.kind == .call
            strike = option.strike
            expiration = option.expiration
            underlying = equity?.symbol ?? option.root
            volatility = equity?.volatility ?? 0.3
        }
    }
}

/// A futures option streamer symbol as the simulator lists them: `./` + option root (`EW1`…`EW4` for
/// the Friday weeklies of week 1–4, or the product code for the quarterlies) + month code + two-digit
/// year + `C`/`P` + strike + `:` + exchange.
struct FuturesOptionSymbol: Sendable, Hashable {
    var product: String
    var root: String
    var expiration: CalendarDate
    var call: Bool
    var strike: Double

    init?(streamer text: String) {
        guard text.hasPrefix("./"), let colon = text.lastIndex(of: ":") else { return nil }
        let body = Array(text[text.index(text.startIndex, offsetBy: 2)..<colon])
        guard let kindIndex = body.lastIndex(where: { $0 == "C" || $0 == "P" }), kindIndex >= 4,
              let strike = Double(String(body[(kindIndex + 1)...])), strike > 0, strike.isFinite,
              let yy = Int(String(body[(kindIndex - 2)..<kindIndex])),
              let month = SimulatedCatalog.monthCodes.firstIndex(of: body[kindIndex - 3]) else { return nil }
        let root = String(body[..<(kindIndex - 3)])
        let year = 2000 + yy
        let date: CalendarDate?
        if root.hasPrefix("EW"), let week = Int(root.dropFirst(2)), (1...5).contains(week) {
            product = "ES"
            date = CalendarDate.nth(week, weekday: 5, year: year, month: month + 1)
        } else if SimulatedCatalog.product(root)?.hasOptions == true {
            product = root
            date = CalendarDate.nth(3, weekday: 5, year: year, month: month + 1)
        } else {
            return nil
        }
        guard let date else { return nil }
        self.root = root
        self.expiration = date
        self.call = body[kindIndex] == "C"
        self.strike = strike
    }

    /// `./EW4Z26C6000:XCME`.
    static func streamer(root: String, expiration: CalendarDate, call: Bool, strike: String, exchange: String) -> String {
        let (y, m, _) = expiration.parts
        return "./\(root)\(SimulatedCatalog.monthCodes[m - 1])\(y % 100 < 10 ? "0" : "")\(y % 100)\(call ? "C" : "P")\(strike):\(exchange)"
    }
}
