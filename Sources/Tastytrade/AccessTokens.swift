import SluiceCore
import Synchronization

/// The OAuth access token, refreshed before it expires and when the server refuses it — one refresh at a
/// time, however many requests are waiting for it.
final class AccessTokens: Sendable {
    struct Token: Sendable {
        var value: String
        var issued: Timestamp
        var expires: Timestamp

        /// When to stop using it: `margin` before expiry, but never more than a quarter of its lifetime
        /// (a token that lives 30 s is used for 22.5 s, not refreshed before every request).
        func renewal(margin: Duration) -> Timestamp {
            expires.advanced(by: .zero - min(margin, issued.duration(to: expires) / 4))
        }
    }

    private struct State {
        var current: Token?
        var refreshing = false
        var waiters: [UnsafeContinuation<String, any Error>] = []
        var refreshes = 0
    }

    private let state = Mutex(State())
    private let clock: any StageClock
    private let margin: Duration
    private let refresh: @Sendable () async throws -> Token

    /// `refresh` performs the OAuth call; it is only ever running once.
    init(clock: any StageClock, margin: Duration, refresh: @escaping @Sendable () async throws -> Token) {
        self.clock = clock
        self.margin = margin
        self.refresh = refresh
    }

    /// How many refreshes have been made.
    var refreshCount: Int { state.withLock { $0.refreshes } }

    /// A valid access token. With `rejected`, that token was refused: a new one is fetched unless another
    /// caller already replaced it.
    func token(rejected: String? = nil) async throws -> String {
        enum Step { case use(String), wait, refresh }
        let now = clock.now
        let step = state.withLock { s -> Step in
            if let current = s.current, current.value != rejected, now < current.renewal(margin: margin) {
                return .use(current.value)
            }
            if s.refreshing { return .wait }
            s.refreshing = true
            return .refresh
        }
        switch step {
        case .use(let token):
            return token
        case .wait:
            return try await withUnsafeThrowingContinuation { c in
                let ready = state.withLock { s -> String? in
                    if !s.refreshing, let current = s.current { return current.value }
                    s.waiters.append(c)
                    return nil
                }
                if let ready { c.resume(returning: ready) }
            }
        case .refresh:
            let result: Result<Token, any Error>
            do {
                result = .success(try await refresh())
            } catch {
                result = .failure(error)
            }
            let waiters = state.withLock { s -> [UnsafeContinuation<String, any Error>] in
                s.refreshing = false
                if case .success(let token) = result {
                    s.current = token
                    s.refreshes += 1
                }
                defer { s.waiters.removeAll() }
                return s.waiters
            }
            for w in waiters { w.resume(with: result.map(\.value)) }
            return try result.get().value
        }
    }
}
