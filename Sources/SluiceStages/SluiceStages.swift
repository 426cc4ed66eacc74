import Alerting
import BuiltinStages
import CSVSink
import Candles
import SQLiteSink
public import SluiceCore

extension StageRegistry {
    /// Every stage kind Sluice ships: the generic stages, the built-in market-data stages and the plugin
    /// modules (candles, csv, sqlite, alerts). What the `sluice` executable runs with; a custom runner
    /// starts from it and registers its own plugin beside them.
    ///
    /// ```swift
    /// var registry = StageRegistry.all
    /// registry.register(plugin: MyStages.self)
    /// ```
    public static var all: StageRegistry {
        var r = StageRegistry.marketData
        r.register(plugin: CandlesPlugin.self)
        r.register(plugin: CSVSinkPlugin.self)
        r.register(plugin: SQLiteSinkPlugin.self)
        r.register(plugin: AlertingPlugin.self)
        return r
    }
}
