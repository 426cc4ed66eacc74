/// A deterministic mutation engine for the fuzz harnesses: from a seed corpus and a fixed seed it makes
/// the same hostile inputs on every run, so a failure found once is found again.
///
/// `SLUICE_FUZZ_SEED` and `SLUICE_FUZZ_ITERATIONS` change the seed and the number of cases (a long
/// campaign: `SLUICE_FUZZ_ITERATIONS=1000000 swift test --filter FuzzTests`).
struct Mutator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// The seed of this run: `SLUICE_FUZZ_SEED` or a fixed default.
    static var seed: UInt64 {
        environment("SLUICE_FUZZ_SEED").flatMap(UInt64.init) ?? 0x5EED_F00D
    }

    /// Cases per harness: `SLUICE_FUZZ_ITERATIONS` or `default`.
    static func iterations(default value: Int) -> Int {
        environment("SLUICE_FUZZ_ITERATIONS").flatMap(Int.init).map { max($0, 1) } ?? value
    }

    private static func environment(_ name: String) -> String? {
        guard let p = getenv(name) else { return nil }
        return String(cString: p)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }

    /// Fragments that break parsers in interesting ways.
    static let dictionary: [[UInt8]] = [
        "{", "}", "[", "]", "\"", ",", ":", "\\", "\\u", "\\ud800", "-", ".", "e", "E+", "0", "1e400", "-1e400",
        "9223372036854775807", "-9223372036854775809", "18446744073709551616", "1e18", "NaN", "Infinity",
        "null", "true", "false", "\"\"", "[]", "{}", "\u{0}", "\u{FF}", "\n", "${X}", "$${", "((((", "))))",
        "not not not ", "- - - ", " and ", " or ", " in (", "\"FEED_DATA\"", "\"data\"", "\"Quote\"",
        "99999999999999999999d", "1000000000000w", "0.000000001ms", "-1s",
    ].map { Array($0.utf8) }

    /// One mutation of `input` (sometimes spliced with `other`).
    mutating func mutate(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + below(4)) {
            let at = below(bytes.count + 1)
            switch below(9) {
            case 0 where !bytes.isEmpty:  // flip a bit
                let i = below(bytes.count)
                bytes[i] ^= UInt8(1 << below(8))
            case 1:  // insert a random byte
                bytes.insert(UInt8(truncatingIfNeeded: next()), at: at)
            case 2:  // insert a dictionary fragment
                bytes.insert(contentsOf: Self.dictionary[below(Self.dictionary.count)], at: at)
            case 3 where !bytes.isEmpty:  // delete a range
                let n = min(1 + below(16), bytes.count - min(at, bytes.count - 1))
                let start = min(at, bytes.count - 1)
                bytes.removeSubrange(start..<min(start + n, bytes.count))
            case 4 where !bytes.isEmpty:  // duplicate a range
                let start = below(bytes.count)
                let end = min(bytes.count, start + 1 + below(32))
                bytes.insert(contentsOf: bytes[start..<end], at: at)
            case 5 where !other.isEmpty:  // splice from another corpus entry
                let start = below(other.count)
                let end = min(other.count, start + 1 + below(64))
                bytes.insert(contentsOf: other[start..<end], at: at)
            case 6:  // deep nesting
                let open: [UInt8] = below(2) == 0 ? Array("[".utf8) : Array("{\"k\":".utf8)
                let depth = 1 + below(3000)
                for _ in 0..<depth { bytes.insert(contentsOf: open, at: at) }
            case 7 where !bytes.isEmpty:  // replace a digit run with a huge number
                if let i = bytes.indices.first(where: { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 && $0 >= below(bytes.count) }) {
                    bytes.insert(contentsOf: Array("99999999999999999999".utf8), at: i)
                }
            default:  // truncate
                if !bytes.isEmpty { bytes.removeSubrange(below(bytes.count)...) }
            }
        }
        return bytes
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
