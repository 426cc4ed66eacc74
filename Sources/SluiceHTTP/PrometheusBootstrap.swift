public import CoreMetrics
import Prometheus

/// Makes swift-prometheus the process's swift-metrics backend.
public enum PrometheusBootstrap {
    /// Bootstraps swift-metrics with a Prometheus registry (once per process, before any metric is
    /// made) and returns what renders the registry as Prometheus text.
    public static func bootstrap() -> @Sendable () -> String {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return { registry.emitToString() }
    }

    /// A registry and its factory, without touching the global system (for tests and embedders that
    /// pass the factory to ``SluiceRuntime/Pipeline`` themselves).
    public static func make() -> (factory: any MetricsFactory, render: @Sendable () -> String) {
        let registry = PrometheusCollectorRegistry()
        return (PrometheusMetricsFactory(registry: registry), { registry.emitToString() })
    }
}
