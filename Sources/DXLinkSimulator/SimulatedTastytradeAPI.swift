import DXLink
import Foundation
import MarketData
import SluiceCore
import Synchronization

/// The REST side of the offline tastytrade, served on the simulator's port beside DXLink: OAuth
/// refresh, API quote tokens (whose `dxlink-url` is the simulator itself), market metrics, nested option
/// chains (equity and futures), futures with active months, equities, symbol search and REST quotes, in
/// the shapes of `dxlink-protocol.md` §2.6 and with prices from the same ``SyntheticMarket`` as the feed.
///
/// Every route but `POST /oauth/token` wants `Authorization: Bearer` with an access token it issued.
final class SimulatedTastytradeAPI: Sendable {
    /// An answer.
    struct Response: Sendable {
        var status: Int
        var body: String
    }

    private let configuration: SimulatorConfiguration
    private let dxlinkURL: String
    private let clock: any StageClock
    private let issued = Mutex<(tokens: Set<String>, count: Int)>(([], 0))
    private let requests = Mutex<Int>(0)
    private let failed = Mutex<[String: Int]>([:])
    private let chains = Mutex<[String: Response]>([:])

    init(configuration: SimulatorConfiguration, dxlinkURL: String, clock: any StageClock) {
        self.configuration = configuration
        self.dxlinkURL = dxlinkURL
        self.clock = clock
    }

    /// Requests answered so far (OAuth included).
    var requestCount: Int { requests.withLock { $0 } }

    func respond(method: String, uri: String, authorization: String?, body: String) -> Response {
        requests.withLock { $0 += 1 }
        let (path, query) = Self.split(uri)
        if let (prefix, failures) = configuration.faults.restFailures.first(where: { path.hasPrefix($0.key) }),
           failed.withLock({ f in f[prefix, default: 0] += 1; return f[prefix]! <= failures }) {
            return error(500, "simulated_failure", "the simulator fails the first \(failures) requests to \(prefix)")
        }
        if method == "POST" && path == "/oauth/token" { return oauth(body) }
        guard method == "GET" else { return error(405, "method_not_allowed", "\(method) \(path) is not served") }
        guard let auth = authorization, auth.hasPrefix("Bearer "), issued.withLock({ $0.tokens.contains(String(auth.dropFirst(7))) }) else {
            return error(401, "token_invalid", "no valid access token; POST /oauth/token first")
        }
        let now = clock.now
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map { $0.removingPercentEncoding ?? String($0) }
        switch segments.first {
        case "api-quote-tokens" where segments.count == 1:
            return ok(.object(["token": .string(configuration.token ?? "simulated-token"), "dxlink-url": .string(dxlinkURL), "level": .string("api"),
                               "issued-at": .string(now.iso8601), "expires-at": .string(now.advanced(by: .seconds(86_400)).iso8601)]))
        case "market-metrics" where segments.count == 1:
            let symbols = query["symbols"]?.first?.split(separator: ",").map(String.init) ?? []
            return items(symbols.compactMap { metrics($0, now: now) })
        case "option-chains" where segments.count == 3 && segments[2] == "nested":
            guard let equity = SimulatedCatalog.equity(segments[1]), !equity.roots.isEmpty else {
                return error(404, "record_not_found", "no option chain for \(segments[1])")
            }
            // A chain is the same all day (strikes from the day's opening level; only expired ones leave).
            let key = equity.symbol + "|" + equity.roots.map { SimulatedCatalog.expirations($0, at: now).first?.date.description ?? "-" }.joined(separator: ",") + "|\(CalendarDate(now))"
            if let cached = chains.withLock({ $0[key] }) { return cached }
            let response = items(equity.roots.map { chain(equity, $0, now: now) })
            chains.withLock { c in
                if c.count > 64 { c.removeAll() }
                c[key] = response
            }
            return response
        case "futures-option-chains" where segments.count == 3 && segments[2] == "nested":
            guard let product = SimulatedCatalog.product(segments[1]), product.hasOptions else {
                return error(404, "record_not_found", "no futures option chain for \(segments[1])")
            }
            return ok(futuresChain(product, now: now))
        case "instruments" where segments.count == 2 && segments[1] == "futures":
            let today = CalendarDate(now)
            let codes = query["product-code[]"] ?? []
            let symbols = Set((query["symbol[]"] ?? []).map { $0.hasPrefix("/") ? $0 : "/" + $0 })
            var list: [JSONValue] = []
            for product in SimulatedCatalog.futures where symbols.isEmpty ? codes.contains(product.code) : true {
                for c in SimulatedCatalog.contracts(product, today: today) where symbols.isEmpty || symbols.contains(c.symbol) {
                    list.append(future(c))
                }
            }
            return items(list, paginated: true)
        case "instruments" where segments.count == 2 && segments[1] == "equities":
            return items((query["symbol[]"] ?? []).compactMap { SimulatedCatalog.equity($0).map(equityJSON) })
        case "instruments" where segments.count == 2 && segments[1] == "equity-options":
            return items((query["symbol[]"] ?? []).compactMap { occ in
                guard let o = OptionSymbol(occ: occ), SimulatedCatalog.underlying(ofRoot: o.root) != nil else { return nil }
                return .object(["symbol": .string(o.occ), "instrument-type": .string("Equity Option"), "root-symbol": .string(o.root),
                                "underlying-symbol": .string(SimulatedCatalog.underlying(ofRoot: o.root)!.symbol), "streamer-symbol": .string(o.streamerSymbol),
                                "strike-price": .string(Self.decimal(o.strike)), "expiration-date": .string(o.expiration.description), "option-type": .string(o.kind.rawValue), "active": .bool(true)])
            })
        case "symbols" where segments.count == 3 && segments[1] == "search":
            let text = segments[2].uppercased()
            let matches = SimulatedCatalog.equities.filter { $0.symbol.hasPrefix(text) || $0.description.uppercased().hasPrefix(text) }
            return items(matches.map { .object(["symbol": .string($0.symbol), "description": .string($0.description), "listed-market": .string($0.isIndex ? "OTC" : "XNAS"),
                                                "instrument-type": .string("Equity"), "options": .bool(!$0.roots.isEmpty)]) })
        case "market-data" where segments.count == 2 && segments[1] == "by-type":
            return quotes(query, now: now)
        default:
            return error(404, "not_found", "\(path) is not served by the simulator")
        }
    }

    // MARK: - Routes

    private func oauth(_ body: String) -> Response {
        guard let object = (try? JSONDocument(parsing: body))?.root.objectValue,
              object["grant_type"]?.stringValue == "refresh_token",
              let refresh = object["refresh_token"]?.stringValue, !refresh.isEmpty,
              let secret = object["client_secret"]?.stringValue, !secret.isEmpty else {
            return error(400, "invalid_request", "send grant_type refresh_token, refresh_token and client_secret")
        }
        if let expected = configuration.credentials, expected.refreshToken != refresh || expected.clientSecret != secret {
            return error(401, "invalid_grant", "the refresh token or client secret is wrong")
        }
        let token = issued.withLock { state -> String in
            state.count += 1
            let t = "sim-access-\(state.count)-\(configuration.seed)"
            state.tokens.insert(t)
            return t
        }
        var w = JSONWriter()
        w.write(.object(["access_token": .string(token), "token_type": .string("Bearer"), "expires_in": .number(900)]))
        return Response(status: 200, body: String(decoding: w.bytes, as: UTF8.self))
    }

    private func chain(_ equity: SimulatedCatalog.Equity, _ root: SimulatedCatalog.Root, now: Timestamp) -> JSONValue {
        let today = CalendarDate(now)
        let level = market.spot(equity.symbol, atMs: today.start.millisecondsSinceEpoch)
        let expirations: [JSONValue] = SimulatedCatalog.expirations(root, at: now).map { e in
            let days = today.days(to: e.date)
            let strikes: [JSONValue] = SimulatedCatalog.strikes(around: level, daysOut: days).compactMap { k in
                guard let call = OptionSymbol(root: root.name, expiration: e.date, kind: .call, strikeThousandths: k),
                      let put = OptionSymbol(root: root.name, expiration: e.date, kind: .put, strikeThousandths: k) else { return nil }
                return .object(["strike-price": .string(Self.decimal(call.strike)), "call": .string(call.occ), "call-streamer-symbol": .string(call.streamerSymbol),
                                "put": .string(put.occ), "put-streamer-symbol": .string(put.streamerSymbol)])
            }
            return .object(["expiration-type": .string(e.type), "expiration-date": .string(e.date.description), "days-to-expiration": .number(Double(days)),
                            "settlement-type": .string(e.settlement), "strikes": .array(strikes)])
        }
        return .object(["underlying-symbol": .string(equity.symbol), "root-symbol": .string(root.name), "option-chain-type": .string("Standard"),
                        "shares-per-contract": .number(100), "tick-sizes": .array([.object(["value": .string("0.05"), "threshold": .string("3.0")]), .object(["value": .string("0.1")])]),
                        "expirations": .array(expirations)])
    }

    private func futuresChain(_ product: SimulatedCatalog.FutureProduct, now: Timestamp) -> JSONValue {
        let today = CalendarDate(now)
        let contracts = SimulatedCatalog.contracts(product, today: today)
        var expirations: [JSONValue] = []
        // Friday weeklies (EW1…EW4) for five weeks, and the product's quarterlies for the next two contracts.
        var dates: [(CalendarDate, String, String)] = []
        var d = today
        while today.days(to: d) <= 35 {
            if d.weekday == 5, SimulatedCatalog.expiry(d) > now {
                let week = (d.parts.day - 1) / 7 + 1
                if week == 3, contracts.contains(where: { $0.expiration == d }) {
                    dates.append((d, product.code, "Regular"))
                } else if week <= 4 {
                    dates.append((d, "EW\(week)", "Weekly"))
                }
            }
            d = d.adding(days: 1)
        }
        for c in contracts.prefix(2) where !dates.contains(where: { $0.0 == c.expiration }) && SimulatedCatalog.expiry(c.expiration) > now {
            dates.append((c.expiration, product.code, "Regular"))
        }
        for (date, root, type) in dates.sorted(by: { $0.0 < $1.0 }) {
            guard let future = contracts.first(where: { $0.expiration >= date }) else { continue }
            let level = market.spot(future.streamerSymbol, atMs: today.start.millisecondsSinceEpoch)
            let (y, m, _) = date.parts
            let contractSymbol = "\(root)\(SimulatedCatalog.monthCodes[m - 1])\(y % 10)"
            let strikes: [JSONValue] = SimulatedCatalog.strikes(around: level, daysOut: today.days(to: date)).map { k in
                let strike = Self.plain(k)
                func symbols(_ call: Bool) -> (String, String) {
                    let padded = { (s: String) in s + String(repeating: " ", count: max(0, 5 - s.count)) }
                    let tasty = "./" + padded(String(future.symbol.dropFirst())) + " " + padded(contractSymbol) + " " + date.yymmdd + (call ? "C" : "P") + strike
                    return (tasty, FuturesOptionSymbol.streamer(root: root, expiration: date, call: call, strike: strike, exchange: product.exchange))
                }
                let (call, callStreamer) = symbols(true), (put, putStreamer) = symbols(false)
                return .object(["strike-price": .string(Self.decimal(Double(k) / 1000)), "call": .string(call), "call-streamer-symbol": .string(callStreamer),
                                "put": .string(put), "put-streamer-symbol": .string(putStreamer)])
            }
            expirations.append(.object([
                "underlying-symbol": .string(future.symbol), "root-symbol": .string("/" + product.code), "option-root-symbol": .string(root),
                "option-contract-symbol": .string(contractSymbol), "expiration-date": .string(date.description),
                "days-to-expiration": .number(Double(today.days(to: date))), "expiration-type": .string(type), "settlement-type": .string("PM"),
                "strikes": .array(strikes),
            ]))
        }
        return .object([
            "futures": .array(contracts.map { c in .object(["symbol": .string(c.symbol), "root-symbol": .string("/" + product.code), "streamer-symbol": .string(c.streamerSymbol),
                                                            "expiration-date": .string(c.expiration.description), "active-month": .bool(c.active), "next-active-month": .bool(c.nextActive)]) }),
            "option-chains": .array([.object(["underlying-symbol": .string("/" + product.code), "root-symbol": .string("/" + product.code),
                                              "exercise-style": .string("American"), "expirations": .array(expirations)])]),
        ])
    }

    private func future(_ c: SimulatedCatalog.Contract) -> JSONValue {
        let roll = SimulatedCatalog.contracts(c.product, today: c.expiration).first { $0.expiration > c.expiration }
        return .object([
            "symbol": .string(c.symbol), "product-code": .string(c.product.code), "streamer-symbol": .string(c.streamerSymbol),
            "expiration-date": .string(c.expiration.description), "last-trade-date": .string(c.expiration.description),
            "active": .bool(true), "active-month": .bool(c.active), "next-active-month": .bool(c.nextActive), "is-tradeable": .bool(true),
            "roll-target-symbol": roll.map { .string($0.symbol) } ?? .null, "exchange": .string("CME"), "streamer-exchange-code": .string(c.product.exchange),
            "future-product": .object(["root-symbol": .string("/" + c.product.code), "code": .string(c.product.code), "description": .string(c.product.description),
                                       "active-months": .array(c.product.months.map { .string(String($0)) }),
                                       "roll": .object(["business-days-offset": .number(Double(c.product.rollBusinessDays))])]),
        ])
    }

    private func equityJSON(_ e: SimulatedCatalog.Equity) -> JSONValue {
        .object(["symbol": .string(e.symbol), "instrument-type": .string("Equity"), "description": .string(e.description), "is-index": .bool(e.isIndex),
                 "is-etf": .bool(e.isETF), "listed-market": .string(e.isIndex ? "OTC" : "XNAS"), "active": .bool(!e.isIndex), "streamer-symbol": .string(e.symbol)])
    }

    private func metrics(_ symbol: String, now: Timestamp) -> JSONValue? {
        guard let level = SimulatedCatalog.level(of: symbol) else { return nil }
        var rng = SplitMix64(seed: configuration.seed ^ SyntheticMarket.hash("metrics|" + symbol))
        let rank = rng.unit(), percentile = min(1, max(0, rank + 0.2 * (rng.unit() - 0.5)))
        let iv = level.volatility * (0.8 + 0.4 * rank)
        return .object([
            "symbol": .string(symbol), "implied-volatility-index": .string(Self.decimal(iv, places: 4)),
            "implied-volatility-index-rank": .string(Self.decimal(rank, places: 4)), "implied-volatility-percentile": .string(Self.decimal(percentile, places: 4)),
            "implied-volatility-30-day": .string(Self.decimal(iv * 100, places: 2)), "historical-volatility-30-day": .string(Self.decimal(level.volatility * 95 * (0.7 + 0.6 * rng.unit()), places: 2)),
            "historical-volatility-90-day": .string(Self.decimal(level.volatility * 100 * (0.8 + 0.4 * rng.unit()), places: 2)),
            "liquidity-rating": .number(Double(1 + rng.next() % 5)), "updated-at": .string(now.iso8601),
        ])
    }

    private func quotes(_ query: [String: [String]], now: Timestamp) -> Response {
        var list: [JSONValue] = []
        let nowMs = now.millisecondsSinceEpoch
        for (type, values) in query.sorted(by: { $0.key < $1.key }) {
            for symbol in values.flatMap({ $0.split(separator: ",").map(String.init) }) {
                let streamer: String?
                switch type {
                case "equity", "index": streamer = SimulatedCatalog.equity(symbol)?.symbol
                case "equity-option": streamer = OptionSymbol(occ: symbol)?.streamerSymbol
                case "future":
                    let today = CalendarDate(now)
                    streamer = SimulatedCatalog.futures.lazy.flatMap { SimulatedCatalog.contracts($0, today: today) }.first { $0.symbol == symbol }?.streamerSymbol
                default: streamer = nil
                }
                guard let streamer else { continue }
                var m = market
                guard let q = m.next(FeedSubscription(type: "Quote", symbol: streamer), nowMs: nowMs) as? Quote else { continue }
                let mid = (q.bidPrice + q.askPrice) / 2
                list.append(.object([
                    "symbol": .string(symbol), "instrument-type": .string(Self.instrumentType(type)), "updated-at": .string(now.iso8601),
                    "bid": .string(Self.decimal(q.bidPrice)), "bid-size": .string(Self.decimal(q.bidSize)), "ask": .string(Self.decimal(q.askPrice)),
                    "ask-size": .string(Self.decimal(q.askSize)), "mid": .string(Self.decimal(mid, places: 4)), "mark": .string(Self.decimal(mid, places: 4)),
                    "last": .string(Self.decimal(SyntheticMarket.cents(mid))),
                ]))
            }
        }
        return items(list)
    }

    // MARK: - Helpers

    private var market: SyntheticMarket { SyntheticMarket(seed: configuration.seed) }

    private static func instrumentType(_ key: String) -> String {
        ["equity": "Equity", "index": "Index", "equity-option": "Equity Option", "future": "Future", "future-option": "Future Option"][key] ?? key
    }

    private func ok(_ data: JSONValue) -> Response {
        var w = JSONWriter(capacity: 4096)
        w.write(.object(["data": data]))
        return Response(status: 200, body: String(decoding: w.bytes, as: UTF8.self))
    }

    private func items(_ list: [JSONValue], paginated: Bool = false) -> Response {
        var w = JSONWriter(capacity: 4096)
        var top: JSONObject = ["data": .object(["items": .array(list)])]
        if paginated {
            top.entries.append((key: "pagination", value: .object(["per-page": .number(1000), "page-offset": .number(0), "total-items": .number(Double(list.count)), "total-pages": .number(1)])))
        }
        w.write(.object(top))
        return Response(status: 200, body: String(decoding: w.bytes, as: UTF8.self))
    }

    private func error(_ status: Int, _ code: String, _ message: String) -> Response {
        var w = JSONWriter()
        w.write(.object(["error": .object(["code": .string(code), "message": .string(message)])]))
        return Response(status: status, body: String(decoding: w.bytes, as: UTF8.self))
    }

    /// `187.5`, `5700.0` (tastytrade writes decimals as strings with at least one decimal place).
    static func decimal(_ v: Double, places: Int = 3) -> String {
        let scale = pow(10, Double(places))
        var s = String((v * scale).rounded() / scale)
        if s.hasSuffix(".0") == false, !s.contains(".") { s += ".0" }
        return s
    }

    /// A strike in thousandths as symbols write it: `6000`, `142.5`.
    static func plain(_ thousandths: Int64) -> String {
        var s = String(thousandths / 1000)
        var f = thousandths % 1000
        if f != 0 {
            var digits = ""
            for _ in 0..<3 { digits.append(Character(String(f / 100))); f = f % 100 * 10 }
            while digits.hasSuffix("0") { digits.removeLast() }
            s += "." + digits
        }
        return s
    }

    /// The path and the decoded query (repeated keys kept in order).
    static func split(_ uri: String) -> (String, [String: [String]]) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: [String]] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(kv[0]).removingPercentEncoding ?? String(kv[0])
                let value = kv.count == 2 ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[1])) : ""
                query[key, default: []].append(value)
            }
        }
        return (String(parts[0]), query)
    }
}
