import DXLink
import MarketData
import SluiceCore
import Synchronization

/// The live prices of the underlyings a chain window centres on, read from the source's own frames —
/// only frames that name a watched symbol are decoded — and seeded from REST quotes: the quote's mid,
/// or the last trade for a symbol that has no quotes (an index). A move of more than
/// a basis point wakes whoever waits on ``changes``.
final class UnderlyingPrices: Sendable {
    private struct State {
        var watched: [String: [UInt8]] = [:]  // symbol → its quoted form, `"SPX"`
        var prices: [String: Double] = [:]
        var announced: [String: Double] = [:]
        /// Symbols with a quote: their trades (prints that jump around the mid) no longer move the price.
        var quoted: Set<String> = []
    }

    private let state = Mutex(State())
    private let watching = Atomic<Bool>(false)
    /// Woken when a watched price moves.
    let changes = ReloadRequests()

    /// Starts watching `symbols` (streamer symbols).
    func watch(_ symbols: some Sequence<String>) {
        state.withLock { s in
            for symbol in symbols where s.watched[symbol] == nil { s.watched[symbol] = Array("\"\(symbol)\"".utf8) }
        }
        watching.store(true, ordering: .releasing)
    }

    /// Every known price.
    var snapshot: [String: Double] { state.withLock { $0.prices } }

    /// Sets a price (from a REST quote, or an event).
    func set(_ symbol: String, _ price: Double, fromTrade: Bool = false, fromQuote: Bool = false) {
        guard price > 0, price.isFinite else { return }
        let moved = state.withLock { s -> Bool in
            guard s.watched[symbol] != nil else { return false }
            if fromQuote { s.quoted.insert(symbol) } else if fromTrade, s.quoted.contains(symbol) { return false }
            s.prices[symbol] = price
            if let last = s.announced[symbol], abs(price - last) <= last * 0.0001 { return false }
            s.announced[symbol] = price
            return true
        }
        if moved { changes.request() }
    }

    /// Takes the last Trade price or Quote mid of each watched symbol in a data frame.
    func observe(_ frame: DXLinkFrame) {
        guard watching.load(ordering: .acquiring), case .data(let text, let layout) = frame.content,
              layout.eventFields["Quote"] != nil || layout.eventFields["Trade"] != nil else { return }
        let named = state.withLock { s in s.watched.values.contains { needle in Self.contains(text, needle) } }
        guard named else { return }
        var decoder = FeedDecoder()
        var events: [MarketEvent] = []
        _ = decoder.decode(text, layout: layout, into: &events)
        for event in events {
            switch event {
            case .trade(let t) where t.price > 0: set(t.eventSymbol, t.price, fromTrade: true)
            case .quote(let q) where q.bidPrice > 0 && q.askPrice >= q.bidPrice: set(q.eventSymbol, (q.bidPrice + q.askPrice) / 2, fromQuote: true)
            default: continue
            }
        }
    }

    private static func contains(_ text: String, _ needle: [UInt8]) -> Bool {
        var text = text
        return text.withUTF8 { haystack in
            guard haystack.count >= needle.count, let first = needle.first else { return false }
            var i = 0
            let last = haystack.count - needle.count
            while i <= last {
                if haystack[i] == first {
                    var j = 1
                    while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                    if j == needle.count { return true }
                }
                i += 1
            }
            return false
        }
    }
}
