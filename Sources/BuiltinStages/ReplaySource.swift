public import DXLink
import Foundation
import MarketData
public import SluiceCore

/// `replay` (source): plays a `record` file back as DXLink frames — at the recorded pace times a factor,
/// or as fast as possible. Frames keep their recorded receive times and epochs, so decoding a replay gives
/// exactly the events of the live run. Lines that cannot be read are skipped and counted with their line
/// number.
public struct ReplaySource: Stage {
    public typealias Output = DXLinkFrame

    /// The configuration of `replay`.
    public struct Configuration: StageConfiguration {
        /// The recording.
        public var path: String
        /// Pace factor; `nil` means as fast as possible.
        public var speed: Double?

        enum CodingKeys: String, CodingKey { case path, speed }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decode(String.self, forKey: .path)
            if let text = try? c.decode(String.self, forKey: .speed), text == "max" {
                speed = nil
            } else {
                speed = try c.decode(Double.self, forKey: .speed)
            }
        }

        public static let spec = ConfigSpec([
            ConfigField("path", .string, doc: "A file written by the `record` stage."),
            ConfigField("speed", .either(.number(0.001...1_000_000), .oneOf(["max"])), default: .number(1), doc: "1 replays at the recorded pace, 10 ten times faster, \"max\" as fast as possible."),
        ])
    }

    public static let kind = "replay"
    /// Frame times a recording may hold: microseconds since 1970, up to the last that fits a ``Timestamp``
    /// (the year 2262).
    static let validMicroseconds: ClosedRange<Int64> = 0...(Int64.max / 1000)
    public static let summary = "Replays a recording of DXLink frames, at the recorded pace × speed or as fast as possible."

    let configuration: Configuration
    let context: StageContext

    public init(configuration: Configuration, context: StageContext) {
        self.configuration = configuration
        self.context = context
    }

    public func run(input: Inbound<Never>, output: Outbound<DXLinkFrame>) async throws {
        let path = configuration.path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StageError(.openFailed, "cannot read the recording \"\(path)\"")
        }
        var layouts: [Int: FeedLayout] = [:]
        var batch: [DXLinkFrame] = []
        var firstTime: Timestamp?
        let start = context.clock.now
        var lineNumber = 0
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            if context.shutdown.isRequested { break }
            guard !line.isEmpty else { continue }
            guard let object = (try? JSONDocument(parsing: line))?.root.objectValue else {
                context.skip("\(path):\(lineNumber): not a JSON object")
                continue
            }
            if let id = object["layout"]?.integerValue, object["frame"] == nil {
                guard let format = object["format"]?.stringValue.flatMap(DataFormat.init(rawValue:)),
                      let fields = object["fields"]?.objectValue else {
                    context.skip("\(path):\(lineNumber): layout without format or fields")
                    continue
                }
                var map: [String: [String]] = [:]
                for (k, v) in fields.entries { map[k] = v.arrayValue?.compactMap(\.stringValue) ?? [] }
                layouts[Int(id)] = FeedLayout(id: Int(id), channel: Int(object["channel"]?.integerValue ?? 0), dataFormat: format, eventFields: map)
                continue
            }
            guard let t = object["t"]?.integerValue, let epoch = object["epoch"]?.integerValue else {
                context.skip("\(path):\(lineNumber): a frame needs \"t\" and \"epoch\"")
                continue
            }
            guard Self.validMicroseconds.contains(t) else {
                context.skip("\(path):\(lineNumber): \"t\" \(t) is out of range; expected microseconds since 1970 from 0 to \(Self.validMicroseconds.upperBound)")
                continue
            }
            let time = Timestamp(nanosecondsSinceEpoch: t * 1000)
            let frame: DXLinkFrame
            if let text = object["frame"]?.stringValue {
                guard let id = object["layout"]?.integerValue, let layout = layouts[Int(id)] else {
                    context.skip("\(path):\(lineNumber): frame refers to a layout not defined above it")
                    continue
                }
                frame = DXLinkFrame(receiveTime: time, epoch: epoch, content: .data(text, layout))
            } else if let state = object["status"]?.stringValue.flatMap(FeedStatus.State.init(rawValue:)) {
                frame = DXLinkFrame(receiveTime: time, epoch: epoch, content: .status(FeedStatus(state: state, time: time, epoch: epoch, reason: object["reason"]?.stringValue)))
            } else if let list = object["universe"] {
                guard let changes = Self.universe(list, time: time) else {
                    context.skip("\(path):\(lineNumber): \"universe\" must be an array of {symbol, events, change, reason}")
                    continue
                }
                frame = DXLinkFrame(receiveTime: time, epoch: epoch, content: .universe(changes))
            } else {
                context.skip("\(path):\(lineNumber): neither a layout, a frame, a status nor a universe change")
                continue
            }
            if let speed = configuration.speed {
                let first = firstTime ?? time
                firstTime = first
                // In Double: the gap between two frame times, divided by a small speed, need not fit
                // in Int64 nanoseconds; a wait that long is clamped (about 292 years), never a trap.
                let gap = Double(time.nanosecondsSinceEpoch) - Double(first.nanosecondsSinceEpoch)
                let due = start.advanced(by: Duration.clampedSeconds(gap / speed / 1e9))
                if due > context.clock.now {
                    if !batch.isEmpty { try await output.send(batch); batch.removeAll(keepingCapacity: true) }
                    guard try await context.sleep(until: due) else { break }
                }
            }
            batch.append(frame)
            if batch.count >= 256 {
                try await output.send(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try await output.send(batch) }
    }

    /// The universe changes of a recorded line, or `nil` when any is not `{symbol, events, change, reason}`.
    static func universe(_ value: JSONValue, time: Timestamp) -> [UniverseChange]? {
        guard let items = value.arrayValue else { return nil }
        var changes: [UniverseChange] = []
        for value in items {
            guard let item = value.objectValue, let symbol = item["symbol"]?.stringValue,
                  let events = item["events"]?.arrayValue?.map({ $0.stringValue }), !events.contains(nil),
                  let change = item["change"]?.stringValue.flatMap(UniverseChange.Change.init(rawValue:)),
                  let reason = item["reason"]?.stringValue.flatMap(UniverseChange.Reason.init(rawValue:)) else { return nil }
            changes.append(UniverseChange(symbol: symbol, eventTypes: events.compactMap { $0 }, change: change, reason: reason, time: time))
        }
        return changes
    }
}
