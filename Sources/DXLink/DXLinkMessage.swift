public import SluiceCore

/// One subscription: an event type and symbol, with `fromTime` (epoch ms) for time series.
public struct FeedSubscription: Sendable, Hashable {
    /// The event type, e.g. `Quote`.
    public var type: String
    /// The streamer symbol (for candles including the period, e.g. `SPY{=5m}`).
    public var symbol: String
    /// For time series: history from this time, epoch milliseconds.
    public var fromTime: Int64?

    /// Creates a subscription.
    public init(type: String, symbol: String, fromTime: Int64? = nil) {
        self.type = type
        self.symbol = symbol
        self.fromTime = fromTime
    }

    func write(to w: inout JSONWriter) {
        w.raw("{\"type\":")
        w.string(type)
        w.raw(",\"symbol\":")
        w.string(symbol)
        if let fromTime {
            w.raw(",\"fromTime\":")
            w.integer(fromTime)
        }
        w.raw("}")
    }
}

/// A message a DXLink client sends.
public enum ClientMessage: Sendable, Hashable {
    case setup(version: String, keepaliveTimeout: Double, acceptKeepaliveTimeout: Double)
    case auth(token: String)
    case keepalive
    case channelRequest(channel: Int, contract: String)
    case channelCancel(channel: Int)
    case feedSetup(channel: Int, aggregationPeriod: Double?, dataFormat: String?, eventFields: [String: [String]])
    case feedSubscription(channel: Int, reset: Bool, add: [FeedSubscription], remove: [FeedSubscription])
    case error(channel: Int, error: String, message: String)

    /// The message type as on the wire.
    public var type: String {
        switch self {
        case .setup: return "SETUP"
        case .auth: return "AUTH"
        case .keepalive: return "KEEPALIVE"
        case .channelRequest: return "CHANNEL_REQUEST"
        case .channelCancel: return "CHANNEL_CANCEL"
        case .feedSetup: return "FEED_SETUP"
        case .feedSubscription: return "FEED_SUBSCRIPTION"
        case .error: return "ERROR"
        }
    }

    /// The message as JSON text.
    public var text: String {
        var w = JSONWriter()
        w.raw("{\"type\":")
        w.string(type)
        switch self {
        case let .setup(version, keepalive, accept):
            w.raw(",\"channel\":0,\"version\":")
            w.string(version)
            w.raw(",\"keepaliveTimeout\":")
            w.number(keepalive)
            w.raw(",\"acceptKeepaliveTimeout\":")
            w.number(accept)
        case .auth(let token):
            w.raw(",\"channel\":0,\"token\":")
            w.string(token)
        case .keepalive:
            w.raw(",\"channel\":0")
        case let .channelRequest(channel, contract):
            w.raw(",\"channel\":")
            w.integer(Int64(channel))
            w.raw(",\"service\":\"FEED\",\"parameters\":{\"contract\":")
            w.string(contract)
            w.raw("}")
        case .channelCancel(let channel):
            w.raw(",\"channel\":")
            w.integer(Int64(channel))
        case let .feedSetup(channel, period, format, fields):
            w.raw(",\"channel\":")
            w.integer(Int64(channel))
            if let period {
                w.raw(",\"acceptAggregationPeriod\":")
                w.number(period)
            }
            if let format {
                w.raw(",\"acceptDataFormat\":")
                w.string(format)
            }
            if !fields.isEmpty {
                w.raw(",\"acceptEventFields\":{")
                for (i, type) in fields.keys.sorted().enumerated() {
                    if i > 0 { w.raw(",") }
                    w.string(type)
                    w.raw(":[")
                    for (j, f) in fields[type]!.enumerated() {
                        if j > 0 { w.raw(",") }
                        w.string(f)
                    }
                    w.raw("]")
                }
                w.raw("}")
            }
        case let .feedSubscription(channel, reset, add, remove):
            w.raw(",\"channel\":")
            w.integer(Int64(channel))
            if reset { w.raw(",\"reset\":true") }
            for (key, list) in [("remove", remove), ("add", add)] where !list.isEmpty {
                w.raw(",")
                w.string(key)
                w.raw(":[")
                for (i, s) in list.enumerated() {
                    if i > 0 { w.raw(",") }
                    s.write(to: &w)
                }
                w.raw("]")
            }
        case let .error(channel, error, message):
            w.raw(",\"channel\":")
            w.integer(Int64(channel))
            w.raw(",\"error\":")
            w.string(error)
            w.raw(",\"message\":")
            w.string(message)
        }
        w.raw("}")
        return w.string
    }

    /// Parses a client message (the simulator's side). `nil` for types a client does not send.
    public static func parse(_ object: JSONObject) -> ClientMessage? {
        let channel = Int(object["channel"]?.integerValue ?? 0)
        switch object["type"]?.stringValue {
        case "SETUP":
            return .setup(version: object["version"]?.stringValue ?? "",
                          keepaliveTimeout: object["keepaliveTimeout"]?.numberValue ?? 60,
                          acceptKeepaliveTimeout: object["acceptKeepaliveTimeout"]?.numberValue ?? 60)
        case "AUTH": return .auth(token: object["token"]?.stringValue ?? "")
        case "KEEPALIVE": return .keepalive
        case "CHANNEL_REQUEST":
            return .channelRequest(channel: channel, contract: object["parameters"]?.objectValue?["contract"]?.stringValue ?? "AUTO")
        case "CHANNEL_CANCEL": return .channelCancel(channel: channel)
        case "FEED_SETUP":
            var fields: [String: [String]] = [:]
            for (type, list) in object["acceptEventFields"]?.objectValue?.entries ?? [] {
                fields[type] = list.arrayValue?.compactMap(\.stringValue) ?? []
            }
            return .feedSetup(channel: channel, aggregationPeriod: object["acceptAggregationPeriod"]?.numberValue,
                              dataFormat: object["acceptDataFormat"]?.stringValue, eventFields: fields)
        case "FEED_SUBSCRIPTION":
            func list(_ key: String) -> [FeedSubscription] {
                (object[key]?.arrayValue ?? []).compactMap { item in
                    guard let o = item.objectValue, let type = o["type"]?.stringValue, let symbol = o["symbol"]?.stringValue else { return nil }
                    return FeedSubscription(type: type, symbol: symbol, fromTime: o["fromTime"]?.integerValue)
                }
            }
            return .feedSubscription(channel: channel, reset: object["reset"] == .bool(true), add: list("add"), remove: list("remove"))
        case "ERROR":
            return .error(channel: channel, error: object["error"]?.stringValue ?? "UNKNOWN", message: object["message"]?.stringValue ?? "")
        default: return nil
        }
    }
}

/// A message a DXLink server sends, as the client sees it.
public enum ServerMessage: Sendable, Hashable {
    case setup(keepaliveTimeout: Double?, version: String)
    case authState(authorized: Bool)
    case keepalive
    case channelOpened(channel: Int)
    case channelClosed(channel: Int)
    case feedConfig(channel: Int, aggregationPeriod: Double?, dataFormat: String?, eventFields: [String: [String]]?)
    /// A FEED_DATA message; its text is decoded later, by `dxlink_decode`.
    case feedData(channel: Int)
    case error(channel: Int, error: String, message: String)
    /// A message of a type this client does not know (ignored and counted).
    case unknown(type: String)

    /// Classifies a received text frame. FEED_DATA is recognised from its envelope alone, without parsing
    /// the data. Throws ``FrameScanError`` for text that is not a DXLink message.
    public static func parse(_ text: String) throws(FrameScanError) -> ServerMessage {
        var text = text
        text.makeContiguousUTF8()
        let envelope: (type: String?, channel: Int)? = text.utf8.withContiguousStorageIfAvailable { buffer -> (String?, Int)? in
            var scanner = FrameScanner(UnsafeRawBufferPointer(buffer))
            var type: String?
            var channel: Int?
            do {
                try scanner.expect(UInt8(ascii: "{"))
                if scanner.consume(UInt8(ascii: "}")) { return (nil, 0) }
                repeat {
                    let key = try scanner.readKey()
                    if scanner.bytes(key, equal: "type") {
                        type = try scanner.readString()
                    } else if scanner.bytes(key, equal: "channel"), case .integer(let c) = try scanner.readScalar() {
                        channel = Int(c)
                    } else {
                        try scanner.skipValue()
                    }
                    if let type, let channel, type == "FEED_DATA" { return (type, channel) }
                } while try scanner.nextElement(closing: UInt8(ascii: "}"))
            } catch {
                return nil
            }
            return (type, channel ?? 0)
        } ?? nil
        guard let envelope else { throw FrameScanError("not a JSON object", at: 0) }
        guard let type = envelope.type else { throw FrameScanError("message without 'type'", at: 0) }
        if type == "FEED_DATA" { return .feedData(channel: envelope.channel) }
        let root: JSONValue
        do {
            root = try JSONDocument(parsing: text).root
        } catch {
            throw FrameScanError(error.message, at: 0)
        }
        guard let object = root.objectValue else { throw FrameScanError("not a JSON object", at: 0) }
        let channel = envelope.channel
        switch type {
        case "SETUP":
            return .setup(keepaliveTimeout: object["keepaliveTimeout"]?.numberValue, version: object["version"]?.stringValue ?? "")
        case "AUTH_STATE": return .authState(authorized: object["state"]?.stringValue == "AUTHORIZED")
        case "KEEPALIVE": return .keepalive
        case "CHANNEL_OPENED": return .channelOpened(channel: channel)
        case "CHANNEL_CLOSED": return .channelClosed(channel: channel)
        case "FEED_CONFIG":
            var fields: [String: [String]]?
            if let entries = object["eventFields"]?.objectValue?.entries {
                fields = [:]
                for (t, list) in entries { fields?[t] = list.arrayValue?.compactMap(\.stringValue) ?? [] }
            }
            return .feedConfig(channel: channel, aggregationPeriod: object["aggregationPeriod"]?.numberValue,
                               dataFormat: object["dataFormat"]?.stringValue, eventFields: fields)
        case "ERROR":
            return .error(channel: channel, error: object["error"]?.stringValue ?? "UNKNOWN", message: object["message"]?.stringValue ?? "")
        default: return .unknown(type: type)
        }
    }
}
