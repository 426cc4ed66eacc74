import DXLink
import MarketData
import SluiceCore
import Synchronization

/// What a `dxlink` source subscribes to and why: its configured subscriptions and the symbols of its
/// symbols file, each × its `events`. A value: the source keeps it behind a lock and asks it what
/// changes when the file does.
struct SourceUniverse: Sendable {
    /// The pipeline file's subscriptions (symbols × events, and candles).
    let configured: [FeedSubscription]
    /// The event types of each symbol from the file.
    let events: [String]
    /// The symbols file's symbols, in file order.
    private(set) var fileSymbols: [String] = []
    /// Symbols added through the operator endpoint, in the order added.
    private(set) var apiSymbols: [String] = []
    /// Subscriptions derived from option chains and futures products, by name (`chain SPX`, `futures ES`).
    private(set) var derived: [(name: String, subscriptions: [FeedSubscription])] = []
    private let configuredKeys: Set<FeedSubscription.Key>
    private let configuredSymbols: Set<String>

    init(configured: [FeedSubscription], events: [String]) {
        self.configured = configured
        self.events = events
        configuredKeys = Set(configured.map(\.key))
        configuredSymbols = Set(configured.map(\.symbol))
    }

    /// The symbols subscribed for `events` beside the configured ones: the file's, then the API's.
    private var dynamicSymbols: [String] {
        let inFile = Set(fileSymbols)
        return fileSymbols + apiSymbols.filter { !inFile.contains($0) }
    }

    /// Every subscription: the configured ones, then the file's and the API's, then the derived ones
    /// (none twice).
    var subscriptions: [FeedSubscription] {
        configured + extra
    }

    /// The subscriptions beside the configured ones, none twice.
    private var extra: [FeedSubscription] {
        var out = dynamicSubscriptions(dynamicSymbols)
        guard !derived.isEmpty else { return out }
        var seen = configuredKeys.union(out.map(\.key))
        for set in derived {
            for s in set.subscriptions where seen.insert(s.key).inserted { out.append(s) }
        }
        return out
    }

    private func dynamicSubscriptions(_ symbols: [String]) -> [FeedSubscription] {
        symbols.flatMap { symbol in events.map { FeedSubscription(type: $0, symbol: symbol) } }.filter { !configuredKeys.contains($0.key) }
    }

    /// The universe records of the first subscriptions: `configured`, then `file`.
    func initialChanges(at time: Timestamp) -> [UniverseChange] {
        Self.grouped(configured, change: .added, reason: .configured, at: time)
            + Self.grouped(dynamicSubscriptions(dynamicSymbols), change: .added, reason: .file, at: time)
    }

    /// A change of the universe: what to send, and the records that say so.
    struct Change {
        var add: [FeedSubscription]
        var remove: [FeedSubscription]
        var changes: [UniverseChange]
    }

    /// Applies `update` to the file and API symbols, and returns the subscriptions it adds and removes
    /// (never a configured one), with their universe records.
    private mutating func transition(reason: UniverseChange.Reason, at time: Timestamp, _ update: (inout SourceUniverse) -> Void) -> Change {
        let before = extra
        update(&self)
        let after = extra
        let beforeKeys = Set(before.map(\.key)), afterKeys = Set(after.map(\.key))
        let add = after.filter { !beforeKeys.contains($0.key) }
        let remove = before.filter { !afterKeys.contains($0.key) }
        return Change(add: add, remove: remove,
                      changes: Self.grouped(remove, change: .removed, reason: reason, at: time) + Self.grouped(add, change: .added, reason: reason, at: time))
    }

    /// Replaces the derived subscriptions named `name` (a chain's window, a future's contract).
    mutating func setDerived(_ name: String, _ subscriptions: [FeedSubscription], reason: UniverseChange.Reason, at time: Timestamp) -> Change {
        transition(reason: reason, at: time) { u in
            if let i = u.derived.firstIndex(where: { $0.name == name }) {
                u.derived[i].subscriptions = subscriptions
            } else {
                u.derived.append((name, subscriptions))
            }
        }
    }

    /// Takes the file's new symbols.
    mutating func setFileSymbols(_ symbols: [String], at time: Timestamp) -> Change {
        transition(reason: .file, at: time) { $0.fileSymbols = symbols }
    }

    /// Applies an operator's request: adds become API symbols; only API symbols can be removed (a
    /// configured or file symbol belongs to the pipeline file or the symbols file).
    mutating func apply(_ request: SubscriptionRequest, at time: Timestamp) -> (change: Change, reply: SubscriptionReply) {
        var unchanged: [SubscriptionReply.Unchanged] = []
        let change = transition(reason: .api, at: time) { u in
            for symbol in request.remove {
                if let i = u.apiSymbols.firstIndex(of: symbol) {
                    u.apiSymbols.remove(at: i)
                } else {
                    let why = u.configuredSymbols.contains(symbol) ? "configured in the pipeline file" : u.fileSymbols.contains(symbol) ? "in the symbols file" : "not subscribed"
                    unchanged.append(.init(symbol: symbol, reason: why + "; only symbols added through the API can be removed here"))
                }
            }
            for symbol in request.add {
                if u.apiSymbols.contains(symbol) || u.fileSymbols.contains(symbol) || u.configuredSymbols.contains(symbol) {
                    unchanged.append(.init(symbol: symbol, reason: "already subscribed"))
                } else {
                    u.apiSymbols.append(symbol)
                }
            }
        }
        let added = Self.grouped(change.add, change: .added, reason: .api, at: time).map(\.symbol)
        let removed = Self.grouped(change.remove, change: .removed, reason: .api, at: time).map(\.symbol)
        // A symbol removed from the API that is still in the file stays subscribed.
        for symbol in request.remove where !removed.contains(symbol) && !unchanged.contains(where: { $0.symbol == symbol }) {
            unchanged.append(.init(symbol: symbol, reason: "still in the symbols file"))
        }
        return (change, SubscriptionReply(added: added, removed: removed, unchanged: unchanged))
    }

    /// One record per symbol with its event types, in first-seen order.
    static func grouped(_ subscriptions: [FeedSubscription], change: UniverseChange.Change, reason: UniverseChange.Reason, at time: Timestamp) -> [UniverseChange] {
        var order: [String] = []
        var types: [String: [String]] = [:]
        for s in subscriptions {
            if types[s.symbol] == nil { order.append(s.symbol) }
            types[s.symbol, default: []].append(s.type)
        }
        return order.map { UniverseChange(symbol: $0, eventTypes: types[$0]!, change: change, reason: reason, time: time) }
    }
}

extension FeedSubscription {
    /// Type and symbol: what identifies a subscription (its `fromTime` does not).
    struct Key: Hashable { let type: String, symbol: String }
    var key: Key { Key(type: type, symbol: symbol) }
}

/// A ``SourceUniverse`` shared by the source's tasks (the session's hand-off and the file follower).
final class SharedUniverse: Sendable {
    private let value: Mutex<SourceUniverse>

    init(_ universe: sending SourceUniverse) { value = Mutex(universe) }

    func withLock<R: Sendable>(_ body: (inout SourceUniverse) -> R) -> R { value.withLock { body(&$0) } }
}
