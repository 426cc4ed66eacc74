import Synchronization

/// A key for a value shared between the stages of one pipeline, with the value's type.
///
/// ```swift
/// enum NewestStoredCandles: SharedKey {
///     typealias Value = [CandleSeries: Timestamp]
/// }
/// ```
public protocol SharedKey {
    /// The type of the shared value.
    associatedtype Value: Sendable
}

/// Values the stages of one pipeline share: set by one stage when it is created, read by another when it
/// runs (the runtime creates every stage before running any). One per pipeline run, never global.
///
/// The `sqlite` sink publishes the newest candle it holds per series this way, and the `dxlink` source
/// requests candle history from there after a restart.
public final class SharedValues: Sendable {
    private let values = Mutex<[ObjectIdentifier: any Sendable]>([:])

    /// Creates an empty set.
    public init() {}

    /// The value for `key`, if a stage set one.
    public subscript<K: SharedKey>(key: K.Type) -> K.Value? {
        values.withLock { $0[ObjectIdentifier(key)] as? K.Value }
    }

    /// Sets the value for `key`, combining it with an existing one through `combine(old, new)`.
    public func update<K: SharedKey>(_ key: K.Type, with value: K.Value, combine: (K.Value, K.Value) -> K.Value) {
        values.withLock { v in
            let id = ObjectIdentifier(key)
            if let old = v[id] as? K.Value { v[id] = combine(old, value) } else { v[id] = value }
        }
    }
}
