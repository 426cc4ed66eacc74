import DXLinkSimulator
import FaultProxy
import Foundation
import SluiceRuntime
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `sluice run --http`: a real process, scraped over loopback while it runs.
@Suite("The operator endpoint")
struct OperatorEndpointTests {
    /// One answer from the endpoint.
    struct Answer {
        var status: Int
        var body: String
    }

    static func get(_ url: String) async throws -> Answer {
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(from: URL(string: url)!)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: String(decoding: data, as: UTF8.self))
    }

    /// The endpoint's base URL, read from the run's JSON log line "operator endpoint listening".
    static func endpointURL(of run: SluiceProcess) async throws -> String {
        var url: String?
        try await waitUntil("the operator endpoint's log line") {
            for line in run.stderrSoFar.split(separator: "\n") where line.contains("operator endpoint listening") {
                if let data = line.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                    url = object["url"] as? String
                }
            }
            return url != nil
        }
        return url!
    }

    /// Polls `path` until its status is `status`; returns the body.
    static func await(_ base: String, _ path: String, status: Int) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(60)
        var last = ""
        while ContinuousClock.now < deadline {
            if let answer = try? await get(base + path) {
                if answer.status == status { return answer.body }
                last = answer.body
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw WaitTimeout(what: "\(path) answering \(status); last: \(last)")
    }

    /// Scrapes `/metrics` until `series` passes `condition` (the reporter publishes once a second);
    /// returns the last exposition.
    static func scrape(_ base: String, until series: String, _ condition: (Double) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(60)
        var body = try await get(base + "/metrics").body
        while !condition(sample(body, series) ?? 0), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            body = try await get(base + "/metrics").body
        }
        return body
    }

    /// The value of the sample `name{labels}` in an exposition.
    static func sample(_ exposition: String, _ series: String) -> Double? {
        for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test("/ready goes 503 → 200 → 503 → 200 across a feed that connects, drops and comes back; /metrics is valid Prometheus text whose counters move; /health shows the feed")
    func readinessFollowsTheFeed() async throws {
        var sim = SimulatorConfiguration()
        sim.token = "endpoint-test-token"
        sim.rate = 500
        try await DXLinkSimulator.withRunning(sim) { simulator in
            try await FaultProxy.withRunning(upstreamPort: simulator.port) { proxy in
                // Frozen first: the handshake cannot finish, so the run is certainly not ready yet.
                proxy.set(.freeze)
                let dir = try temporaryDirectory()
                let file = dir.appendingPathComponent("feed.json")
                try write(#"""
                    {"name": "endpoint", "stages": [
                      {"id": "feed", "kind": "dxlink", "config": {
                        "url": "ws://127.0.0.1:\#(proxy.port)", "token": "endpoint-test-token",
                        "symbols": ["AAPL", "SPY"], "events": ["Quote"],
                        "reconnect": {"initial_delay": "20ms", "max_delay": "100ms"}}},
                      {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
                      {"id": "out", "kind": "null", "from": "decode"}
                    ]}
                    """#, to: file)
                let run = try SluiceProcess(["run", file.path, "--http", "127.0.0.1:0", "--log-format", "json", "--no-summary"], directory: dir)
                let base = try await Self.endpointURL(of: run)

                let before = try await Self.get(base + "/ready")
                #expect(before.status == 503)
                #expect(before.body.contains("feed"))

                proxy.set(.pass)
                _ = try await Self.await(base, "/ready", status: 200)
                let first = try await Self.get(base + "/metrics")
                #expect(first.status == 200)
                // Counters move between scrapes.
                let out = #"sluice_stage_events_out_total{pipeline="endpoint",stage="feed"}"#
                let firstCount = Self.sample(first.body, out) ?? 0
                let second = try await Self.scrape(base, until: out) { $0 > firstCount }
                #expect((Self.sample(second, out) ?? 0) > firstCount)
                #expect(Self.sample(second, #"sluice_feed_delivering{pipeline="endpoint",stage="feed"}"#) == 1)
                try await Self.promtoolAccepts(second, in: dir)

                let health = try await Self.get(base + "/health")
                #expect(health.status == 200)
                let object = try JSONSerialization.jsonObject(with: Data(health.body.utf8)) as? [String: Any]
                let stages = object?["stages"] as? [[String: Any]] ?? []
                let feed = stages.first { $0["id"] as? String == "feed" }?["feed"] as? [String: Any]
                #expect(feed?["state"] as? String == "subscribed")
                #expect(feed?["delivering"] as? Bool == true)

                // The feed drops, and the reconnect cannot get through: not ready, with the reason.
                proxy.set(.freeze)
                proxy.resetAll()
                let down = try await Self.await(base, "/ready", status: 503)
                #expect(down.contains("feed: feed"))
                proxy.set(.pass)
                _ = try await Self.await(base, "/ready", status: 200)
                let connects = #"sluice_dxlink_connects_total{stage="feed"}"#
                let after = try await Self.scrape(base, until: connects) { $0 >= 2 }
                #expect((Self.sample(after, connects) ?? 0) >= 2)

                run.signal(SIGTERM)
                let result = await run.wait()
                #expect(result.status == 0)
                // The endpoint closed with the run.
                await #expect(throws: (any Error).self) { try await Self.get(base + "/health") }
            }
        }
    }

    @Test("/health answers 503 naming a stage that failed and is waiting to restart, with its error")
    func healthShowsAFailedStage() async throws {
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("failing.json")
        try write(#"""
            {"name": "failing", "http": "127.0.0.1:0", "stages": [
              {"id": "gen", "kind": "generate", "config": {"rate": 20, "symbols": ["A"]}},
              {"id": "prog", "kind": "exec", "from": "gen",
               "config": {"command": ["false"], "output": {"columns": ["symbol:string"]}},
               "on_error": {"action": "restart", "backoff": "1m", "max_backoff": "1m"}},
              {"id": "out", "kind": "null", "from": "prog"}
            ]}
            """#, to: file)
        // (`false` never takes its input, so the drain cannot finish: a short deadline ends the run.)
        let run = try SluiceProcess(["run", file.path, "--log-format", "json", "--no-summary", "--drain-timeout", "1s"], directory: dir)
        let base = try await Self.endpointURL(of: run)
        // Clients that connect and never send a request (or send half of one) do not hold the endpoint.
        let port = Int32(base.split(separator: ":").last!)!
        let idle = (0..<5).map { i in Self.openSocket(port: port, send: i == 0 ? "GET /hea" : "") }
        defer { for fd in idle { close(fd) } }
        #expect(idle.allSatisfy { $0 >= 0 })
        let body = try await Self.await(base, "/health", status: 503)
        let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        #expect(object?["status"] as? String == "failing")
        let prog = (object?["stages"] as? [[String: Any]])?.first { $0["id"] as? String == "prog" }
        #expect(prog?["state"] as? String == "restarting")
        #expect((prog?["last_error"] as? String)?.contains("status 1") == true)
        #expect(try await Self.get(base + "/ready").status == 503)
        #expect(try await Self.get(base + "/nothing").status == 404)
        run.signal(SIGTERM)
        _ = await run.wait()
    }

    @Test("while the pipeline drains, /health still answers 200 and /ready 503 (draining); when the run ends, the endpoint closes")
    func servesWhileDraining() async throws {
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("drain.json")
        // The program holds the drain open until the test creates `release`.
        try write(#"""
            {"name": "drain", "http": "127.0.0.1:0", "stages": [
              {"id": "gen", "kind": "generate", "config": {"rate": 20, "symbols": ["A"]}},
              {"id": "prog", "kind": "exec", "from": "gen",
               "config": {"command": ["sh", "-c", "while [ ! -e release ]; do sleep 0.05; done; cat"], "output": {"columns": ["symbol:string"]}}},
              {"id": "out", "kind": "null", "from": "prog"}
            ]}
            """#, to: file)
        let run = try SluiceProcess(["run", file.path, "--log-format", "json", "--no-summary"], directory: dir)
        let base = try await Self.endpointURL(of: run)
        _ = try await Self.await(base, "/ready", status: 200)
        run.signal(SIGTERM)
        let draining = try await Self.await(base, "/ready", status: 503)
        #expect(draining.contains("draining"))
        #expect(try await Self.get(base + "/health").status == 200)
        try write("", to: dir.appendingPathComponent("release"))
        let result = await run.wait()
        #expect(result.status == 0, "\(result.stderr)")
        await #expect(throws: (any Error).self) { try await Self.get(base + "/health") }
    }

    /// A TCP connection to 127.0.0.1:`port` that has sent `send` and nothing more.
    static func openSocket(port: Int32, send: String) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); return -1 }
        if !send.isEmpty { _ = send.withCString { Glibc.send(fd, $0, strlen($0), 0) } }
        return fd
    }

    /// Checks an exposition with `promtool check metrics` (Debian package `prometheus`; `.ci/setup`
    /// installs it).
    static func promtoolAccepts(_ exposition: String, in dir: URL) async throws {
        let input = dir.appendingPathComponent("metrics.txt")
        try write(exposition, to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "promtool check metrics < '\(input.path)' 2>&1"]
        let pipe = Pipe()
        process.standardOutput = pipe
        let exit = ProcessExit(process)
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        await waitForExit(of: process, exit)
        #expect(process.terminationStatus == 0, "promtool check metrics: \(output)")
    }
}

@Suite("symbols_file and SIGHUP, in a real process")
struct SymbolsFileProcessTests {
    @Test("SIGHUP re-reads the symbols file at once (the poll is an hour), the new symbol streams, and the process keeps running until SIGTERM")
    func hangupReloads() async throws {
        let dir = try temporaryDirectory()
        let watchlist = dir.appendingPathComponent("watchlist.txt")
        let out = dir.appendingPathComponent("out.jsonl")
        try write("AAPL\n", to: watchlist)
        let file = dir.appendingPathComponent("hup.json")
        try write("""
            {"name": "hup", "stages": [
              {"id": "feed", "kind": "dxlink", "config": {"simulate": {"rate": 200}, "symbols_file": "\(watchlist.path)",
                 "symbols_file_poll": "1h", "events": ["Quote"]}},
              {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
              {"id": "out", "kind": "jsonl", "from": "decode", "config": {"path": "\(out.path)"}}
            ]}
            """, to: file)
        let run = try SluiceProcess(["run", file.path, "--log-format", "json", "--no-summary"], directory: dir)
        try await waitUntil("the SIGHUP trap and AAPL quotes") {
            run.stderrSoFar.contains("following the symbols file") && lines(of: out).contains { $0.contains(#""symbol":"AAPL""#) && $0.contains(#""event_type":"Quote""#) }
        }
        try write("AAPL\nQQQ\n", to: watchlist)
        run.signal(SIGHUP)
        try await waitUntil("QQQ quotes after SIGHUP") {
            lines(of: out).contains { $0.contains(#""symbol":"QQQ""#) && $0.contains(#""event_type":"Quote""#) }
        }
        let universe = lines(of: out).filter { $0.contains(#""event_type":"Universe""#) }
        #expect(universe.count == 2)
        #expect(universe.last?.contains(#""symbol":"QQQ""#) == true && universe.last?.contains(#""reason":"file""#) == true)
        run.signal(SIGTERM)
        let result = await run.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("symbols file changed"))
    }
}

extension OperatorEndpointTests {
    static func post(_ url: String, _ body: String, contentType: String? = "application/json") async throws -> Answer {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        request.httpBody = Data(body.utf8)
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: String(decoding: data, as: UTF8.self))
    }

    @Test("POST /sources/{id}/subscriptions adds and removes symbols of a running dxlink source: data follows, Universe records say why, and wrong requests get 4xx naming the problem")
    func subscriptionsOverHTTP() async throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("out.jsonl")
        let file = dir.appendingPathComponent("api.json")
        try write("""
            {"name": "api", "http": "127.0.0.1:0", "stages": [
              {"id": "feed", "kind": "dxlink", "config": {"simulate": {"rate": 300}, "symbols": ["AAPL"], "events": ["Quote"]}},
              {"id": "decode", "kind": "dxlink_decode", "from": "feed"},
              {"id": "out", "kind": "jsonl", "from": "decode", "config": {"path": "\(out.path)"}}
            ]}
            """, to: file)
        let run = try SluiceProcess(["run", file.path, "--log-format", "json", "--no-summary"], directory: dir)
        let base = try await Self.endpointURL(of: run)
        _ = try await Self.await(base, "/ready", status: 200)
        let route = base + "/sources/feed/subscriptions"
        let added = try await Self.post(route, #"{"add": ["QQQ", "AAPL"]}"#)
        #expect(added.status == 200, "\(added.body)")
        let reply = try JSONSerialization.jsonObject(with: Data(added.body.utf8)) as? [String: Any]
        #expect(reply?["added"] as? [String] == ["QQQ"])
        #expect((reply?["unchanged"] as? [[String: String]])?.first?["reason"] == "already subscribed")
        try await waitUntil("QQQ quotes") { lines(of: out).contains { $0.contains(#""symbol":"QQQ""#) && $0.contains(#""event_type":"Quote""#) } }
        let removed = try await Self.post(route, #"{"remove": ["QQQ", "AAPL"]}"#)
        #expect(removed.status == 200)
        #expect(removed.body.contains(#""removed":["QQQ"]"#))
        #expect(removed.body.contains("configured in the pipeline file"))
        try await waitUntil("the removal's Universe record") { lines(of: out).count { $0.contains(#""event_type":"Universe""#) } == 3 }
        let universe = lines(of: out).filter { $0.contains(#""event_type":"Universe""#) }
        #expect(universe.dropFirst().allSatisfy { $0.contains(#""reason":"api""#) && $0.contains(#""symbol":"QQQ""#) })
        // Wrong requests.
        #expect(try await Self.post(base + "/sources/nope/subscriptions", #"{"add": ["X"]}"#).status == 404)
        #expect(try await Self.post(base + "/sources/decode/subscriptions", #"{"add": ["X"]}"#).status == 409)
        #expect(try await Self.post(route, #"{"add": ["A B"]}"#).status == 400)
        #expect(try await Self.post(route, "[[[[", contentType: "application/json").status == 400)
        #expect(try await Self.post(route, #"{"add": ["X"]}"#, contentType: "text/plain").status == 415)
        #expect(try await Self.post(route, String(repeating: " ", count: 2 << 20)).status == 413)
        #expect(try await Self.get(route).status == 405)
        run.signal(SIGTERM)
        let result = await run.wait()
        #expect(result.status == 0, "\(result.stderr)")
    }
}
