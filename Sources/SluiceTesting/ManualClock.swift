public import SluiceCore
import SluiceQueue
import Synchronization

/// A clock that only moves when a test advances it, so time-based stages (rates, candle closes,
/// staleness) are tested deterministically, without sleeping.
///
/// ```swift
/// let clock = ManualClock()
/// async let run = StageHarness.runSource(GenerateStage.self, configuration: config, clock: clock)
/// try await clock.waitForSleepers(1)   // the stage is now waiting on the clock
/// clock.advance(by: .seconds(1))
/// ```
public final class ManualClock: StageClock {
    private struct Sleeper {
        var deadline: Timestamp
        var continuation: UnsafeContinuation<Void, any Error>?
    }

    private struct State {
        var now: Timestamp
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// Creates a clock reading `now` (by default 2023-11-14T22:13:20Z).
    public init(now: Timestamp = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)) {
        state = Mutex(State(now: now))
    }

    /// The clock's current time.
    public var now: Timestamp { state.withLock { $0.now } }

    /// How many tasks are sleeping on this clock.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: Timestamp) async throws {
        let id: UInt64? = state.withLock { s in
            guard deadline > s.now else { return nil }
            s.nextID += 1
            s.sleepers[s.nextID] = Sleeper(deadline: deadline, continuation: nil)
            return s.nextID
        }
        guard let id else { return }
        try await suspend { c in
            state.withLock { s in
                // Cancelled first: a sleeper cancelled before it suspended (its entry already gone) throws
                // too, and does not return as if its deadline had come.
                if Task.isCancelled {
                    s.sleepers[id] = nil
                    return .failure(CancellationError())
                }
                guard s.sleepers[id] != nil else { return .success(()) }
                s.sleepers[id]!.continuation = c
                return nil
            }
        } cancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id)?.continuation }
        }
    }

    /// Moves the clock forward by `duration`, waking every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        advance(to: now.advanced(by: duration))
    }

    /// Moves the clock to `time` (never backwards), waking every sleeper whose deadline has come.
    public func advance(to time: Timestamp) {
        let due: [UnsafeContinuation<Void, any Error>] = state.withLock { s in
            if time > s.now { s.now = time }
            var out: [UnsafeContinuation<Void, any Error>] = []
            // A sleeper registered but not yet suspended finds itself removed and returns at once.
            for (id, sleeper) in s.sleepers where sleeper.deadline <= s.now {
                if let c = sleeper.continuation { out.append(c) }
                s.sleepers[id] = nil
            }
            return out
        }
        for c in due { c.resume() }
    }

    /// Returns once at least `count` tasks are suspended sleeping on this clock.
    ///
    /// - Throws: ``ManualClockWaitTimeout`` if that does not happen within `limit` of real time (a test
    ///   whose stage never sleeps fails instead of hanging).
    public func waitForSleepers(_ count: Int, within limit: Duration = .seconds(120)) async throws {
        guard try await eventually(within: limit, { suspendedSleepers >= count }) else {
            throw ManualClockWaitTimeout(count: count, limit: limit)
        }
    }

    /// How many tasks are suspended sleeping (registered and waiting for a deadline).
    private var suspendedSleepers: Int { state.withLock { s in s.sleepers.values.count { $0.continuation != nil } } }
}

/// ``ManualClock/waitForSleepers(_:within:)`` gave up: fewer tasks than expected ever slept on the clock.
public struct ManualClockWaitTimeout: Error, CustomStringConvertible {
    /// The number of sleepers waited for.
    public var count: Int
    /// How long the test waited.
    public var limit: Duration
    public var description: String { "fewer than \(count) tasks slept on the manual clock within \(limit)" }
}
