import Foundation
import SluiceRuntime

/// Runs the real `sluice` executable built next to the test bundle.
struct SluiceProcess {
    /// The finished process: status and what it printed.
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("sluice").path
    }

    let process = Process()
    let exit: ProcessExit
    let stdoutURL: URL
    let stderrURL: URL

    /// Starts `sluice ARGS…` with output going to temporary files.
    init(_ arguments: [String], directory: URL, environment: [String: String] = [:]) throws {
        stdoutURL = directory.appendingPathComponent("stdout-\(UUID().uuidString).txt")
        stderrURL = directory.appendingPathComponent("stderr-\(UUID().uuidString).txt")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        exit = ProcessExit(process)
        try process.run()
    }

    var stderrSoFar: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// Waits for the process to exit.
    func wait() async -> Output {
        await waitForExit(of: process, exit)
        return Output(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "",
            stderr: stderrSoFar)
    }

    /// Sends a signal.
    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Runs `sluice ARGS…` to completion.
    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) async throws -> Output {
        try await SluiceProcess(arguments, directory: directory, environment: environment).wait()
    }
}

/// Waits for `process` to exit (on its termination handler: Foundation's `waitUntilExit()` spins a core
/// while it waits); a cancelled wait (a test over its time limit) kills it first, so a stuck child never
/// outlives its test.
func waitForExit(of process: Process, _ exit: ProcessExit) async {
    let pid = process.processIdentifier
    await withTaskCancellationHandler {
        await exit.wait()
    } onCancel: {
        kill(pid, SIGKILL)
    }
}

/// Waits for a condition to hold, checking every few milliseconds, failing after `seconds`.
/// (This waits for something to happen; it never asserts how long anything takes.)
func waitUntil(_ what: String, seconds: Double = 60, _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimeout(what: what) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

struct WaitTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "gave up waiting for: \(what)" }
}

/// A fresh temporary directory for one test.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func write(_ text: String, to url: URL) throws {
    try text.write(to: url, atomically: true, encoding: .utf8)
}

/// Whether the file at `url` has at least `count` lines; reads only as far as it needs to, so polling a
/// file that grows fast stays cheap.
func lineCount(of url: URL, atLeast count: Int) -> Bool {
    guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
    defer { try? handle.close() }
    var seen = 0
    while seen < count, let chunk = try? handle.read(upToCount: 65_536), !chunk.isEmpty {
        seen += chunk.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }
    return seen >= count
}

/// The lines of the file at `url` (none if it cannot be read).
func lines(of url: URL) -> [Substring] {
    ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n")
}
