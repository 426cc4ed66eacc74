#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where stages write to standard output (alerts with `notify.stdout`, `jsonl` with path `-`). The
/// runner passes one that keeps these writes apart from its live status line on the same terminal;
/// by default bytes go straight to file descriptor 1.
public struct ConsoleOutput: Sendable {
    private let sink: @Sendable ([UInt8]) throws -> Void

    /// A console that hands every write to `sink` (which must write all of it, or throw).
    public init(_ sink: @escaping @Sendable ([UInt8]) throws -> Void) {
        self.sink = sink
    }

    /// Straight to standard output.
    public static let direct = ConsoleOutput { try FileOutput.writeAll(STDOUT_FILENO, $0, path: "standard output") }

    /// Writes `bytes` (whole lines, so they can be kept apart from a status line).
    ///
    /// - Throws: ``StageError`` `write_failed` when standard output cannot be written (a full disk, a
    ///   closed pipe).
    public func write(_ bytes: [UInt8]) throws {
        try sink(bytes)
    }
}
