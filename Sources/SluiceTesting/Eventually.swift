/// Waits until `condition` holds, checking every two milliseconds for at most `limit`: a wait for
/// something to happen, never an assertion about how long it takes. The condition may do work on each
/// check (advance a manual clock, send a batch).
///
/// ```swift
/// #expect(try await eventually { clock.advance(by: .seconds(1)); return file.exists })
/// ```
///
/// - Returns: Whether the condition held before the limit.
public func eventually(within limit: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now.advanced(by: limit)
    while try await !condition() {
        if ContinuousClock.now > deadline { return false }
        try await Task.sleep(for: .milliseconds(2))
    }
    return true
}
