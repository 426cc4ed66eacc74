#if canImport(Glibc)
import Glibc
#endif
import SluiceCore

/// A watchlist file: one streamer symbol per line (LF or CRLF), `#` starts a comment, blank lines are ignored.
///
/// ```
/// # index options
/// .SPXW261218C5700
/// SPY      # the ETF
/// ```
enum SymbolsFile {
    /// The largest file read (a watchlist of a million symbols fits).
    static let maximumBytes = 16 << 20
    /// The most symbols in one file.
    static let maximumSymbols = 1_000_000
    /// The longest symbol.
    static let maximumSymbolLength = 128

    /// A file that cannot be used, with the place.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// The symbols of `text` in file order, each once; or the first line that is not a symbol.
    static func parse(_ text: String, path: String) throws(Problem) -> [String] {
        var symbols: [String] = []
        var seen = Set<String>()
        var number = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let line = rawLine.prefix { $0 != "#" }.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            if let problem = problem(with: line) {
                throw Problem(description: "\(path):\(number): \(problem)\(problem.hasPrefix("a symbol of") ? "" : " (one symbol per line)")")
            }
            guard seen.insert(line).inserted else { continue }
            symbols.append(line)
            guard symbols.count <= maximumSymbols else {
                throw Problem(description: "\(path): more than \(maximumSymbols) symbols")
            }
        }
        return symbols
    }

    /// What is wrong with `symbol` as a streamer symbol, or `nil`: no spaces or control characters, at
    /// most ``maximumSymbolLength`` bytes.
    static func problem(with symbol: String) -> String? {
        guard !symbol.isEmpty else { return "an empty symbol" }
        guard symbol.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            return "\"\(symbol.prefix(40))\" is not a streamer symbol (no spaces or control characters)"
        }
        guard symbol.utf8.count <= maximumSymbolLength else {
            return "a symbol of \(symbol.utf8.count) bytes; expected at most \(maximumSymbolLength)"
        }
        return nil
    }

    /// What identifies one version of a file: a change of any of these means it was rewritten.
    struct Version: Equatable {
        var device: UInt64, inode: UInt64, size: Int64, modified: Int64
    }

    /// The file's version now, or `nil` when it cannot be seen.
    static func version(of path: String) -> Version? {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        return Version(device: UInt64(s.st_dev), inode: UInt64(s.st_ino), size: Int64(s.st_size),
                       modified: Int64(s.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(s.st_mtim.tv_nsec))
    }

    /// Reads and parses the file.
    static func read(_ path: String) throws(Problem) -> [String] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Problem(description: "\(path): cannot open (\(String(cString: strerror(errno)).lowercased()))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Problem(description: "\(path): cannot read (\(String(cString: strerror(errno)).lowercased()))")
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
            guard bytes.count <= maximumBytes else { throw Problem(description: "\(path): larger than \(maximumBytes >> 20) MiB") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Problem(description: "\(path): not UTF-8 text") }
        return try parse(text, path: path)
    }
}
