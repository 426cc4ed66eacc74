import Foundation
import SluiceCore

/// What a run-time plugin must have been built against: this Sluice version, this toolchain, and this
/// very build of the core (the running executable's GNU build ID).
///
/// A plugin built against another build of the core would load and then crash on its first call (its
/// type metadata and the host's disagree), so the fingerprint is compared before anything in the plugin
/// is called.
public enum PluginFingerprint {
    /// The running host's fingerprint, e.g. `sluice 0.1.0; swift 6.3; core 9e1bdbc3…`.
    public static let current: String = "sluice \(SluiceVersion.current); swift \(toolchain); core \(buildID ?? "unknown")"

    /// The Swift compiler the host was built with (major.minor).
    static var toolchain: String {
        #if compiler(>=6.5)
        return "6.5+"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #else
        return "6.1"
        #endif
    }

    /// The main executable's GNU build ID, read from the `PT_NOTE` segments of `/proc/self/exe`.
    static var buildID: String? {
        guard let file = FileHandle(forReadingAtPath: "/proc/self/exe") else { return nil }
        defer { try? file.close() }
        func read(_ offset: UInt64, _ count: Int) -> [UInt8]? {
            guard (try? file.seek(toOffset: offset)) != nil, let data = try? file.read(upToCount: count), data.count == count else { return nil }
            return Array(data)
        }
        func integer<T: FixedWidthInteger>(_ bytes: [UInt8], _ at: Int, _: T.Type) -> T {
            var v: T = 0
            for i in 0..<MemoryLayout<T>.size { v |= T(bytes[at + i]) << (8 * i) }
            return v
        }
        // ELF64, little-endian (x86_64 and aarch64 Linux).
        guard let header = read(0, 64), header[0...3] == [0x7F, 0x45, 0x4C, 0x46], header[4] == 2, header[5] == 1 else { return nil }
        let phoff = integer(header, 32, UInt64.self)
        let phentsize = Int(integer(header, 54, UInt16.self))
        let phnum = Int(integer(header, 56, UInt16.self))
        for i in 0..<phnum {
            guard let ph = read(phoff + UInt64(i * phentsize), phentsize), integer(ph, 0, UInt32.self) == 4 else { continue }  // PT_NOTE
            let offset = integer(ph, 8, UInt64.self)
            let size = Int(integer(ph, 32, UInt64.self))
            guard size < 1 << 20, let notes = read(offset, size) else { continue }
            var at = 0
            while at + 12 <= size {
                let nameSize = Int(integer(notes, at, UInt32.self))
                let descSize = Int(integer(notes, at + 4, UInt32.self))
                let type = integer(notes, at + 8, UInt32.self)
                let descStart = at + 12 + ((nameSize + 3) & ~3)
                guard descStart + descSize <= size else { break }
                if type == 3, nameSize == 4, notes[at + 12..<at + 15] == [0x47, 0x4E, 0x55] {  // NT_GNU_BUILD_ID, "GNU"
                    return notes[descStart..<descStart + descSize].map { String(format: "%02x", $0) }.joined()
                }
                at = descStart + ((descSize + 3) & ~3)
            }
        }
        return nil
    }
}
