public import SluiceCore

/// One futures contract from `GET /instruments/futures`: what to subscribe (the streamer symbol) and
/// which contract tastytrade calls the product's active month.
public struct FutureContract: Sendable, Hashable {
    /// The tastytrade symbol, `/ESZ6` (one-digit year).
    public var symbol: String
    /// The product code, `ES`.
    public var productCode: String
    /// The streamer symbol, `/ESZ26:XCME` (two-digit year and the exchange).
    public var streamerSymbol: String
    /// The expiration date.
    public var expirationDate: CalendarDate
    /// tastytrade's current contract of the product (it moves days before expiry: the roll).
    public var activeMonth: Bool
    /// The contract after the active one.
    public var nextActiveMonth: Bool
    /// The contract positions roll into.
    public var rollTargetSymbol: String?

    /// Creates a contract.
    public init(symbol: String, productCode: String, streamerSymbol: String, expirationDate: CalendarDate, activeMonth: Bool, nextActiveMonth: Bool, rollTargetSymbol: String? = nil) {
        self.symbol = symbol
        self.productCode = productCode
        self.streamerSymbol = streamerSymbol
        self.expirationDate = expirationDate
        self.activeMonth = activeMonth
        self.nextActiveMonth = nextActiveMonth
        self.rollTargetSymbol = rollTargetSymbol
    }

    /// Which contract of a product a pipeline follows.
    public enum Month: String, Sendable, CaseIterable {
        /// tastytrade's active month (`active-month: true`): the contract everyone trades.
        case active
        /// The nearest unexpired contract (by expiration date), which during roll week is not the active one.
        case front
        /// tastytrade's next active month.
        case next
    }

    /// The contract `month` picks among `contracts` on `today`; `nil` when none fits.
    public static func pick(_ month: Month, from contracts: [FutureContract], today: CalendarDate) -> FutureContract? {
        let live = contracts.filter { $0.expirationDate >= today }.sorted { $0.expirationDate < $1.expirationDate }
        switch month {
        case .active: return live.first(where: \.activeMonth) ?? live.first
        case .front: return live.first
        case .next: return live.first(where: \.nextActiveMonth) ?? (live.firstIndex(where: \.activeMonth).flatMap { $0 + 1 < live.count ? live[$0 + 1] : nil })
        }
    }

    init(json f: JSONObject, index: Int) throws(TastytradeError) {
        guard let symbol = f["symbol"]?.stringValue, let streamer = f["streamer-symbol"]?.stringValue, !streamer.isEmpty else {
            throw TastytradeError(.malformedResponse, message: "future \(index) has no symbol or streamer-symbol")
        }
        guard let date = (f["expiration-date"]?.stringValue ?? f["last-trade-date"]?.stringValue).flatMap(CalendarDate.init(iso8601:)) else {
            throw TastytradeError(.malformedResponse, message: "future \(symbol) has no expiration-date YYYY-MM-DD")
        }
        self.init(symbol: symbol, productCode: f["product-code"]?.stringValue ?? "", streamerSymbol: streamer, expirationDate: date,
                  activeMonth: f["active-month"] == .bool(true), nextActiveMonth: f["next-active-month"] == .bool(true),
                  rollTargetSymbol: f["roll-target-symbol"]?.stringValue)
    }
}
