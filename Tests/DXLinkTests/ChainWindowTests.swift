@testable import BuiltinStages
import DXLink
import MarketData
import SluiceCore
import Tastytrade
import Testing

/// Which contracts of a chain a source subscribes to, and when the window moves.
@Suite("Option chain windows")
struct ChainWindowTests {
    static let now = Timestamp(millisecondsSinceEpoch: 1_796_688_000_000 + 15 * 3_600_000)  // 2026-12-08 15:00 UTC, a Tuesday
    static let today = CalendarDate(now)

    /// A chain with uneven strike spacing (1 near the money, 5 farther out) and several expirations.
    static func chain(root: String, underlying: String = "XYZ", days: [Int64]) -> OptionChain {
        let prices: [Double] = [80, 85, 90, 95] + (96...104).map(Double.init) + [105, 110, 115, 120]
        return OptionChain(underlying: underlying, root: root, expirations: days.map { d in
            let date = today.adding(days: d)
            return OptionChain.Expiration(date: date, underlyingStreamerSymbol: underlying, strikes: prices.map { k in
                let thousandths = Int64(k * 1000)
                return OptionChain.Strike(price: k,
                                          callStreamerSymbol: OptionSymbol(root: root, expiration: date, kind: .call, strikeThousandths: thousandths)!.streamerSymbol,
                                          putStreamerSymbol: OptionSymbol(root: root, expiration: date, kind: .put, strikeThousandths: thousandths)!.streamerSymbol)
            })
        })
    }

    static let chains = [chain(root: "XYZ", days: [3, 10, 38]), chain(root: "XYZW", days: [0, 1, 2, 3, 9])]

    func window(roots: Set<String>? = ["XYZW"], dte: ClosedRange<Int64> = 0...2, strikes: Int = 2, kinds: [OptionSymbol.Kind] = [.call, .put]) -> ChainWindow {
        ChainWindow(roots: roots, minDTE: dte.lowerBound, maxDTE: dte.upperBound, strikesAroundATM: strikes, kinds: kinds, events: ["Quote"], recenterStrikes: 2)
    }

    @Test("the window keeps its roots and its DTE range, and N strikes each side of the listed strike nearest the price")
    func selection() {
        let s = window().select(Self.chains, now: Self.now, prices: ["XYZ": 100.4], expiry: ChainFollower.expiry)
        #expect(s.slices.map { "\($0.root) \($0.date)" } == ["XYZW 2026-12-08", "XYZW 2026-12-09", "XYZW 2026-12-10"])
        let first = s.subscriptions.prefix(10).map(\.symbol)
        #expect(first == [98, 99, 100, 101, 102].flatMap { k in [".XYZW261208C\(k)", ".XYZW261208P\(k)"] })
        #expect(s.subscriptions.count == 3 * 5 * 2)
        #expect(Set(s.subscriptions.map(\.type)) == ["Quote"])
    }

    @Test("every root when none is named; calls only; a window that runs off the listed strikes is cut there, never padded")
    func rootsKindsAndEdges() {
        let s = window(roots: nil, dte: 3...3, strikes: 3, kinds: [.call]).select(Self.chains, now: Self.now, prices: ["XYZ": 119], expiry: ChainFollower.expiry)
        #expect(s.slices.map(\.root) == ["XYZ", "XYZW"])
        #expect(s.subscriptions.map(\.symbol) == [".XYZ261211C105", ".XYZ261211C110", ".XYZ261211C115", ".XYZ261211C120",
                                                  ".XYZW261211C105", ".XYZW261211C110", ".XYZW261211C115", ".XYZW261211C120"])
    }

    @Test("today's expiration leaves at the close; an expiration whose underlying has no price waits for one")
    func expiryAndPrice() {
        let afterClose = Self.today.start.advanced(by: .seconds(21 * 3600 + 1))
        let s = window().select(Self.chains, now: afterClose, prices: ["XYZ": 100], expiry: ChainFollower.expiry)
        #expect(s.slices.map(\.date.description) == ["2026-12-09", "2026-12-10"])
        let unpriced = window().select(Self.chains, now: Self.now, prices: [:], expiry: ChainFollower.expiry)
        #expect(unpriced.subscriptions.isEmpty && unpriced.unpriced == ["XYZ"])
        #expect(window().needsRecentre(unpriced, chains: Self.chains, prices: ["XYZ": 100]), "the first price centres it")
        let empty = window(dte: 20...30).select(Self.chains, now: Self.now, prices: ["XYZ": 100], expiry: ChainFollower.expiry)
        #expect(empty.slices.isEmpty && empty.unpriced.isEmpty, "no expiration in the window: nothing to subscribe, nothing to wait for")
    }

    @Test("re-centring waits until the at-the-money strike is recenter_strikes away, counted in listed strikes, not points")
    func recentre() {
        let w = window()
        let s = w.select(Self.chains, now: Self.now, prices: ["XYZ": 100], expiry: ChainFollower.expiry)
        #expect(!w.needsRecentre(s, chains: Self.chains, prices: ["XYZ": 101.4]), "one strike away")
        #expect(w.needsRecentre(s, chains: Self.chains, prices: ["XYZ": 101.6]), "two strikes away")
        // Far from the money strikes are 5 apart: the same two strikes are ten points.
        let low = w.select(Self.chains, now: Self.now, prices: ["XYZ": 84], expiry: ChainFollower.expiry)
        #expect(!w.needsRecentre(low, chains: Self.chains, prices: ["XYZ": 89]))
        #expect(w.needsRecentre(low, chains: Self.chains, prices: ["XYZ": 93]))
    }

    @Test("the nearest strike by binary search agrees with a linear scan", arguments: 0..<3)
    func nearest(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<300 {
            var prices = Set<Double>()
            for _ in 0..<(1 + rng.next() % 40) { prices.insert(Double(1 + rng.next() % 400) / 2) }
            let strikes = prices.sorted().map { OptionChain.Strike(price: $0) }
            let price = Double(rng.next() % 220)
            let linear = strikes.indices.min { abs(strikes[$0].price - price) < abs(strikes[$1].price - price) }!
            #expect(abs(strikes[ChainWindow.nearest(strikes, to: price)].price - price) == abs(strikes[linear].price - price))
        }
    }

    @Test("derived subscriptions join the universe beside the configured ones, none twice, and a re-centre is exactly the difference")
    func universe() {
        var u = SourceUniverse(configured: [FeedSubscription(type: "Quote", symbol: "XYZ")], events: ["Quote"])
        let t = Self.now
        let first = u.setDerived("chain XYZ", [FeedSubscription(type: "Quote", symbol: "XYZ"), FeedSubscription(type: "Quote", symbol: ".A"), FeedSubscription(type: "Quote", symbol: ".B")], reason: .chain, at: t)
        #expect(first.add.map(\.symbol) == [".A", ".B"], "the configured XYZ is not subscribed twice")
        let moved = u.setDerived("chain XYZ", [FeedSubscription(type: "Quote", symbol: ".B"), FeedSubscription(type: "Quote", symbol: ".C")], reason: .recenter, at: t)
        #expect(moved.add.map(\.symbol) == [".C"] && moved.remove.map(\.symbol) == [".A"])
        #expect(moved.changes.map { "\($0.change) \($0.symbol) \($0.reason)" } == ["removed .A recenter", "added .C recenter"])
        #expect(u.subscriptions.map(\.symbol) == ["XYZ", ".B", ".C"])
    }
}
