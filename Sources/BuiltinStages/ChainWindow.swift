import DXLink
import MarketData
import SluiceCore
import Tastytrade

/// Which contracts of an option chain a `dxlink` source subscribes to — the roots, a days-to-expiration
/// window, calls and/or puts, the N strikes each side of the at-the-money one — and when the window must
/// re-centre. Pure: the chain, the date and the underlying's price in, subscriptions out.
///
/// The at-the-money strike of an expiration is its listed strike nearest the underlying's price
/// (strikes are never stepped by a fixed increment: spacing varies with the distance from the money).
struct ChainWindow: Sendable, Hashable {
    /// Roots to keep (`nil`: every root of the chain).
    var roots: Set<String>?
    /// Days to expiration, inclusive (calendar days from the UTC date).
    var minDTE: Int64
    var maxDTE: Int64
    /// Strikes each side of the at-the-money one.
    var strikesAroundATM: Int
    /// Calls, puts or both.
    var kinds: [OptionSymbol.Kind]
    /// Event types per contract.
    var events: [String]
    /// Re-centre once the at-the-money strike is this many strikes from the window's centre.
    var recenterStrikes: Int

    /// One expiration of the window, centred.
    struct Slice: Sendable, Hashable {
        var root: String
        var date: CalendarDate
        var underlying: String
        /// The index of the centre strike in the expiration's strikes.
        var centre: Int
    }

    /// What the window holds at a moment.
    struct Selection: Sendable, Hashable {
        var slices: [Slice]
        var subscriptions: [FeedSubscription]
        /// Expirations in the DTE window left out because their underlying has no price yet.
        var unpriced: Set<String>
    }

    /// The expirations of `chains` inside the window on `today` (expired ones, past `expiry`, left out).
    func expirations(_ chains: [OptionChain], now: Timestamp, expiry: (CalendarDate) -> Timestamp) -> [(root: String, expiration: OptionChain.Expiration)] {
        let today = CalendarDate(now)
        return chains.filter { roots?.contains($0.root) ?? true }.flatMap { chain in
            chain.expirations.filter { e in
                let dte = today.days(to: e.date)
                return dte >= minDTE && dte <= maxDTE && expiry(e.date) > now
            }.map { (chain.root, $0) }
        }
    }

    /// The window at `now` with the underlyings at `prices` (by streamer symbol).
    func select(_ chains: [OptionChain], now: Timestamp, prices: [String: Double], expiry: (CalendarDate) -> Timestamp) -> Selection {
        var slices: [Slice] = []
        var subscriptions: [FeedSubscription] = []
        var unpriced: Set<String> = []
        for (root, e) in expirations(chains, now: now, expiry: expiry) {
            guard let price = prices[e.underlyingStreamerSymbol], !e.strikes.isEmpty else {
                if !e.strikes.isEmpty { unpriced.insert(e.underlyingStreamerSymbol) }
                continue
            }
            let centre = Self.nearest(e.strikes, to: price)
            slices.append(Slice(root: root, date: e.date, underlying: e.underlyingStreamerSymbol, centre: centre))
            let lo = max(0, centre - strikesAroundATM), hi = min(e.strikes.count - 1, centre + strikesAroundATM)
            for strike in e.strikes[lo...hi] {
                for kind in kinds {
                    guard let symbol = strike.streamerSymbol(kind) else { continue }
                    for type in events { subscriptions.append(FeedSubscription(type: type, symbol: symbol)) }
                }
            }
        }
        return Selection(slices: slices, subscriptions: subscriptions, unpriced: unpriced)
    }

    /// Whether the window centred as `current` must move for `prices`: an expiration's at-the-money
    /// strike is `recenterStrikes` or more from its centre, or an underlying without a price has one.
    func needsRecentre(_ current: Selection, chains: [OptionChain], prices: [String: Double]) -> Bool {
        if current.unpriced.contains(where: { prices[$0] != nil }) { return true }
        var byKey: [String: OptionChain.Expiration] = [:]
        for chain in chains where roots?.contains(chain.root) ?? true {
            for e in chain.expirations { byKey[chain.root + "|" + e.date.description] = e }
        }
        for slice in current.slices {
            guard let e = byKey[slice.root + "|" + slice.date.description], let price = prices[slice.underlying] else { continue }
            if abs(Self.nearest(e.strikes, to: price) - slice.centre) >= recenterStrikes { return true }
        }
        return false
    }

    /// The index of the strike nearest `price` (the lower on a tie), by binary search.
    static func nearest(_ strikes: [OptionChain.Strike], to price: Double) -> Int {
        var lo = 0, hi = strikes.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if strikes[mid].price < price { lo = mid + 1 } else { hi = mid }
        }
        if lo > 0, abs(strikes[lo - 1].price - price) <= abs(strikes[lo].price - price) { return lo - 1 }
        return lo
    }
}
