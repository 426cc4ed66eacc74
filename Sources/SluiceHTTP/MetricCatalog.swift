/// Every metric Sluice publishes, with its help text: the one list the `/metrics` exposition's `# HELP`
/// lines and the operations page come from (a test checks the page names them all).
///
/// swift-metrics has no place for help text, so the exposition adds it: ``annotate(_:)`` puts a
/// `# HELP` line before each `# TYPE` line of a metric listed here.
public enum MetricCatalog {
    /// Metric names and what each means.
    public static let help: [String: String] = [
        "sluice_stage_events_in_total": "Events a stage read from its input.",
        "sluice_stage_events_out_total": "Events a stage sent downstream.",
        "sluice_stage_errors_total": "Errors in a stage: records that failed and stage failures.",
        "sluice_stage_skipped_total": "Inputs a stage skipped on purpose (malformed frames, bad records); never silent.",
        "sluice_stage_restarts_total": "Restarts of a stage after failures (on_error: restart).",
        "sluice_stage_state": "1 for the state a stage is in (starting, running, restarting, finished, failed), 0 for the others.",
        "sluice_queue_dropped_total": "Events a stage's input queue dropped by its policy (drop_oldest, drop_newest, conflate when full); block never drops.",
        "sluice_queue_conflated_total": "Events replaced in a conflate queue by a newer event with the same key.",
        "sluice_queue_abandoned_total": "Events left in, or sent to, a queue whose consumer had stopped for good (a failed or cancelled run).",
        "sluice_queue_depth": "Events in a stage's input queue now.",
        "sluice_queue_high_water_mark": "The most events a stage's input queue has held.",
        "sluice_queue_capacity": "The capacity of a stage's input queue, in events.",
        "sluice_feed_delivering": "1 while a source's feed is up and delivering (DXLink: subscribed, with data since), else 0.",
        "sluice_feed_state": "1 for the state a source's feed last reported (connecting, connected, authorized, subscribed, disconnected, reconnecting, closed), 0 for the states it left.",
        "sluice_symbols": "Subscriptions (symbol × event type) a decoder watches, by state: waiting (no event yet, within no_data_after), fresh, stale (quiet longer than stale_after), no_data (nothing within no_data_after).",
        "sluice_source_last_event_age_seconds": "Seconds since a source last emitted an event (to the reporter's one-second resolution).",
        "sluice_pipeline_ready": "1 while every stage runs and every source delivers (what /ready answers 200 to), else 0.",
        "sluice_pipeline_healthy": "1 while the pipeline runs and no stage is failed or restarting (what /health answers 200 to), else 0.",
        "sluice_dxlink_connects_total": "DXLink connections opened.",
        "sluice_dxlink_disconnects_total": "DXLink connections lost or closed.",
        "sluice_dxlink_messages_in_total": "DXLink messages received.",
        "sluice_dxlink_messages_out_total": "DXLink messages sent.",
        "sluice_dxlink_bytes_in_total": "Bytes of DXLink messages received.",
        "sluice_dxlink_bytes_out_total": "Bytes of DXLink messages sent.",
        "sluice_dxlink_server_errors_total": "DXLink ERROR messages from the server, by code (codes outside the protocol's are counted as OTHER).",
        "sluice_dxlink_reconnect_latency_seconds": "From losing a DXLink connection to being subscribed again.",
        "sluice_dxlink_connection_uptime_seconds": "How long each DXLink connection lasted.",
        "sluice_market_metrics_records_total": "Records the market_metrics enricher passed on, by status (fresh, stale, missing).",
        "sluice_rest_requests_total": "tastytrade REST requests, by endpoint and outcome (the HTTP status, or error for a transport failure).",
        "sluice_rest_breaker_open": "1 while the tastytrade client's circuit breaker for an API host is open, else 0.",
    ]

    /// `exposition` (Prometheus text format) with a `# HELP` line before the `# TYPE` line of every
    /// metric in ``help``.
    public static func annotate(_ exposition: String) -> String {
        var out = ""
        out.reserveCapacity(exposition.utf8.count + help.count * 80)
        for line in exposition.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE ") {
                let name = line.dropFirst(7).prefix { $0 != " " }
                if let text = help[String(name)] { out += "# HELP \(name) \(text)\n" }
            }
            out += line
            out += "\n"
        }
        if out.hasSuffix("\n\n") { out.removeLast() }
        return out
    }
}
