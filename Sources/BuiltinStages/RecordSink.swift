public import DXLink
public import SluiceCore
import SluiceRuntime
import Foundation

/// `record` (sink): DXLink frames to a JSON-lines file, with receive times, connection epochs and the
/// layouts they decode with — everything `replay` needs to reproduce the stream.
///
/// Lines: `{"layout":ID,"channel":N,"format":"COMPACT","fields":{…}}` before the first frame that uses a
/// layout; `{"t":US,"epoch":E,"layout":ID,"frame":"…"}` per data frame (the message text as a JSON
/// string); `{"t":US,"epoch":E,"status":"…","reason":"…"}` per feed-state change. `t` is the receive time
/// in microseconds since the epoch (exact in a JSON number).
public struct RecordSink: Stage {
    public typealias Input = DXLinkFrame

    /// The configuration of `record`.
    public struct Configuration: StageConfiguration {
        /// The file.
        public var path: String
        /// Append instead of replacing.
        public var append: Bool

        public static let spec = ConfigSpec([
            ConfigField("path", .string, doc: "The recording file (JSON lines). Parent directories are created."),
            ConfigField("append", .boolean, default: .bool(false), doc: "Append to an existing recording (false: replace it)."),
        ])

        public func validate() -> [Diagnostic] {
            guard let problem = FileOutput.problem(withOutputPath: path) else { return [] }
            return [Diagnostic(.invalidValue, at: Self.spec.pointer("path"), problem, expected: "a file this process can write")]
        }
    }

    public static let kind = "record"
    public static let summary = "Records raw DXLink frames (with receive times and layouts) to a JSON-lines file for replay."

    let configuration: Configuration

    public init(configuration: Configuration, context: StageContext) {
        self.configuration = configuration
    }

    public func run(input: Inbound<DXLinkFrame>, output: Outbound<Never>) async throws {
        let path = configuration.path
        try FileOutput.createParentDirectories(of: path)
        let fd = try FileOutput.open(path, append: configuration.append)
        defer { close(fd) }
        var written = Set<Int>()
        var w = JSONWriter(capacity: 256 * 1024)
        for try await batch in input {
            w.bytes.removeAll(keepingCapacity: true)
            for frame in batch {
                switch frame.content {
                case .data(let text, let layout):
                    if written.insert(layout.id).inserted { Self.writeLayout(layout, into: &w) }
                    Self.writeStart(of: frame, into: &w)
                    w.raw(",\"layout\":")
                    w.integer(Int64(layout.id))
                    w.raw(",\"frame\":")
                    w.string(text)
                    w.raw("}\n")
                case .status(let status):
                    Self.writeStart(of: frame, into: &w)
                    w.raw(",\"status\":")
                    w.string(status.state.rawValue)
                    if let reason = status.reason {
                        w.raw(",\"reason\":")
                        w.string(reason)
                    }
                    w.raw("}\n")
                case .universe(let changes):
                    Self.writeStart(of: frame, into: &w)
                    w.raw(",\"universe\":")
                    w.write(.array(changes.map { c in
                        .object(JSONObject([("symbol", .string(c.symbol)), ("events", .array(c.eventTypes.map(JSONValue.string))),
                                            ("change", .string(c.change.rawValue)), ("reason", .string(c.reason.rawValue))]))
                    }))
                    w.raw("}\n")
                }
            }
            try FileOutput.writeAll(fd, w.bytes, path: path)
        }
    }

    /// `{"t":MICROSECONDS,"epoch":N` — how every frame line begins.
    static func writeStart(of frame: DXLinkFrame, into w: inout JSONWriter) {
        w.raw("{\"t\":")
        w.integer(frame.receiveTime.nanosecondsSinceEpoch / 1000)
        w.raw(",\"epoch\":")
        w.integer(frame.epoch)
    }

    static func writeLayout(_ layout: FeedLayout, into w: inout JSONWriter) {
        w.raw("{\"layout\":")
        w.integer(Int64(layout.id))
        w.raw(",\"channel\":")
        w.integer(Int64(layout.channel))
        w.raw(",\"format\":")
        w.string(layout.dataFormat.rawValue)
        w.raw(",\"fields\":")
        w.write(.object(JSONObject(layout.eventFields.keys.sorted().map { ($0, .array(layout.eventFields[$0]!.map(JSONValue.string))) })))
        w.raw("}\n")
    }
}
