import Foundation
public import SluiceCore

/// Loads stage plugins built as shared libraries (`sluice build-plugin`) into a registry.
///
/// A plugin exports two C symbols: `sluice_plugin_fingerprint`, returning the ``PluginFingerprint`` of
/// the `sluice` it was built against, and `sluice_plugin_register`, which registers its kinds. The
/// fingerprint is read and compared before anything else in the library is called; a mismatch is refused.
/// Plugins resolve the core's symbols against the running executable, so one copy of the core is
/// shared and types, errors and registries agree across the boundary.
public enum PluginLoader {
    /// Why a library could not be loaded.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        /// The library.
        public var path: String
        /// What went wrong and what to do.
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    private typealias FingerprintFunction = @convention(c) () -> UnsafePointer<CChar>
    private typealias RegisterFunction = @convention(c) (UnsafeMutableRawPointer) -> Void

    /// Loads the library at `path` and registers its kinds into `registry`, with the path as their origin.
    public static func load(_ path: String, into registry: inout StageRegistry) throws(LoadError) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LoadError(path: path, message: "no such file")
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw LoadError(path: path, message: "cannot load it (\(reason)); if it was built against another build of sluice, rebuild it with `sluice build-plugin`")
        }
        guard let fingerprintSymbol = dlsym(handle, "sluice_plugin_fingerprint") else {
            throw LoadError(path: path, message: "not a Sluice plugin (it exports no sluice_plugin_fingerprint); build it with `sluice build-plugin`")
        }
        let fingerprint = String(cString: unsafeBitCast(fingerprintSymbol, to: FingerprintFunction.self)())
        guard fingerprint == PluginFingerprint.current else {
            throw LoadError(path: path, message: """
                built for "\(fingerprint)", but this sluice is "\(PluginFingerprint.current)"; \
                rebuild the plugin with this sluice: `sluice build-plugin --plugin TYPE --output \(path) SOURCES…`
                """)
        }
        guard let registerSymbol = dlsym(handle, "sluice_plugin_register") else {
            throw LoadError(path: path, message: "the plugin exports no sluice_plugin_register; build it with `sluice build-plugin`")
        }
        var loaded = StageRegistry()
        withUnsafeMutablePointer(to: &loaded) { unsafeBitCast(registerSymbol, to: RegisterFunction.self)(UnsafeMutableRawPointer($0)) }
        for descriptor in loaded.descriptors {
            guard registry.register(descriptor.stageType, origin: "\(path) (\(descriptor.origin))") else {
                let kept = registry.descriptor(for: descriptor.kind)?.origin ?? "?"
                throw LoadError(path: path, message: "its kind \"\(descriptor.kind)\" is already registered by \(kept)")
            }
        }
    }
}
