import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
public import SluiceCore

/// Where and how the `alerts` stage POSTs its alerts.
public struct WebhookConfiguration: Decodable, Sendable {
    /// The URL (http or https).
    public var url: String
    /// Extra request headers (e.g. an Authorization header); secret.
    public var headers: [String: String]
    /// Per-attempt timeout.
    public var timeout: ConfigDuration
    /// Attempts per alert, the first included.
    public var maxAttempts: Int
    /// Upper bound of the first retry delay (full jitter, doubling).
    public var initialBackoff: ConfigDuration
    /// Cap on any retry delay.
    public var maxBackoff: ConfigDuration
    /// JSON-lines file receiving the alerts that could not be delivered.
    public var deadLetter: String


    /// The retry policy these settings describe.
    var retry: RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, initialBackoff: initialBackoff.duration, maxBackoff: maxBackoff.duration)
    }

    static let spec = ConfigSpec([
        ConfigField("url", .string, doc: "Where alerts are POSTed as JSON (http:// or https://)."),
        ConfigField("headers", .map(.string), default: .object(JSONObject()), secret: true, doc: "Extra request headers, e.g. {\"Authorization\": \"Bearer ${HOOK_TOKEN}\"}."),
        ConfigField("timeout", .duration, default: .string("5s"), doc: "Timeout of each attempt."),
        ConfigField("max_attempts", .integer(1...100), default: .number(5), doc: "Attempts per alert (retrying connection errors, timeouts, 429 and 5xx)."),
        ConfigField("initial_backoff", .duration, default: .string("500ms"), doc: "Upper bound of the first retry delay (exponential, full jitter; Retry-After honoured)."),
        ConfigField("max_backoff", .duration, default: .string("30s"), doc: "Cap on any retry delay."),
        ConfigField("dead_letter", .string, default: .string("out/alerts.dead-letter.jsonl"), doc: "JSON-lines file for alerts that could not be delivered."),
    ])
}

/// Delivers alerts to a webhook: one POST per alert, retried with exponential backoff and full jitter on
/// connection errors, timeouts, 429 (honouring `Retry-After`) and 5xx; an alert that still fails goes to
/// the dead-letter file.
struct WebhookNotifier: Sendable {
    /// How one delivery ended.
    enum Outcome: Equatable, Sendable {
        case delivered(attempts: Int)
        case deadLettered(reason: String)
    }

    let configuration: WebhookConfiguration
    let clock: any StageClock
    let userAgent: String

    func deliver(_ alert: Alert) async -> Outcome {
        let body = Array(alert.json.utf8)
        var lastProblem = ""
        for attempt in 1...configuration.maxAttempts {
            var retryAfter: Duration?
            do {
                var request = HTTPClientRequest(url: configuration.url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "User-Agent", value: userAgent)
                for (name, value) in configuration.headers.sorted(by: { $0.key < $1.key }) { request.headers.add(name: name, value: value) }
                request.body = .bytes(ByteBuffer(bytes: body))
                let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(configuration.timeout.duration.nanoseconds))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                let status = response.status.code
                if (200..<300).contains(status) { return .delivered(attempts: attempt) }
                lastProblem = "HTTP \(status)"
                guard status == 429 || status >= 500 else { return .deadLettered(reason: lastProblem) }
                if let text = response.headers.first(name: "Retry-After"), let seconds = Double(text), seconds >= 0 {
                    retryAfter = Duration.clampedSeconds(seconds)
                }
            } catch {
                lastProblem = Self.describe(error)
            }
            guard attempt < configuration.maxAttempts else { break }
            do {
                try await clock.sleep(for: configuration.retry.delay(afterAttempt: attempt, retryAfter: retryAfter))
            } catch {
                return .deadLettered(reason: "cancelled after \(lastProblem)")
            }
        }
        return .deadLettered(reason: "\(lastProblem) after \(configuration.maxAttempts) attempts")
    }

    /// Appends an undeliverable alert, with the reason, to the dead-letter file.
    func deadLetter(_ alert: Alert, reason: String) throws {
        try FileOutput.createParentDirectories(of: configuration.deadLetter)
        let fd = try FileOutput.open(configuration.deadLetter, append: true)
        defer { close(fd) }
        var w = JSONWriter()
        w.raw("{\"reason\":")
        w.string(reason)
        w.raw(",\"alert\":")
        w.record(alert)
        w.raw("}\n")
        try FileOutput.writeAll(fd, w.bytes, path: configuration.deadLetter)
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError {
            if e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout { return "timed out" }
            return "\(e)"
        }
        return "\(error)"
    }
}
