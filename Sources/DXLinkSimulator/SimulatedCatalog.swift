import MarketData
import SluiceCore

/// The instruments the offline tastytrade lists: equities, ETFs and indices with their option roots, and
/// futures products with their contract cycles and roll rule. Prices come from ``SyntheticMarket``, whose
/// paths start from the levels here, so the at-the-money strike of a chain is where the simulated
/// underlying trades. Expirations and strikes are pure functions of the date: the same on every call of
/// the day, and they move on as the calendar does (no exchange holidays).
struct SimulatedCatalog: Sendable {
    /// An option root and the expirations it lists.
    struct Root: Sendable {
        /// The root symbol (`SPXW`).
        var name: String
        /// Weekdays from today for this many calendar days (dailies; 0: none).
        var dailyDays: Int64 = 0
        /// Fridays for this many calendar days (weeklies; 0: none).
        var weeklyDays: Int64 = 0
        /// Third-Friday monthlies for this many calendar days.
        var monthlyDays: Int64 = 365
        /// Monthlies settle AM (SPX) or PM.
        var monthlyAM = false
    }

    /// An equity, ETF or index.
    struct Equity: Sendable {
        var symbol: String
        var description: String
        var isIndex = false
        var isETF = false
        /// The level its price path moves around.
        var base: Double
        /// Its at-the-money implied volatility (fraction).
        var volatility: Double
        /// Its option roots (none: no options).
        var roots: [Root] = []
    }

    /// A futures product.
    struct FutureProduct: Sendable {
        var code: String
        var description: String
        /// The exchange's MIC in streamer symbols (`XCME`).
        var exchange: String
        /// Listed month codes.
        var months: [Character]
        /// The price path it follows (the index a future tracks), or its own level.
        var tracks: String?
        var base: Double
        var volatility: Double
        /// tastytrade's roll: the active month moves this many business days before expiry.
        var rollBusinessDays: Int
        /// Which day of the contract month it expires: the third Friday, or this day (earlier weekday).
        var expiryDay: Int?
        /// Listed futures options (weekly `EW1`…`EW4` roots and the product's own quarterly root).
        var hasOptions = false
    }

    static let equities: [Equity] = [
        Equity(symbol: "SPX", description: "S&P 500 Index", isIndex: true, base: 6850, volatility: 0.15,
               roots: [Root(name: "SPX", monthlyAM: true), Root(name: "SPXW", dailyDays: 14, weeklyDays: 60, monthlyDays: 365)]),
        Equity(symbol: "NDX", description: "Nasdaq 100 Index", isIndex: true, base: 25_400, volatility: 0.19,
               roots: [Root(name: "NDX", monthlyAM: true), Root(name: "NDXP", dailyDays: 7, weeklyDays: 45, monthlyDays: 180)]),
        Equity(symbol: "VIX", description: "CBOE Volatility Index", isIndex: true, base: 16.5, volatility: 0.85,
               roots: [Root(name: "VIX", monthlyAM: true), Root(name: "VIXW", weeklyDays: 35, monthlyDays: 0)]),
        Equity(symbol: "SPY", description: "SPDR S&P 500 ETF Trust", isETF: true, base: 684, volatility: 0.15,
               roots: [Root(name: "SPY", dailyDays: 14, weeklyDays: 60)]),
        Equity(symbol: "QQQ", description: "Invesco QQQ Trust", isETF: true, base: 620, volatility: 0.19,
               roots: [Root(name: "QQQ", dailyDays: 14, weeklyDays: 60)]),
        Equity(symbol: "IWM", description: "iShares Russell 2000 ETF", isETF: true, base: 245, volatility: 0.22,
               roots: [Root(name: "IWM", dailyDays: 7, weeklyDays: 45)]),
        Equity(symbol: "AAPL", description: "Apple Inc. - Common Stock", base: 285, volatility: 0.26, roots: [Root(name: "AAPL", weeklyDays: 45)]),
        Equity(symbol: "APLE", description: "Apple Hospitality REIT, Inc. Common Shares", base: 12.4, volatility: 0.24, roots: [Root(name: "APLE")]),
        Equity(symbol: "MSFT", description: "Microsoft Corporation - Common Stock", base: 480, volatility: 0.24, roots: [Root(name: "MSFT", weeklyDays: 45)]),
        Equity(symbol: "NVDA", description: "NVIDIA Corporation - Common Stock", base: 180, volatility: 0.45, roots: [Root(name: "NVDA", weeklyDays: 45)]),
        Equity(symbol: "TSLA", description: "Tesla, Inc. - Common Stock", base: 430, volatility: 0.55, roots: [Root(name: "TSLA", weeklyDays: 45)]),
        Equity(symbol: "AMZN", description: "Amazon.com, Inc. - Common Stock", base: 230, volatility: 0.3, roots: [Root(name: "AMZN", weeklyDays: 45)]),
        Equity(symbol: "META", description: "Meta Platforms, Inc. - Class A Common Stock", base: 640, volatility: 0.33, roots: [Root(name: "META", weeklyDays: 45)]),
        Equity(symbol: "GOOGL", description: "Alphabet Inc. - Class A Common Stock", base: 320, volatility: 0.29, roots: [Root(name: "GOOGL", weeklyDays: 45)]),
        Equity(symbol: "BRK/B", description: "Berkshire Hathaway Inc. Class B", base: 500, volatility: 0.17, roots: [Root(name: "BRKB", weeklyDays: 30)]),
        Equity(symbol: "F", description: "Ford Motor Company Common Stock", base: 12.8, volatility: 0.35, roots: [Root(name: "F", weeklyDays: 30)]),
    ]

    static let futures: [FutureProduct] = [
        FutureProduct(code: "ES", description: "E Mini S&P", exchange: "XCME", months: ["H", "M", "U", "Z"], tracks: "SPX", base: 6850, volatility: 0.15, rollBusinessDays: 4, hasOptions: true),
        FutureProduct(code: "NQ", description: "E Mini Nasdaq", exchange: "XCME", months: ["H", "M", "U", "Z"], tracks: "NDX", base: 25_400, volatility: 0.19, rollBusinessDays: 4),
        FutureProduct(code: "RTY", description: "E Mini Russell 2000", exchange: "XCME", months: ["H", "M", "U", "Z"], base: 2450, volatility: 0.22, rollBusinessDays: 4),
        FutureProduct(code: "CL", description: "Light Sweet Crude Oil", exchange: "XNYM", months: Array("FGHJKMNQUVXZ"), base: 61, volatility: 0.35, rollBusinessDays: 5, expiryDay: 20),
        FutureProduct(code: "GC", description: "Gold", exchange: "XCEC", months: ["G", "J", "M", "Q", "V", "Z"], base: 4200, volatility: 0.18, rollBusinessDays: 5, expiryDay: 27),
    ]

    static let monthCodes: [Character] = Array("FGHJKMNQUVXZ")

    static func equity(_ symbol: String) -> Equity? { equities.first { $0.symbol == symbol } }

    static func product(_ code: String) -> FutureProduct? {
        let c = (code.hasPrefix("/") ? String(code.dropFirst()) : code).uppercased()
        return futures.first { $0.code == c }
    }

    /// The underlying of an option root (`SPXW` → `SPX`, `BRKB` → `BRK/B`).
    static func underlying(ofRoot root: String) -> Equity? {
        equities.first { $0.roots.contains { $0.name == root } }
    }

    /// The equity, ETF or index a path belongs to (`SPX`), or the product of a futures streamer symbol
    /// (`/ESZ26:XCME` → the path of `SPX` for ES, `/CL` for CL).
    static func pathSymbol(of symbol: String) -> String {
        if symbol.hasPrefix("/"), let contract = FutureSymbol(streamer: symbol), let product = product(contract.code) {
            return product.tracks ?? "/" + product.code
        }
        return symbol
    }

    /// The level and volatility of a path symbol (`nil`: not listed; the market makes one up).
    static func level(of symbol: String) -> (base: Double, volatility: Double)? {
        if let e = equity(symbol) { return (e.base, e.volatility) }
        if symbol.hasPrefix("/"), let p = product(String(symbol.dropFirst())) { return (p.base, p.volatility) }
        return nil
    }

    // MARK: - Options

    /// One listed expiration of a root.
    struct Expiration: Sendable {
        var date: CalendarDate
        var type: String
        var settlement: String
    }

    /// When options of `date` stop trading: 16:00 New York, taken as 21:00 UTC.
    static func expiry(_ date: CalendarDate) -> Timestamp { date.start.advanced(by: .seconds(21 * 3600)) }

    /// The expirations `root` lists at `now`: today's until it expires, then dailies, weeklies and monthlies.
    static func expirations(_ root: Root, at now: Timestamp) -> [Expiration] {
        let today = CalendarDate(now)
        var out: [CalendarDate: Expiration] = [:]
        let horizon = max(root.dailyDays, root.weeklyDays, root.monthlyDays)
        var d = today
        while today.days(to: d) <= horizon {
            let offset = today.days(to: d)
            let monthly = d.weekday == 5 && (15...21).contains(d.parts.day)
            if d.isWeekday, expiry(d) > now {
                if monthly, offset <= root.monthlyDays {
                    out[d] = Expiration(date: d, type: "Regular", settlement: root.monthlyAM ? "AM" : "PM")
                } else if d.weekday == 5, root.weeklyDays > 0, offset <= root.weeklyDays {
                    out[d] = Expiration(date: d, type: "Weekly", settlement: "PM")
                } else if root.dailyDays > 0, offset <= root.dailyDays {
                    out[d] = Expiration(date: d, type: "Weekly", settlement: "PM")
                }
            }
            d = d.adding(days: 1)
        }
        return out.values.sorted { $0.date < $1.date }
    }

    /// The strike grid of an underlying on `today`: steps by price level, out to ±12 % (±25 % after a
    /// month) of the day's opening level, doubled spacing beyond ±5 %.
    static func strikes(around level: Double, daysOut: Int64) -> [Int64] {
        let step: Double = level < 25 ? 0.5 : level < 100 ? 1 : level < 250 ? 2.5 : level < 2000 ? 5 : level < 10_000 ? 5 : 25
        let reach = daysOut > 31 ? 0.25 : 0.12
        let lo = ((level * (1 - reach)) / step).rounded(.down) * step
        let hi = ((level * (1 + reach)) / step).rounded(.up) * step
        var out: [Int64] = []
        var k = max(step, lo)
        while k <= hi {
            let far = abs(k - level) / level > 0.05
            if !far || Int64((k / step).rounded()) % 2 == 0 { out.append(Int64((k * 1000).rounded())) }
            k += step
        }
        return out
    }

    // MARK: - Futures

    /// One listed contract.
    struct Contract: Sendable {
        var product: FutureProduct
        var month: Character
        var year: Int
        var expiration: CalendarDate
        var active: Bool
        var nextActive: Bool

        /// `/ESZ6`.
        var symbol: String { "/\(product.code)\(month)\(year % 10)" }
        /// `/ESZ26:XCME`.
        var streamerSymbol: String { "/\(product.code)\(month)\(String(format2(year % 100))):\(product.exchange)" }
    }

    /// The day a contract of `product` for (`year`, `month`) expires.
    static func expiration(_ product: FutureProduct, year: Int, month: Int) -> CalendarDate {
        if let day = product.expiryDay, var d = CalendarDate(year: year, month: month, day: min(day, 28)) {
            while !d.isWeekday { d = d.adding(days: -1) }
            return d
        }
        return CalendarDate.nth(3, weekday: 5, year: year, month: month)!
    }

    /// `n` business days before `date`.
    static func businessDays(_ n: Int, before date: CalendarDate) -> CalendarDate {
        var d = date, left = n
        while left > 0 {
            d = d.adding(days: -1)
            if d.isWeekday { left -= 1 }
        }
        return d
    }

    /// The next five unexpired contracts of `product` on `today`, with tastytrade's active and next
    /// active months: the active month moves to the next contract `rollBusinessDays` before expiry.
    static func contracts(_ product: FutureProduct, today: CalendarDate) -> [Contract] {
        var out: [Contract] = []
        var (year, month, _) = today.parts
        while out.count < 6 {
            let code = monthCodes[month - 1]
            if product.months.contains(code) {
                let expiration = expiration(product, year: year, month: month)
                if expiration >= today { out.append(Contract(product: product, month: code, year: year, expiration: expiration, active: false, nextActive: false)) }
            }
            month += 1
            if month > 12 { month = 1; year += 1 }
        }
        let activeIndex = today >= businessDays(product.rollBusinessDays, before: out[0].expiration) ? 1 : 0
        out[activeIndex].active = true
        out[activeIndex + 1].nextActive = true
        return Array(out.prefix(5))
    }
}

/// A futures streamer symbol, `/ESZ26:XCME`: product code, month code, two-digit year, exchange.
struct FutureSymbol: Sendable, Hashable {
    var code: String
    var month: Character
    var year: Int
    var exchange: String

    init?(streamer text: String) {
        guard text.hasPrefix("/"), let colon = text.firstIndex(of: ":") else { return nil }
        let body = Array(text[text.index(after: text.startIndex)..<colon])
        guard body.count >= 4, let y = Int(String(body.suffix(2))), SimulatedCatalog.monthCodes.contains(body[body.count - 3]) else { return nil }
        code = String(body.prefix(body.count - 3))
        month = body[body.count - 3]
        year = 2000 + y
        exchange = String(text[text.index(after: colon)...])
    }

    /// The contract's expiration, when its product is listed.
    var expiration: CalendarDate? {
        guard let product = SimulatedCatalog.product(code), let m = SimulatedCatalog.monthCodes.firstIndex(of: month) else { return nil }
        return SimulatedCatalog.expiration(product, year: year, month: m + 1)
    }
}

private func format2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
