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
    private let configuredKeys: Set<FeedSubscription.Key>

    init(configured: [FeedSubscription], events: [String]) {
        self.configured = configured
        self.events = events
        configuredKeys = Set(configured.map(\.key))
    }

    /// Every subscription: the configured ones, then the file's (none twice).
    var subscriptions: [FeedSubscription] {
        configured + fileSubscriptions(fileSymbols).filter { !configuredKeys.contains($0.key) }
    }

    private func fileSubscriptions(_ symbols: [String]) -> [FeedSubscription] {
        symbols.flatMap { symbol in events.map { FeedSubscription(type: $0, symbol: symbol) } }
    }

    /// The universe records of the first subscriptions: `configured`, then `file`.
    func initialChanges(at time: Timestamp) -> [UniverseChange] {
        Self.grouped(configured, change: .added, reason: .configured, at: time)
            + Self.grouped(fileSubscriptions(fileSymbols).filter { !configuredKeys.contains($0.key) }, change: .added, reason: .file, at: time)
    }

    /// Takes the file's new symbols; returns the subscriptions to add and remove (never a configured
    /// one) and their universe records.
    mutating func setFileSymbols(_ symbols: [String], at time: Timestamp)
        -> (add: [FeedSubscription], remove: [FeedSubscription], changes: [UniverseChange]) {
        let old = Set(fileSubscriptions(fileSymbols).map(\.key))
        let new = fileSubscriptions(symbols)
        let newKeys = Set(new.map(\.key))
        let add = new.filter { !old.contains($0.key) && !configuredKeys.contains($0.key) }
        let remove = fileSubscriptions(fileSymbols).filter { !newKeys.contains($0.key) && !configuredKeys.contains($0.key) }
        fileSymbols = symbols
        return (add, remove, Self.grouped(remove, change: .removed, reason: .file, at: time) + Self.grouped(add, change: .added, reason: .file, at: time))
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
