public import DXLink
public import MarketData
public import SluiceCore

/// `dxlink_decode` (decode): raw DXLink frames to typed ``MarketEvent``s.
///
/// COMPACT and FULL, several event types and many events per frame, field order from the layout each frame
/// carries. Snapshots and transactions of indexed events are assembled (``SnapshotAssembler``) unless
/// `snapshots` is `raw`. Malformed frames and events are counted as skipped and logged (rate-limited).
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

        public static let spec = ConfigSpec([
            ConfigField("snapshots", Snapshots.self, default: .merge, doc: "merge: hold history snapshots until complete and release them oldest first with removals applied; raw: pass events as received, flags and all."),
            ConfigField("feed_status", .boolean, default: .bool(true), doc: "Emit feed-state events (connected, disconnected, …) in the stream."),
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

    public func run(input: Inbound<DXLinkFrame>, output: Outbound<MarketEvent>) async throws {
        var decoder = FeedDecoder()
        var assembler = SnapshotAssembler()
        let merge = configuration.snapshots == .merge
        var decoded: [MarketEvent] = []
        var out: [MarketEvent] = []
        var epoch: Int64 = 0
        var seen = FeedDecoder.Statistics()
        for try await batch in input {
            out.removeAll(keepingCapacity: true)
            for frame in batch {
                if frame.epoch != epoch {
                    epoch = frame.epoch
                    let dropped = assembler.reset()
                    if dropped > 0 { context.skip("\(dropped) events of an unfinished snapshot dropped at reconnect", count: dropped) }
                }
                switch frame.content {
                case .status(let status):
                    if configuration.feedStatus { out.append(.feed(status)) }
                case .data(let text, let layout):
                    if merge {
                        decoded.removeAll(keepingCapacity: true)
                        decoder.decode(text, layout: layout, into: &decoded)
                        for e in decoded {
                            if let type = e.type { assembler.add(e, type: type, to: &out) } else { out.append(e) }
                        }
                    } else {
                        decoder.decode(text, layout: layout, into: &out)
                    }
                }
            }
            let now = decoder.statistics
            let bad = (now.malformedFrames - seen.malformedFrames) + (now.malformedEvents - seen.malformedEvents) + (now.unknownEventTypes - seen.unknownEventTypes)
            if bad > 0 { context.skip(decoder.lastProblem ?? "malformed frame", count: bad) }
            seen = now
            if !out.isEmpty { try await output.send(out) }
        }
        if assembler.heldEvents > 0 {
            context.skip("\(assembler.heldEvents) events of an unfinished snapshot at end of input", count: assembler.heldEvents)
        }
    }
}
