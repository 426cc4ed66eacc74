public import DXLink
import Logging
public import MarketData
public import SluiceCore

/// `dxlink_decode` (decode): raw DXLink frames to typed ``MarketEvent``s.
///
/// COMPACT and FULL, several event types and many events per frame, field order from the layout each frame
/// carries. Snapshots and transactions of indexed events are assembled (``SnapshotAssembler``) unless
/// `snapshots` is `raw`. Malformed frames and events are counted as skipped and logged (rate-limited).
///
/// It also watches every subscription its source made (``SymbolWatch``, with the source's `no_data_after`
/// and `stale_after`): one that never delivers, or goes quiet, is logged, reported to `/health` and
/// `/metrics`, and sent downstream as a `Symbol` record.
public struct DXLinkDecodeStage: Stage {
    public typealias Input = DXLinkFrame
    public typealias Output = MarketEvent

    /// The configuration of `dxlink_decode`.
    public struct Configuration: StageConfiguration {
        /// What the stage does with snapshots and transactions of indexed events.
        public enum Snapshots: String, ConfigOption {
            /// Assemble them: a snapshot is released complete, oldest first, with removals applied.
            case merge
            /// Pass events exactly as received, flags and all.
            case raw
        }

        /// `merge` (assemble snapshots and transactions) or `raw` (events exactly as received).
        public var snapshots: Snapshots
        /// Emit feed-state events.
        public var feedStatus: Bool
        /// Emit symbol-state events.
        public var symbolStatus: Bool

        public static let spec = ConfigSpec([
            ConfigField("snapshots", Snapshots.self, default: .merge, doc: "merge: hold history snapshots until complete and release them oldest first with removals applied; raw: pass events as received, flags and all."),
            ConfigField("feed_status", .boolean, default: .bool(true), doc: "Emit feed-state events (connected, disconnected, …) in the stream."),
            ConfigField("symbol_status", .boolean, default: .bool(true), doc: "Emit `Symbol` events when a subscription has no data, goes stale or is fresh again (the source's `no_data_after`, `stale_after`); they are logged and in /health either way."),
        ])
    }

    public static let kind = "dxlink_decode"
    public static let summary = "Decodes DXLink frames (COMPACT and FULL) into typed market events."

    public static func emittedKinds(_ configuration: Configuration) -> Set<String>? {
        Set(MarketEvent.eventKinds ?? [])
    }

    let configuration: Configuration
    let context: StageContext

    public init(configuration: Configuration, context: StageContext) {
        self.configuration = configuration
        self.context = context
    }

    /// How often the stage looks at the clock (the watch's own interval decides when it judges).
    static let tick = Duration.milliseconds(250)

    public func run(input: Inbound<DXLinkFrame>, output: Outbound<MarketEvent>) async throws {
        var decoder = FeedDecoder()
        var assembler = SnapshotAssembler()
        let merge = configuration.snapshots == .merge
        var decoded: [MarketEvent] = []
        var out: [MarketEvent] = []
        var epoch: Int64 = 0
        var seen = FeedDecoder.Statistics()
        var watch = SymbolWatch()
        var watchInterval = Duration.seconds(1)
        var lastCheck = Timestamp(nanosecondsSinceEpoch: .min)
        var changes: [SymbolStatus] = []
        try await input.forEach(tickingEvery: Self.tick, clock: context.clock) { step in
            switch step {
            case .tick(let now):
                guard watch.count > 0, lastCheck.duration(to: now) >= watchInterval else { return }
                lastCheck = now
                changes.removeAll(keepingCapacity: true)
                guard watch.check(now: now, into: &changes) else { return }
                report(watch)
                log(changes)
                if configuration.symbolStatus, !changes.isEmpty { try await output.send(changes.map(MarketEvent.symbol)) }
            case .batch(let batch):
                out.removeAll(keepingCapacity: true)
                for frame in batch {
                    if frame.epoch != epoch {
                        epoch = frame.epoch
                        let dropped = assembler.reset()
                        if dropped > 0 { context.skip("\(dropped) events of an unfinished snapshot dropped at reconnect", count: dropped) }
                    }
                    switch frame.content {
                    case .status(let status):
                        if status.state == .subscribed {
                            if let plan = frame.watch {
                                watch.subscribed(plan, at: status.time)
                                watchInterval = plan.checkInterval
                                report(watch)
                            }
                        } else {
                            watch.feedDown()
                        }
                        if configuration.feedStatus { out.append(.feed(status)) }
                    case .universe(let changes):
                        if let plan = frame.watch {
                            watch.changed(plan, at: frame.receiveTime)
                            watchInterval = plan.checkInterval
                            report(watch)
                        }
                        out.append(contentsOf: changes.map(MarketEvent.universe))
                    case .data(let text, let layout):
                        let first = out.count
                        if merge {
                            decoded.removeAll(keepingCapacity: true)
                            decoder.decode(text, layout: layout, into: &decoded)
                            if watch.needsEvents { observe(decoded[...], at: frame.receiveTime, in: &watch) }
                            for e in decoded {
                                if let type = e.type { assembler.add(e, type: type, to: &out) } else { out.append(e) }
                            }
                        } else {
                            decoder.decode(text, layout: layout, into: &out)
                            if watch.needsEvents { observe(out[first...], at: frame.receiveTime, in: &watch) }
                        }
                    }
                }
                let now = decoder.statistics
                let bad = (now.malformedFrames - seen.malformedFrames) + (now.malformedEvents - seen.malformedEvents) + (now.unknownEventTypes - seen.unknownEventTypes)
                if bad > 0 { context.skip(decoder.lastProblem ?? "malformed frame", count: bad) }
                seen = now
                if !out.isEmpty { try await output.send(out) }
            }
        }
        if assembler.heldEvents > 0 {
            context.skip("\(assembler.heldEvents) events of an unfinished snapshot at end of input", count: assembler.heldEvents)
        }
    }

    private func observe(_ events: ArraySlice<MarketEvent>, at time: Timestamp, in watch: inout SymbolWatch) {
        for e in events {
            if let type = e.type, let symbol = e.symbol { watch.observe(symbol: symbol, type: type, at: time) }
        }
    }

    /// The subscriptions listed in logs (the counts are always complete).
    static let listed = 10

    private func report(_ watch: SymbolWatch) {
        let s = watch.summary()
        context.reportSymbols(SymbolHealth(
            watched: watch.count, counts: Dictionary(uniqueKeysWithValues: s.counts.map { ($0.key.rawValue, $0.value) }),
            noData: s.noData.map(\.description), stale: s.stale.map(\.description)))
    }

    private func log(_ changes: [SymbolStatus]) {
        for state in [SymbolStatus.State.noData, .stale, .fresh] {
            let these = changes.filter { $0.state == state }
            guard !these.isEmpty else { continue }
            var list = these.prefix(Self.listed).map { "\($0.symbol) \($0.watchedType.rawValue)" }.joined(separator: ", ")
            if these.count > Self.listed { list += " and \(these.count - Self.listed) more" }
            let metadata: Logger.Metadata = ["subscriptions": "\(these.count)"]
            switch state {
            case .noData:
                context.logger.warning("no data for \(list) after \(DurationText.format(.seconds(these[0].quietSeconds.rounded())))", metadata: metadata)
            case .stale:
                context.logger.warning("quiet for longer than stale_after: \(list)", metadata: metadata)
            case .fresh, .waiting:
                context.logger.info("delivering again: \(list)", metadata: metadata)
            }
        }
    }
}
