/// Sluice's version, as `sluice --version` prints it and `User-Agent` headers carry it (`sluice/0.1.0`).
public enum SluiceVersion {
    /// The current version.
    public static let current = "0.1.0"
}
