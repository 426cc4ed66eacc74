/// Finds where values start in JSON text, for a set of JSON Pointers at once: one forward pass that
/// follows only the members and elements on the way to a wanted value and skips everything else
/// without building anything. Used for diagnostics, after the text has parsed (so it is well formed and
/// at most ``JSONDocument/maximumDepth`` deep; it never traps on anything else either).
struct JSONPositionFinder {
    let bytes: [UInt8]
    var index = 0
    var line = 1
    var lineStart = 0

    /// A trie of the wanted pointers; node 0 is the root.
    private var children: [[String: Int]] = [[:]]
    private var found: [SourcePosition?] = [nil]

    init(bytes: [UInt8]) { self.bytes = bytes }

    var position: SourcePosition { SourcePosition(line: line, column: index - lineStart + 1) }

    /// The position of each pointer's value, or of its nearest ancestor that exists in the text.
    mutating func find(_ pointers: [JSONPointer]) -> [JSONPointer: SourcePosition] {
        var leaves: [(JSONPointer, [Int])] = []
        for pointer in pointers {
            var node = 0
            var trail = [0]
            for token in pointer.tokens {
                if let next = children[node][token] {
                    node = next
                } else {
                    children.append([:])
                    found.append(nil)
                    children[node][token] = children.count - 1
                    node = children.count - 1
                }
                trail.append(node)
            }
            leaves.append((pointer, trail))
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3; lineStart = 3 }
        skipWhitespace()
        walk(node: 0, depth: 0)
        var result: [JSONPointer: SourcePosition] = [:]
        for (pointer, trail) in leaves {
            for node in trail.reversed() {
                if let p = found[node] {
                    result[pointer] = p
                    break
                }
            }
        }
        return result
    }

    /// At the start of a value that is on the way to a wanted one.
    private mutating func walk(node: Int, depth: Int) {
        guard index < bytes.count, depth <= JSONDocument.maximumDepth else { return }
        found[node] = position
        let next = children[node]
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { index += 1; return }
                let key = next.isEmpty ? nil : readString()
                if key == nil { skipString() }
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: ":") { index += 1 }
                skipWhitespace()
                if let key, let child = next[key] { walk(node: child, depth: depth + 1) } else { skipValue() }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else { index += 1; return }
                index += 1
            }
        case UInt8(ascii: "["):
            index += 1
            var element = 0
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] != UInt8(ascii: "]") else { index += 1; return }
                if let child = next.isEmpty ? nil : next[String(element)] { walk(node: child, depth: depth + 1) } else { skipValue() }
                element += 1
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else { index += 1; return }
                index += 1
            }
        default:
            skipValue()
        }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): index += 1
            case UInt8(ascii: "\n"):
                index += 1
                line += 1
                lineStart = index
            default: return
            }
        }
    }

    /// Skips one value of any kind: strings by their quotes, containers by counting brackets outside
    /// strings, scalars up to the next delimiter.
    private mutating func skipValue() {
        guard index < bytes.count else { return }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < bytes.count {
                let b = bytes[index]
                switch b {
                case UInt8(ascii: "\""):
                    skipString()
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { index += 1; return }
                case UInt8(ascii: "\n"):
                    line += 1
                    lineStart = index + 1
                default: break
                }
                index += 1
            }
        default:
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): return
                default: index += 1
                }
            }
        }
    }

    private mutating func skipString() {
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): index += 1; return
            default: index += 1
            }
        }
    }

    /// Reads a member name; names with escapes are decoded by the full parser.
    private mutating func readString() -> String? {
        let start = index
        skipString()
        let raw = bytes[start..<min(index, bytes.count)]
        guard raw.count >= 2 else { return nil }
        let inner = raw.dropFirst().dropLast()
        if !inner.contains(UInt8(ascii: "\\")) { return String(decoding: inner, as: UTF8.self) }
        var parser = JSONParser(bytes: Array(raw))
        return try? parser.parseString()
    }
}
