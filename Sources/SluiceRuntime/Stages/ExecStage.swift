import Foundation
public import SluiceCore

/// `exec` (transform): runs a program in any language and speaks JSON lines with it.
///
/// Every input record goes to the program's standard input as one JSON object per line; every line the
/// program writes to standard output becomes an output record with the declared columns; what it writes
/// to standard error goes to the log. The pipe carries backpressure both ways: a program that reads
/// slowly holds up the stage's input, and a slow downstream stops the stage reading the program's output.
/// A line that is not a JSON object with the declared columns is counted and skipped, with its line
/// number. A program that exits with a non-zero status fails the stage, so `on_error: restart` restarts
/// it with backoff; the restarted program gets the last 16 batches again (at-least-once: records its
/// predecessor read but never answered are not lost, and some may be answered twice).
public struct ExecStage<Element: Record>: RecordGenericStage {
    public typealias Input = Element
    public typealias Output = FieldRecord

    /// The records the program writes.
    public struct OutputDeclaration: Decodable, Sendable {
        /// The record type of the output (for sink table and file names).
        public var type: String
        /// The columns, each `name:type` with type `string`, `int`, `double`, `bool` or `time`.
        public var columns: [String]

        static var spec: ConfigSpec { ConfigSpec([
            ConfigField("type", .string, default: .string("exec"), doc: "Record type of the output (names SQLite tables and {type} in file names)."),
            ConfigField("columns", .array(.custom("name:type", expected: "a column like \"score:double\" (types: string, int, double, bool, time)", example: "score:double") { v in
                v.stringValue.flatMap(ExecStage.column(_:)) != nil
            }, minCount: 1), doc: "Output columns in order, each \"name:type\"; lines are checked against them."),
        ]) }
    }

    /// The configuration of `exec`.
    public struct Configuration: StageConfiguration {
        /// The program and its arguments.
        public var command: [String]
        /// The working directory (default: the runner's).
        public var workingDirectory: String?
        /// Extra environment variables.
        public var environment: [String: String]
        /// The declared output.
        public var output: OutputDeclaration
        /// How times are written to the program.
        public var timeFormat: TimeFormat

        public static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("command", .array(.string, minCount: 1), doc: "The program and its arguments, e.g. [\"python3\", \"pipelines/scripts/zscore.py\"]."),
                ConfigField("working_directory", .string, optional: true, doc: "Directory to run it in (default: the current one)."),
                ConfigField("environment", .map(.string), default: .object(JSONObject()), secret: true, doc: "Extra environment variables (values are treated as secrets)."),
                ConfigField("output", .object(OutputDeclaration.spec), doc: "The records the program writes: their type and columns."),
                ConfigField("time_format", TimeFormat.self, default: .iso8601, doc: "Times sent to the program as ISO-8601 strings or epoch milliseconds (both are read back)."),
            ])
        }

        public func validate() -> [Diagnostic] {
            var problems: [Diagnostic] = []
            var directoryOK = true
            if let dir = workingDirectory {
                var isDirectory: ObjCBool = false
                if !FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("working_directory"), "no such directory \"\(dir)\"", expected: "an existing directory"))
                    directoryOK = false
                } else if !isDirectory.boolValue {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("working_directory"), "\"\(dir)\" is not a directory", expected: "an existing directory"))
                    directoryOK = false
                }
            }
            if directoryOK, let program = command.first, let problem = Self.problem(withProgram: program, in: workingDirectory, path: environment["PATH"]) {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("command", 0), problem, expected: "an executable file, or a program on PATH"))
            }
            var seen: Set<String> = []
            for (i, text) in output.columns.enumerated() {
                guard let column = ExecStage.column(text) else { continue }
                if !seen.insert(column.name).inserted {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("output", "columns", i), "column \"\(column.name)\" is declared twice"))
                }
            }
            return problems
        }

        /// Why `program` cannot be run, or `nil`: a name with a `/` is a file (relative to the working
        /// directory), a bare name is looked up on `PATH`.
        static func problem(withProgram program: String, in directory: String?, path: String?) -> String? {
            if program.isEmpty { return "the program name is empty" }
            func executable(_ file: String) -> Bool {
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) && !isDirectory.boolValue && access(file, X_OK) == 0
            }
            if program.contains("/") {
                let file = program.hasPrefix("/") || directory == nil ? program : directory! + "/" + program
                guard FileManager.default.fileExists(atPath: file) else { return "no such program \"\(file)\"" }
                return executable(file) ? nil : "\"\(file)\" is not an executable file"
            }
            let search = path ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            for dir in search.split(separator: ":") where executable("\(dir)/\(program)") { return nil }
            return "no program \"\(program)\" on PATH"
        }

        /// The schema the declared columns describe.
        var schema: RecordSchema {
            RecordSchema(recordType: output.type, columns: output.columns.compactMap(ExecStage.column))
        }
    }

    public static var kind: String { "exec" }
    public static var summary: String {
        "Runs a program in any language: records to its stdin and back from its stdout as JSON lines, stderr to the log."
    }

    public static func outputFields(_ configuration: Configuration) -> [Column]? { configuration.schema.columns }

    /// Parses `name:type`.
    static func column(_ text: String) -> Column? {
        let parts = text.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, !parts[0].isEmpty else { return nil }
        let type: ColumnType
        switch parts[1] {
        case "string": type = .string
        case "int": type = .int
        case "double": type = .double
        case "bool": type = .bool
        case "time": type = .time
        default: return nil
        }
        return Column(parts[0], type)
    }

    let configuration: Configuration
    let schema: RecordSchema
    let context: StageContext

    public init(configuration: Configuration, context: StageContext) {
        self.configuration = configuration
        self.schema = configuration.schema
        self.context = context
    }

    public static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type { ExecStage<R>.self }

    /// Batches sent again to a restarted program: more than its pipe and read buffer hold.
    static var redeliveredBatches: Int { 16 }

    public func run(input: Inbound<Element>, output: Outbound<FieldRecord>) async throws {
        input.retainForRedelivery(batches: Self.redeliveredBatches)
        signal(SIGPIPE, SIG_IGN)  // a program that exits early must give EPIPE, not kill the runner
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = configuration.command
        if let dir = configuration.workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: dir) }
        if !configuration.environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(configuration.environment) { $1 }
        }
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let program = configuration.command.joined(separator: " ")
        let exit = ProcessExit(process)
        do {
            try process.run()
        } catch {
            throw StageError(.execFailed, "cannot start \(program): \(error.localizedDescription)", underlying: error)
        }
        let writer = BlockingFile(stdin.fileHandleForWriting, name: "stdin of \(program)")
        let reader = BlockingFile(stdout.fileHandleForReading, name: "stdout of \(program)")
        let errors = BlockingFile(stderr.fileHandleForReading, name: "stderr of \(program)")
        let pid = process.processIdentifier
        let millis = configuration.timeFormat == .epochMilliseconds
        let schema = self.schema
        let context = self.context
        var inputLeftUnread = false
        // The pipe reads block until the program writes or exits: on failure or cancellation the program
        // is killed first, so they return and the tasks waiting on them end.
        try await withTaskCancellationHandler {
          do {
            try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var lines = LineSplitter()
                while let chunk = try await errors.read() {
                    for line in lines.feed(chunk) where !line.isEmpty {
                        context.logger.info("\(String(decoding: line, as: UTF8.self))", metadata: ["stream": "stderr"])
                    }
                }
            }
            group.addTask {
                var lines = LineSplitter()
                var number = 0
                var batch: [FieldRecord] = []
                while let chunk = try await reader.read() {
                    batch.removeAll(keepingCapacity: true)
                    for line in lines.feed(chunk) {
                        number += 1
                        if line.isEmpty { continue }
                        switch ExecLineDecoder.decode(line, schema: schema) {
                        case .success(let record): batch.append(record)
                        case .failure(let problem): context.skip("\(program) output line \(number): \(problem)")
                        }
                    }
                    try await output.send(batch)
                }
                if let rest = lines.remainder, !rest.isEmpty {
                    number += 1
                    switch ExecLineDecoder.decode(rest, schema: schema) {
                    case .success(let record): try await output.send([record])
                    case .failure(let problem): context.skip("\(program) output line \(number): \(problem)")
                    }
                }
            }
            var json = JSONWriter(capacity: 64 * 1024)
            do {
                for try await records in input {
                    json.bytes.removeAll(keepingCapacity: true)
                    for record in records {
                        json.record(record, timesAsMilliseconds: millis)
                        json.bytes.append(0x0A)
                    }
                    try await writer.write(json.bytes)
                }
            } catch let error as StageError where error.code == .writeFailed {
                // The program stopped reading: its exit status, below, says why.
                inputLeftUnread = true
                context.logger.warning("\(program) stopped reading its input", metadata: ["error": "\(error.message)"])
            }
            writer.close()
            try await group.waitForAll()
            }
          } catch {
            kill(pid, SIGKILL)
            throw error
          }
        } onCancel: {
            kill(pid, SIGKILL)
        }
        // A program that closed its output but keeps running is killed if the run is cancelled meanwhile
        // (the drain deadline), so the wait always ends.
        await withTaskCancellationHandler {
            await exit.wait()
        } onCancel: {
            kill(pid, SIGKILL)
        }
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let how = process.terminationReason == .exit ? "exited with status \(process.terminationStatus)" : "was killed by signal \(process.terminationStatus)"
            throw StageError(.execFailed, "\(program) \(how)")
        }
        if inputLeftUnread {
            throw StageError(.execFailed, "\(program) exited before reading all of its input")
        }
    }
}

/// Reads output lines of an `exec` program into records with the declared columns.
enum ExecLineDecoder {
    static func decode(_ line: [UInt8], schema: RecordSchema) -> Result<FieldRecord, ExecLineProblem> {
        let root: JSONValue
        do {
            root = try JSONDocument(parsing: line).root
        } catch {
            return .failure(ExecLineProblem("not JSON (\(error.message))"))
        }
        guard let object = root.objectValue else { return .failure(ExecLineProblem("not a JSON object")) }
        var values: [FieldValue] = []
        values.reserveCapacity(schema.columns.count)
        for column in schema.columns {
            let value = object[column.name] ?? .null
            guard let field = convert(value, to: column.type) else {
                return .failure(ExecLineProblem("\"\(column.name)\" is \(value.kindName), expected \(column.type)"))
            }
            values.append(field)
        }
        return .success(FieldRecord(schema: schema, values: values))
    }

    static func convert(_ value: JSONValue, to type: ColumnType) -> FieldValue? {
        if case .null = value { return .null }
        switch type {
        case .string: return value.stringValue.map(FieldValue.string)
        case .int: return value.integerValue.map(FieldValue.int)
        case .double:
            if let n = value.numberValue { return .double(n) }
            if let s = value.stringValue, ["NaN", "Infinity", "-Infinity"].contains(s) { return .double(Double(s.replacingOccurrences(of: "Infinity", with: "inf")) ?? .nan) }
            return nil
        case .bool:
            if case .bool(let b) = value { return .bool(b) }
            return nil
        case .time:
            if let ms = value.numberValue { return .time(Timestamp(millisecondsSinceEpoch: Int64(ms))) }
            return value.stringValue.flatMap(Timestamp.init(iso8601:)).map(FieldValue.time)
        default: return nil
        }
    }
}

/// Why an output line was skipped.
struct ExecLineProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Splits a byte stream into lines (without their `\n` or `\r\n`).
struct LineSplitter {
    private var pending: [UInt8] = []

    /// The complete lines in `chunk` (with what was pending before it).
    mutating func feed(_ chunk: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0
        for (i, b) in chunk.enumerated() where b == 0x0A {
            var line = pending + chunk[start..<i]
            pending.removeAll(keepingCapacity: true)
            if line.last == 0x0D { line.removeLast() }
            lines.append(line)
            start = i + 1
        }
        pending.append(contentsOf: chunk[start...])
        return lines
    }

    /// A last line without a newline, at the end of the stream.
    var remainder: [UInt8]? { pending.isEmpty ? nil : pending }
}

/// Blocking reads and writes on a pipe, each on its own dispatch queue, so the stage's task awaits them
/// without blocking the cooperative thread pool.
final class BlockingFile: @unchecked Sendable {
    // The handle is only used on `queue`.
    private let handle: FileHandle
    private let fd: Int32
    private let name: String
    private let queue: DispatchQueue

    init(_ handle: FileHandle, name: String) {
        self.handle = handle
        self.fd = handle.fileDescriptor
        self.name = name
        self.queue = DispatchQueue(label: "sluice.exec.\(handle.fileDescriptor)")
    }

    /// The next chunk, or `nil` at the end.
    func read() async throws -> [UInt8]? {
        let (fd, name) = (self.fd, self.name)
        return try await withCheckedThrowingContinuation { c in
            queue.async {
                var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                while true {
                    let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
                    if n > 0 { return c.resume(returning: Array(buffer[..<n])) }
                    if n == 0 { return c.resume(returning: nil) }
                    if errno == EINTR { continue }
                    return c.resume(throwing: StageError(.readFailed, "cannot read \(name): \(String(cString: strerror(errno)))"))
                }
            }
        }
    }

    /// Writes all of `bytes` (suspending while the pipe is full).
    func write(_ bytes: [UInt8]) async throws {
        let (fd, name) = (self.fd, self.name)
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            queue.async {
                var offset = 0
                while offset < bytes.count {
                    let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
                    if n < 0 {
                        if errno == EINTR { continue }
                        return c.resume(throwing: StageError(.writeFailed, "cannot write to \(name): \(String(cString: strerror(errno)))"))
                    }
                    offset += n
                }
                c.resume()
            }
        }
    }

    /// Closes the file (after any pending write).
    func close() {
        queue.sync { try? handle.close() }
    }
}
