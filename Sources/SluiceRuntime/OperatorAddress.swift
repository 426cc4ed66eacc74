/// Where the operator endpoint (`/metrics`, `/health`, `/ready`) listens: `host:port`, `[v6]:port`, or a
/// bare port on loopback. Port 0 picks a free port (the run logs which).
public struct OperatorAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host or address to bind.
    public var host: String
    /// The TCP port, 0–65535.
    public var port: Int

    /// What a valid address looks like, for error messages.
    public static let expected = "host:port, [IPv6]:port or a port (on 127.0.0.1), with the port 0–65535, e.g. 127.0.0.1:9464"

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Reads `text`, or returns `nil` if it is not an address.
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.first == ":" else { return nil }
            portText = rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { return nil }  // an IPv6 address needs brackets
        } else {
            host = "127.0.0.1"
            portText = Substring(text)
        }
        // At most five digits before converting, so no number from a file can overflow.
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }),
              (1...5).contains(portText.count), portText.allSatisfy(\.isASCIIDigit),
              let port = Int(portText), (0...65_535).contains(port)
        else { return nil }
        self.init(host: String(host), port: port)
    }

    /// Whether the address only accepts connections from this machine.
    public var isLoopback: Bool { host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.") }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
