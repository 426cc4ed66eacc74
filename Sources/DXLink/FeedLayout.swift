public import SluiceCore
/// The data format of a FEED channel.
public enum DataFormat: String, Hashable, ConfigOption {
    /// `["Quote", [v1, v2, …]]`: values in the order of the field list in effect.
    case compact = "COMPACT"
    /// An object per event, keyed by field name.
    case full = "FULL"
}

/// How the events of one FEED channel are laid out: the data format and, per event type, the field list
/// in effect (what the client asked for, overwritten by what FEED_CONFIG reports).
///
/// Immutable and shared: every data frame points at the layout it was received under, so frames are
/// self-describing and a recording can be decoded later. A change makes a new layout with a new ``id``.
public final class FeedLayout: Sendable, Hashable, CustomStringConvertible {
    /// A number unique among the layouts of one source (stable within a recording).
    public let id: Int
    /// The channel the layout belongs to.
    public let channel: Int
    /// The data format.
    public let dataFormat: DataFormat
    /// Event type name → wire field names in COMPACT order.
    public let eventFields: [String: [String]]

    /// Creates a layout.
    public init(id: Int, channel: Int, dataFormat: DataFormat, eventFields: [String: [String]]) {
        self.id = id
        self.channel = channel
        self.dataFormat = dataFormat
        self.eventFields = eventFields
    }

    public static func == (lhs: FeedLayout, rhs: FeedLayout) -> Bool {
        lhs.id == rhs.id && lhs.channel == rhs.channel && lhs.dataFormat == rhs.dataFormat && lhs.eventFields == rhs.eventFields
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(channel)
    }

    public var description: String {
        "layout \(id) (channel \(channel), \(dataFormat.rawValue), \(eventFields.keys.sorted().joined(separator: ", ")))"
    }
}
