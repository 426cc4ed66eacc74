public import SluiceCore

/// Watches every subscription of a feed for data, and says when one never delivers (`no_data`), when one
/// that was ticking goes quiet (`stale`), and when either delivers again (`fresh`).
///
/// A pure state machine: the decoder feeds it the subscriptions at each `subscribed`, every event it
/// decodes, the feed going down, and the time; it answers with ``SymbolStatus`` changes. Its memory is
/// fixed by the subscriptions (about 100 bytes each, plus the symbols' text): events for symbols that
/// were never subscribed are ignored, never stored.
///
/// ```swift
/// var watch = SymbolWatch()
/// watch.subscribed(plan, at: now)
/// watch.observe(symbol: "SPY", type: .quote, at: now)
/// var changes: [SymbolStatus] = []
/// watch.check(now: later, into: &changes)
/// ```
public struct SymbolWatch: Sendable {
    /// One subscription: a streamer symbol and an event type.
    public struct Subscription: Sendable, Hashable, CustomStringConvertible {
        /// The streamer symbol as subscribed (for candles with the period, `SPY{=5m}`).
        public var symbol: String
        /// The event type.
        public var type: MarketEventType

        /// Creates a subscription.
        public init(symbol: String, type: MarketEventType) {
            self.symbol = symbol
            self.type = type
        }

        /// `SPY Quote`.
        public var description: String { "\(symbol) \(type.rawValue)" }
    }

    /// What to watch and when to speak: the feed's subscriptions and the two limits.
    public struct Plan: Sendable, Hashable {
        /// The subscriptions (duplicates count once).
        public var subscriptions: [Subscription]
        /// A subscription with no event this long after it was subscribed is `no_data` (`nil`: never).
        public var noDataAfter: Duration?
        /// A subscription that delivered, then was quiet this long while the feed was up, is `stale`
        /// (`nil`: never; ``SymbolWatch/rarelyUpdated`` types: never).
        public var staleAfter: Duration?

        /// How often to ``SymbolWatch/check(now:into:)``: a quarter of the shorter limit, between 250 ms
        /// and 1 s, so a state is reported at most a second late.
        public var checkInterval: Duration {
            let shorter = [noDataAfter, staleAfter].compactMap { $0 }.min() ?? .seconds(1)
            return min(max(shorter / 4, .milliseconds(250)), .seconds(1))
        }

        /// Creates a plan.
        public init(subscriptions: [Subscription], noDataAfter: Duration?, staleAfter: Duration?) {
            self.subscriptions = subscriptions
            self.noDataAfter = noDataAfter
            self.staleAfter = staleAfter
        }
    }

    /// How many subscriptions are in each state, and the first few that are not delivering.
    public struct Summary: Sendable, Hashable {
        /// Subscriptions per state (every state present, zero included).
        public var counts: [SymbolStatus.State: Int]
        /// The first `limit` subscriptions in `no_data`, in subscription order.
        public var noData: [Subscription]
        /// The first `limit` subscriptions in `stale`, in subscription order.
        public var stale: [Subscription]
    }

    private static let never = Int64.min
    /// Event types a server sends once and then only when they change (a profile, the day's summary):
    /// quiet is their normal state, so they are never `stale` (they can be `no_data`).
    public static let rarelyUpdated: Set<MarketEventType> = [.profile, .summary]

    private var plan = Plan(subscriptions: [], noDataAfter: nil, staleAfter: nil)
    private var slots: [Subscription: Int] = [:]
    private var watched: [Subscription] = []
    /// Per slot: the last event's time, ns (``never`` before the first).
    private var lastEvent: [Int64] = []
    /// Per slot: when it was last (re)subscribed, ns.
    private var since: [Int64] = []
    private var states: [SymbolStatus.State] = []
    /// Per slot: when its state last changed, ns.
    private var changedAt: [Int64] = []
    /// Slots that never delivered (`waiting` or `no_data`).
    private var silentSlots = 0
    private var feedUp = false

    /// An empty watch: nothing subscribed.
    public init() {}

    /// The number of subscriptions watched.
    public var count: Int { watched.count }

    /// Whether ``observe(symbol:type:at:)`` can change anything: `false` once every subscription has
    /// delivered and `stale_after` is off, so a decoder can skip it on the hot path.
    public var needsEvents: Bool { !watched.isEmpty && (silentSlots > 0 || plan.staleAfter != nil) }

    /// The feed is subscribed to `plan` as of `time`: subscriptions new to the watch start `waiting`,
    /// ones that left are forgotten, and the quiet time of the rest restarts now (time while the feed
    /// was down is the feed's problem, not the symbol's).
    public mutating func subscribed(_ plan: Plan, at time: Timestamp) {
        let now = time.nanosecondsSinceEpoch
        feedUp = true
        if plan.subscriptions != self.plan.subscriptions {
            rebuild(plan.subscriptions)
        }
        self.plan = plan
        for i in since.indices { since[i] = now }
    }

    /// The source changed its subscriptions as of `time` while the feed may be up: new ones start
    /// `waiting` from now, ones that left are forgotten, the rest are untouched.
    public mutating func changed(_ plan: Plan, at time: Timestamp) {
        guard plan.subscriptions != self.plan.subscriptions else {
            self.plan = plan
            return
        }
        let previous = Set(watched)
        rebuild(plan.subscriptions, keepingSince: true)
        self.plan = plan
        let now = time.nanosecondsSinceEpoch
        for (i, s) in watched.enumerated() where !previous.contains(s) { since[i] = now }
    }

    /// The feed went down: nothing is judged until it is subscribed again.
    public mutating func feedDown() {
        feedUp = false
    }

    /// Notes an event of `type` for `symbol` at `time` (ignored unless subscribed).
    public mutating func observe(symbol: String, type: MarketEventType, at time: Timestamp) {
        guard let i = slots[Subscription(symbol: symbol, type: type)] else { return }
        let t = time.nanosecondsSinceEpoch
        if lastEvent[i] == Self.never { silentSlots -= 1 }
        if t > lastEvent[i] { lastEvent[i] = t }
    }

    /// Judges every subscription as of `now` and appends a ``SymbolStatus`` for each that changed state
    /// (`waiting` → `fresh` is not reported: that is every subscription working as it should). Does
    /// nothing while the feed is down. Returns whether any state changed, reported or not.
    @discardableResult
    public mutating func check(now time: Timestamp, into changes: inout [SymbolStatus]) -> Bool {
        guard feedUp else { return false }
        var changed = false
        let now = time.nanosecondsSinceEpoch
        let noData = plan.noDataAfter?.nanoseconds
        let stale = plan.staleAfter?.nanoseconds
        for i in watched.indices {
            let last = lastEvent[i]
            let state = states[i]
            let next: SymbolStatus.State
            switch state {
            case .noData:
                // Any event at all: it works now.
                guard last != Self.never else { continue }
                next = .fresh
            case .stale:
                // Only an event since it went stale.
                guard last > changedAt[i] else { continue }
                next = .fresh
            case .waiting, .fresh:
                if last == Self.never {
                    guard let noData, now &- since[i] >= noData else { continue }
                    next = .noData
                } else if let stale, !Self.rarelyUpdated.contains(watched[i].type), now &- max(last, since[i]) >= stale {
                    next = .stale
                } else {
                    next = .fresh
                }
            }
            guard next != state else { continue }
            changed = true
            states[i] = next
            changedAt[i] = now
            if state == .waiting && next == .fresh { continue }
            let quietFrom = last == Self.never ? since[i] : max(last, since[i])
            changes.append(SymbolStatus(
                symbol: watched[i].symbol, watchedType: watched[i].type, state: next, time: time,
                lastEventTime: last == Self.never ? nil : Timestamp(nanosecondsSinceEpoch: last),
                quietSeconds: next == .fresh ? 0 : Double(now &- quietFrom) / 1e9))
        }
        return changed
    }

    /// The states now, with at most `limit` subscriptions listed per state that is not delivering.
    public func summary(limit: Int = 100) -> Summary {
        var counts = Dictionary(uniqueKeysWithValues: SymbolStatus.State.allCases.map { ($0, 0) })
        var noData: [Subscription] = []
        var stale: [Subscription] = []
        for (i, state) in states.enumerated() {
            counts[state, default: 0] += 1
            if state == .noData, noData.count < limit { noData.append(watched[i]) }
            if state == .stale, stale.count < limit { stale.append(watched[i]) }
        }
        return Summary(counts: counts, noData: noData, stale: stale)
    }

    private mutating func rebuild(_ subscriptions: [Subscription], keepingSince: Bool = false) {
        var kept: [Subscription: (last: Int64, state: SymbolStatus.State, changed: Int64, since: Int64)] = [:]
        for (s, i) in slots { kept[s] = (lastEvent[i], states[i], changedAt[i], since[i]) }
        slots = [:]
        slots.reserveCapacity(subscriptions.count)
        watched = []
        lastEvent = []
        states = []
        changedAt = []
        silentSlots = 0
        for s in subscriptions where slots[s] == nil {
            slots[s] = watched.count
            watched.append(s)
            let old = kept[s]
            lastEvent.append(old?.last ?? Self.never)
            states.append(old?.state ?? .waiting)
            changedAt.append(old?.changed ?? 0)
            if (old?.last ?? Self.never) == Self.never { silentSlots += 1 }
        }
        since = watched.map { keepingSince ? kept[$0]?.since ?? 0 : 0 }
    }
}
