import Foundation
public import SluiceCore

/// `csv` (sink): RFC 4180 files, one row per record, with file name templates, rotation and periodic
/// flushing.
///
/// The columns are the record's columns in order (or the configured `columns`); a header is written only
/// to a new file — appending to an existing file reuses its header's columns. Rows are buffered and
/// written every `flush_interval`, when a buffer fills, and at shutdown.
public struct CSVSink<Element: Record>: RecordGenericStage {
    public typealias Input = Element

    /// The configuration of `csv`.
    public struct Configuration: StageConfiguration {
        /// The file path, a template with `{symbol}`, `{type}`, `{date}`.
        public var path: String
        /// The columns to write, in order (default: the record's columns).
        public var columns: [String]?
        /// Write a header line to new files.
        public var header: Bool
        /// Append to existing files (false: replace them when first opened).
        public var append: Bool
        /// `iso8601` or `epoch_ms`.
        public var timeFormat: TimeFormat
        /// The field separator.
        public var delimiter: CSVDelimiter
        /// `crlf` or `lf`.
        public var lineEnding: CSVLineEnding
        /// `none`, `daily` or `size`.
        public var rotate: CSVRotation
        /// The size at which `rotate: size` starts a new file.
        public var maxBytes: Int
        /// How often buffered rows are written.
        public var flushInterval: ConfigDuration
        /// `fsync` after every flush.
        public var fsync: Bool
        /// The most files held open at once (templates with `{symbol}`).
        public var maxOpenFiles: Int


        public static var spec: ConfigSpec {
            ConfigSpec([
                ConfigField("path", .string, doc: "File path; may use {symbol}, {type} and {date} (UTC date of the record's time). Parent directories are created."),
                ConfigField("columns", .array(.string, minCount: 1), optional: true, doc: "Columns to write, in order (default: all of the record's columns)."),
                ConfigField("header", .boolean, default: .bool(true), doc: "Write a header line to new files (never when appending to a non-empty file)."),
                ConfigField("append", .boolean, default: .bool(true), doc: "Append to existing files (false: replace each file when first opened)."),
                ConfigField("time_format", TimeFormat.self, default: .iso8601, doc: "Times as ISO-8601 UTC or epoch milliseconds."),
                ConfigField("delimiter", CSVDelimiter.self, default: .comma, doc: "Field separator."),
                ConfigField("line_ending", CSVLineEnding.self, default: .crlf, doc: "Line ending (RFC 4180: crlf)."),
                ConfigField("rotate", CSVRotation.self, default: .none, doc: "Start a new file each UTC day or at max_bytes; the old one is renamed with a date or time suffix."),
                ConfigField("max_bytes", .integer(1024...Int64.max), default: .number(104_857_600), doc: "File size at which rotate: size starts a new file."),
                ConfigField("flush_interval", .duration, default: .string("1s"), doc: "How often buffered rows are written to the file."),
                ConfigField("fsync", .boolean, default: .bool(false), advanced: true, doc: "fsync after every flush (durable, slower)."),
                ConfigField("max_open_files", .integer(1...65_536), default: .number(256), advanced: true, doc: "Most files open at once; the least recently used is closed first."),
            ])
        }

        /// The columns named, checked against what the input emits.
        public func inputFieldReferences() -> [InputFieldReference] {
            (columns ?? []).enumerated().map { InputFieldReference($1, at: Self.spec.pointer("columns", $0)) }
        }

        public func validate() -> [Diagnostic] {
            var problems: [Diagnostic] = []
            do throws(TemplateError) {
                _ = try PathTemplate(path)
                if let problem = FileOutput.problem(withOutputPath: path) {
                    problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("path"), problem, expected: "a file path this process can write"))
                }
            } catch {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("path"), error.description))
            }
            if flushInterval.duration <= .zero {
                problems.append(Diagnostic(.invalidValue, at: Self.spec.pointer("flush_interval"), "must be longer than zero"))
            }
            return problems
        }
    }

    public static var kind: String { "csv" }
    public static var summary: String {
        "Writes RFC 4180 CSV files: stable columns, header once, {symbol}/{type}/{date} file names, rotation, periodic flush."
    }

    let configuration: Configuration
    let template: PathTemplate
    let context: StageContext

    public init(configuration: Configuration, context: StageContext) throws {
        self.configuration = configuration
        do {
            self.template = try PathTemplate(configuration.path)
        } catch {
            throw StageError(.invalidPath, error.description)
        }
        self.context = context
    }

    public static func specialized<R: Record>(for recordType: R.Type) -> any Stage.Type { CSVSink<R>.self }

    public func run(input: Inbound<Element>, output: Outbound<Never>) async throws {
        let encoding = CSVEncoding(
            delimiter: configuration.delimiter.byte,
            lineEnding: configuration.lineEnding.bytes,
            timesAsMilliseconds: configuration.timeFormat == .epochMilliseconds)
        var files = CSVFiles(configuration: configuration, encoding: encoding)
        defer { files.closeAll() }
        let constantPath = template.isConstant ? template.description : nil
        try await input.forEach(tickingEvery: configuration.flushInterval.duration, clock: context.clock) { step in
            let now = context.clock.now
            switch step {
            case .batch(let records):
                for record in records {
                    let path = constantPath ?? template.path(for: record, now: now)
                    if !(try files.write(record, to: path, now: now)) {
                        context.skip("a \(record.schema.recordType) record has columns the file \(path) lacks; use {type} in the path or set columns")
                    }
                }
                try files.flushFull()
            case .tick(let now):
                try files.flushAll()
                if configuration.rotate == .daily { try files.rotateDaily(now: now) }
            }
        }
        try files.flushAll()
    }
}

/// The open files of one `csv` stage, with their buffers, columns and sizes.
struct CSVFiles {
    /// One open file. A reference, so a row costs one dictionary lookup by path, not one per field.
    final class OpenFile {
        let fd: Int32
        var columns: [String]
        var buffer: [UInt8] = []
        var size: Int
        let day: String
        var lastUse: UInt64
        var mappings: [ObjectIdentifier: [Int?]?] = [:]

        init(fd: Int32, columns: [String], size: Int, day: String, lastUse: UInt64) {
            self.fd = fd
            self.columns = columns
            self.size = size
            self.day = day
            self.lastUse = lastUse
        }
    }

    let append: Bool
    let header: Bool
    let fixedColumns: [String]?
    let rotate: CSVRotation
    let maxBytes: Int
    let maxOpen: Int
    let doFsync: Bool
    let encoding: CSVEncoding
    var files: [String: OpenFile] = [:]
    /// Paths already opened once by this run (so `append: false` replaces a file only the first time).
    var opened: Set<String> = []
    var uses: UInt64 = 0
    static let bufferLimit = 256 * 1024

    init<E: Record>(configuration: CSVSink<E>.Configuration, encoding: CSVEncoding) {
        append = configuration.append
        header = configuration.header
        fixedColumns = configuration.columns
        rotate = configuration.rotate
        maxBytes = configuration.maxBytes
        maxOpen = configuration.maxOpenFiles
        doFsync = configuration.fsync
        self.encoding = encoding
    }

    /// Buffers one row; `false` when the record does not fit the file's columns.
    mutating func write(_ record: some Record, to path: String, now: Timestamp) throws -> Bool {
        uses += 1
        let file = try files[path] ?? open(path, firstRecord: record, now: now)
        let schema = record.schema
        let key = ObjectIdentifier(schema)
        let mapping: [Int?]?
        if let known = file.mappings[key] {
            mapping = known
        } else {
            let columns = file.columns
            let indices = columns.map { schema.index(of: $0) }
            // The record fits when it has every column of the file (extra ones are not the file's), or
            // when the file has every column of the record; anything else is another record type.
            let names = Set(schema.columnNames)
            let fits = fixedColumns != nil || columns.allSatisfy(names.contains) || names.isSubset(of: columns)
            mapping = fits ? indices : nil
            file.mappings[key] = .some(mapping)
        }
        guard let mapping else { return false }
        file.lastUse = uses
        encoding.appendRow(record, indices: mapping, to: &file.buffer)
        if rotate == .size, file.size + file.buffer.count >= maxBytes { try flush(path) }
        return true
    }

    /// Writes the buffers that are full.
    mutating func flushFull() throws {
        for (path, file) in files where file.buffer.count >= Self.bufferLimit { try flush(path) }
    }

    /// Writes every buffer.
    mutating func flushAll() throws {
        for (path, file) in files.sorted(by: { $0.key < $1.key }) where !file.buffer.isEmpty { try flush(path) }
    }

    /// Closes and renames the files opened on an earlier UTC day.
    mutating func rotateDaily(now: Timestamp) throws {
        let today = now.utcDate
        for (path, file) in files where file.day != today {
            try flush(path)
            closeFile(path)
            try rename(path, suffix: file.day)
        }
    }

    /// Writes what is buffered and closes every file (errors were reported by the last flush).
    mutating func closeAll() {
        for path in files.keys.sorted() {
            try? flush(path)
            closeFile(path)
        }
    }

    private mutating func flush(_ path: String) throws {
        guard let file = files[path] else { return }
        try FileOutput.writeAll(file.fd, file.buffer, path: path)
        if doFsync { _ = Foundation.fsync(file.fd) }
        file.size += file.buffer.count
        file.buffer.removeAll(keepingCapacity: true)
        if rotate == .size, file.size >= maxBytes {
            closeFile(path)
            try rename(path, suffix: Self.compactTime(.now))
        }
    }

    private mutating func open(_ path: String, firstRecord: some Record, now: Timestamp) throws -> OpenFile {
        if files.count >= maxOpen, let oldest = files.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            try flush(oldest)
            closeFile(oldest)
        }
        try FileOutput.createParentDirectories(of: path)
        let replace = !append && !opened.contains(path)
        opened.insert(path)
        let fd = try FileOutput.open(path, append: !replace)
        let size = Int(lseek(fd, 0, SEEK_END))
        let file = OpenFile(fd: fd, columns: fixedColumns ?? firstRecord.schema.columnNames, size: max(size, 0), day: now.utcDate, lastUse: uses)
        if size > 0 {
            if fixedColumns == nil, let existing = Self.headerLine(of: path), !existing.isEmpty {
                file.columns = encoding.parseLine(existing)
            }
        } else if header {
            encoding.appendHeader(file.columns, to: &file.buffer)
        }
        files[path] = file
        return file
    }

    private mutating func closeFile(_ path: String) {
        guard let file = files.removeValue(forKey: path) else { return }
        if doFsync { _ = Foundation.fsync(file.fd) }
        close(file.fd)
    }

    private func rename(_ path: String, suffix: String) throws {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let stem = url.deletingPathExtension().path
        var target = ext.isEmpty ? "\(stem).\(suffix)" : "\(stem).\(suffix).\(ext)"
        var n = 1
        while FileManager.default.fileExists(atPath: target) {
            n += 1
            target = ext.isEmpty ? "\(stem).\(suffix)-\(n)" : "\(stem).\(suffix)-\(n).\(ext)"
        }
        guard Foundation.rename(path, target) == 0 else {
            throw StageError(.rotateFailed, "cannot rename \"\(path)\" to \"\(target)\": \(FileOutput.errnoText())")
        }
    }

    /// The first line of an existing file (its header).
    static func headerLine(of path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: 64 * 1024)) ?? Data()
        guard let end = data.firstIndex(of: 10) else { return String(decoding: data, as: UTF8.self) }
        return String(decoding: data[..<end], as: UTF8.self)
    }

    /// `20240102T153000Z`-style time for rotated file names.
    static func compactTime(_ t: Timestamp) -> String {
        let iso = t.iso8601  // 2024-01-02T15:30:00.000Z
        return iso.prefix(19).filter { $0 != "-" && $0 != ":" } + "Z"
    }
}

/// The field separator of a `csv` file.
public enum CSVDelimiter: String, ConfigOption {
    case comma = ",", semicolon = ";", tab = "\t", pipe = "|"

    /// The separator byte.
    var byte: UInt8 {
        switch self {
        case .comma: UInt8(ascii: ",")
        case .semicolon: UInt8(ascii: ";")
        case .tab: UInt8(ascii: "\t")
        case .pipe: UInt8(ascii: "|")
        }
    }
}

/// The line ending of a `csv` file.
public enum CSVLineEnding: String, ConfigOption {
    /// CR LF, as RFC 4180 says.
    case crlf
    /// LF alone.
    case lf

    /// The bytes that end a line.
    var bytes: [UInt8] { self == .lf ? [10] : [13, 10] }
}

/// When a `csv` file is closed and renamed and a new one started.
public enum CSVRotation: String, ConfigOption {
    /// Never.
    case none
    /// At each UTC midnight (the old file gets a date suffix).
    case daily
    /// When the file reaches `max_bytes` (the old file gets a time suffix).
    case size
}
