import Foundation
import SluiceCore
import Synchronization

/// The live status line on standard error, and every other line written there, kept apart: a line
/// clears the status line first and redraws it after, so the two are never glued together. Disabled
/// (not a terminal, or `--no-status`), it only writes lines.
final class TerminalStatus: Sendable {
    private let enabled: Bool
    /// The status text shown now, if any.
    private let shown = Mutex<String?>(nil)

    init(enabled: Bool) { self.enabled = enabled }

    /// Writes `line` (and a newline), clearing the status line first and redrawing it after.
    func writeLine(_ line: String) {
        shown.withLock { status in
            // Under the lock, so a status update cannot land between the clear and the line.
            var out = enabled && status != nil ? "\r\u{1B}[K" : ""
            out += line.hasSuffix("\n") ? line : line + "\n"
            if enabled, let status { out += status }
            FileHandle.standardError.write(Data(out.utf8))
        }
    }

    /// Writes `bytes` to standard output. When standard output is the same terminal, the status line
    /// is cleared first and redrawn after, so an alert never lands at the end of it.
    func writeOutput(_ bytes: [UInt8]) throws {
        try shown.withLock { status in
            let around = enabled && status != nil && Self.outputIsTerminal
            if around { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            defer { if around, let status { FileHandle.standardError.write(Data(status.utf8)) } }
            try FileOutput.writeAll(STDOUT_FILENO, bytes, path: "standard output")
        }
    }

    private static let outputIsTerminal = isatty(STDOUT_FILENO) == 1

    /// Replaces the status line with `text`.
    func show(_ text: String) {
        guard enabled else { return }
        shown.withLock { status in
            status = text
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        }
    }

    /// Removes the status line (before the summary, or an exit).
    func clear() {
        guard enabled else { return }
        shown.withLock { status in
            if status != nil { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            status = nil
        }
    }

    /// The terminal's width in columns (80 when standard error is not a terminal or does not say).
    static func width() -> Int {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
