import DXLink
import Logging
import MarketData
import SluiceCore
import Tastytrade

/// Keeps one `option_chains` entry of a `dxlink` source subscribed: fetches the chain, subscribes the
/// underlyings (Quote and Trade) to centre on, then the window (``ChainWindow``), and from then on moves
/// it — live, through `apply` — when the underlying moves (`recenter`), when an expiration passes
/// (`expiry`), and when the refreshed chain or a new day changes it (`chain`).
///
/// REST failures never end it: at start it retries with backoff until the chain comes (or the run
/// ends); later it keeps the subscriptions it has and tries again.
struct ChainFollower: Sendable {
    /// Subscribes a named set of subscriptions in place of the last one of that name.
    typealias Apply = @Sendable (_ name: String, _ subscriptions: [FeedSubscription], _ reason: UniverseChange.Reason) async throws -> Void

    let underlying: String
    let window: ChainWindow
    let refresh: Duration
    let client: TastytradeClient
    let prices: UnderlyingPrices
    let context: StageContext
    let apply: Apply

    /// Index underlyings, quoted under `index` by `/market-data/by-type`.
    static let indices: Set<String> = ["SPX", "NDX", "VIX", "RUT", "XSP", "DJX", "OEX", "XEO"]

    var name: String { "chain \(underlying)" }
    private var isFutures: Bool { underlying.hasPrefix("/") }
    private var clock: any StageClock { context.clock }

    /// When options of `date` stop trading: 16:00 New York, taken as 21:00 UTC (an hour late in summer).
    static func expiry(_ date: CalendarDate) -> Timestamp { date.start.advanced(by: .seconds(21 * 3600)) }

    func run() async throws {
        var chains = try await fetch(first: true)
        var refreshAt = clock.now.advanced(by: refresh)
        var underlyings: Set<String> = []
        var current: ChainWindow.Selection?
        var reason = UniverseChange.Reason.chain
        while !Task.isCancelled {
            let now = clock.now
            let wanted = Set(window.expirations(chains, now: now, expiry: Self.expiry).map(\.expiration.underlyingStreamerSymbol))
            if wanted != underlyings {
                underlyings = wanted
                prices.watch(wanted)
                try await apply(name + " underlying", wanted.sorted().flatMap { [FeedSubscription(type: "Quote", symbol: $0), FeedSubscription(type: "Trade", symbol: $0)] }, .chain)
                await seed(wanted)
            }
            let selection = window.select(chains, now: now, prices: prices.snapshot, expiry: Self.expiry)
            if selection.subscriptions != current?.subscriptions {
                // The first contracts subscribed are the chain's, even when a price had to come first.
                if current?.subscriptions.isEmpty ?? true { reason = .chain }
                try await apply(name, selection.subscriptions, reason)
                context.logger.info(reason == .recenter ? "option chain window re-centred" : "option chain window subscribed", metadata: [
                    "underlying": "\(underlying)", "contracts": "\(selection.subscriptions.count / max(1, window.events.count))",
                    "expirations": "\(selection.slices.count)", "centre": "\(Self.describe(selection.slices, chains))", "reason": "\(reason.rawValue)",
                ])
            }
            if selection.slices.isEmpty && selection.unpriced.isEmpty && current?.slices.isEmpty != true {
                context.logger.warning("the option chain window holds no contracts", metadata: [
                    "underlying": "\(underlying)", "dte": "\(window.minDTE)–\(window.maxDTE)", "roots": "\(window.roots.map { $0.sorted().joined(separator: ",") } ?? "all")",
                ])
            }
            current = selection
            // Wake for the next expiry in the window, the next UTC midnight (the DTE window moves), or the
            // chain refresh; re-centre as soon as the underlying has moved far enough.
            let midnight = CalendarDate(now).adding(days: 1).start
            let deadline = ([refreshAt, midnight] + selection.slices.map { Self.expiry($0.date) }).filter { $0 > now }.min() ?? refreshAt
            reason = .expiry
            while true {
                if window.needsRecentre(selection, chains: chains, prices: prices.snapshot) { reason = .recenter; break }
                if try await clock.sleep(until: deadline, unless: prices.changes.next()) {
                    if deadline == midnight { reason = .chain }
                    break
                }
            }
            if clock.now >= refreshAt {
                reason = .chain
                do {
                    chains = try await fetch(first: false)
                    refreshAt = clock.now.advanced(by: refresh)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    refreshAt = clock.now.advanced(by: min(refresh, .seconds(60)))
                }
            }
        }
    }

    /// The chain; at start, retried with backoff until it comes; an unknown underlying or root fails
    /// the stage at once.
    private func fetch(first: Bool) async throws -> [OptionChain] {
        var attempt = 0
        while true {
            do {
                let chains = isFutures ? try await client.futuresOptionChains(product: underlying) : try await client.optionChains(underlying: underlying)
                guard !chains.isEmpty else {
                    throw StageError(.unknownSymbol, "option_chains: tastytrade lists no option chain for \"\(underlying)\"")
                }
                if let roots = window.roots {
                    let listed = Set(chains.map(\.root))
                    let missing = roots.subtracting(listed)
                    if !missing.isEmpty {
                        throw StageError(.unknownSymbol, "option_chains: \(underlying) has no root \(missing.sorted().joined(separator: ", ")); its roots are \(listed.sorted().joined(separator: ", "))")
                    }
                }
                return chains
            } catch let error as TastytradeError where error.kind == .notFound {
                throw StageError(.unknownSymbol, "option_chains: unknown underlying \"\(underlying)\" (\(error.message))", underlying: error)
            } catch let error as TastytradeError where error.kind == .cancelled {
                throw CancellationError()
            } catch let error as TastytradeError {
                guard first else {
                    context.logger.warning("could not refresh the option chain; keeping the current subscriptions", metadata: ["underlying": "\(underlying)", "error": "\(error)"])
                    throw error
                }
                attempt += 1
                let delay = Duration.seconds(min(30, 1 << min(attempt - 1, 5)))
                context.logger.warning("could not fetch the option chain; retrying", metadata: [
                    "underlying": "\(underlying)", "attempt": "\(attempt)", "delay": "\(DurationText.format(delay))", "error": "\(error)",
                ])
                try await clock.sleep(for: delay)
            }
        }
    }

    /// Prices the underlyings from REST quotes until the feed's own arrive (futures wait for the feed).
    private func seed(_ symbols: Set<String>) async {
        let known = prices.snapshot
        let missing = symbols.filter { known[$0] == nil && !$0.hasPrefix("/") }
        guard !missing.isEmpty else { return }
        let indices = missing.filter(Self.indices.contains), equities = missing.filter { !Self.indices.contains($0) }
        do {
            for quote in try await client.quotes([("index", indices.sorted()), ("equity", equities.sorted())]) {
                if let price = quote.price { prices.set(quote.symbol, price) }
            }
        } catch {
            context.logger.info("no REST quote for the chain's underlying; centring on the feed's first price", metadata: ["underlying": "\(underlying)", "error": "\(error)"])
        }
    }

    private static func describe(_ slices: [ChainWindow.Slice], _ chains: [OptionChain]) -> String {
        guard let first = slices.first, let chain = chains.first(where: { $0.root == first.root }),
              let e = chain.expirations.first(where: { $0.date == first.date }), e.strikes.indices.contains(first.centre) else { return "-" }
        return "\(e.strikes[first.centre].price)"
    }
}
