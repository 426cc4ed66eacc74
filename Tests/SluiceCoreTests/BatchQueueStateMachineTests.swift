import SluiceCore
import SluiceQueue
import Testing

/// The queue's decisions, call by call, with no tasks and no locks: what each policy keeps, drops and
/// hands on, and when a producer or the consumer must wait.
@Suite("BatchQueue state machine")
struct BatchQueueStateMachineTests {
    typealias Machine = BatchQueueStateMachine<Int>

    static func machine(_ capacity: Int, _ policy: QueuePolicy, producers: Int = 1) -> Machine {
        Machine(capacity: capacity, policy: policy, producers: producers,
                key: { ConflationKey(recordType: "", values: [.int(Int64($0 % 10))]) })
    }

    /// The batch `next()` delivers, or `nil` for anything else.
    static func delivered(_ m: inout Machine) -> [Int]? {
        if case .deliver(let batch, _) = m.next() { return batch }
        return nil
    }

    /// What `send` returned, as text a table can compare.
    static func outcome(_ action: Machine.SendAction) -> String {
        switch action {
        case .queued(nil): return "queued"
        case .queued(let b?): return "handed \(b)"
        case .closed: return "closed"
        case .wait(let id, nil): return "wait #\(id)"
        case .wait(let id, let b?): return "handed \(b), wait #\(id)"
        }
    }

    @Test("each policy with 4 slots, sent 3 then 3: what is kept, what is dropped, who waits",
          arguments: [
            (QueuePolicy.block, "wait #1", [[1, 2, 3], [4]], 0),
            (.dropNewest, "queued", [[1, 2, 3], [4]], 2),
            (.dropOldest, "queued", [[3], [4, 5, 6]], 2),
          ])
    func policyTable(policy: QueuePolicy, second: String, kept: [[Int]], dropped: Int) {
        var m = Self.machine(4, policy)
        #expect(Self.outcome(m.send([1, 2, 3])) == "queued")
        #expect(Self.outcome(m.send([4, 5, 6])) == second)
        #expect(m.statistics.depth == 4, "never more than the capacity")
        #expect(m.statistics.dropped == dropped)
        var got: [[Int]] = []
        for _ in kept { if let b = Self.delivered(&m) { got.append(b) } }
        #expect(got == kept)
    }

    @Test("block: a producer that waits is resumed by the next() that makes room for all of its batch")
    func blockResumesWaiter() {
        var m = Self.machine(4, .block)
        #expect(Self.outcome(m.send([1, 2, 3, 4])) == "queued")
        #expect(Self.outcome(m.send([5, 6])) == "wait #1")
        #expect(m.producerSuspends(1, cancelled: false) == .suspend)
        guard case .deliver(let first, let resume) = m.next() else { Issue.record("expected a batch"); return }
        #expect(first == [1, 2, 3, 4])
        #expect(resume == [1], "its two events fit now")
        #expect(Self.delivered(&m) == [5, 6])
        #expect(m.statistics.enqueued == 6 && m.statistics.dequeued == 6 && m.statistics.dropped == 0)
    }

    @Test("block: a producer admitted before it suspended returns at once")
    func admittedBeforeSuspending() {
        var m = Self.machine(2, .block)
        _ = m.send([1, 2])
        #expect(Self.outcome(m.send([3])) == "wait #1")
        guard case .deliver(_, let resume) = m.next() else { Issue.record("expected a batch"); return }
        #expect(resume.isEmpty, "it had not suspended, so there is nobody to resume")
        #expect(m.producerSuspends(1, cancelled: false) == .resumeAdmitted)
    }

    @Test("block: a batch larger than the capacity goes through in capacity-sized parts")
    func oversizedBatch() {
        var m = Self.machine(4, .block)
        #expect(Self.outcome(m.send(Array(0..<10))) == "wait #1")
        #expect(m.producerSuspends(1, cancelled: false) == .suspend)
        #expect(Self.delivered(&m) == [0, 1, 2, 3])
        guard case .deliver(let second, let resume) = m.next() else { Issue.record("expected a batch"); return }
        #expect(second == [4, 5, 6, 7])
        #expect(resume == [1], "the last two moved in behind it, so the producer is done")
        #expect(Self.delivered(&m) == [8, 9])
    }

    @Test("conflate keeps the latest per key and evicts (counted as dropped) only beyond the capacity")
    func conflateTable() {
        var m = Self.machine(3, .conflate)
        #expect(Self.outcome(m.send([1, 2, 11, 12, 21])) == "queued")
        #expect(m.statistics.conflated == 3, "11, 12 and 21 replace 1, 2 and 11")
        #expect(Self.delivered(&m) == [21, 12])
        _ = m.send([3, 4, 5, 6])
        #expect(m.statistics.dropped == 1, "the fourth key evicts the oldest")
        #expect(Self.delivered(&m) == [4, 5, 6])
    }

    @Test("a waiting consumer is handed the next batch directly; the end comes when every producer has finished")
    func consumerHandOffAndEnd() {
        var m = Self.machine(4, .block, producers: 2)
        guard case .wait = m.next() else { Issue.record("an empty queue makes the consumer wait"); return }
        guard case .suspend = m.consumerSuspends(cancelled: false) else { Issue.record("expected suspend"); return }
        #expect(Self.outcome(m.send([7])) == "handed [7]")
        #expect(m.statistics.depth == 0)
        guard case .wait = m.next() else { Issue.record("expected wait"); return }
        guard case .suspend = m.consumerSuspends(cancelled: false) else { Issue.record("expected suspend"); return }
        #expect(m.finishProducing() == false, "one producer is still there")
        #expect(m.finishProducing() == true, "the last one ends the waiting consumer")
        guard case .end = m.next() else { Issue.record("expected the end"); return }
    }

    @Test("closing the consumer abandons what is queued and waiting, resumes suspended producers, and refuses later sends")
    func closeConsumer() {
        var m = Self.machine(2, .block, producers: 3)
        _ = m.send([1, 2])
        _ = m.send([3, 4, 5])  // producer #1 waits
        _ = m.send([6])        // producer #2 waits, not yet suspended
        #expect(m.producerSuspends(1, cancelled: false) == .suspend)
        #expect(m.closeConsumer() == [1])
        #expect(m.producerSuspends(2, cancelled: false) == .resumeClosed)
        #expect(Self.outcome(m.send([7, 8])) == "closed")
        let s = m.statistics
        #expect(s.abandoned == 8 && s.dropped == 0 && s.depth == 0)
    }

    @Test("a cancelled producer's pending events are abandoned, whether it had suspended or not")
    func cancelledProducers() {
        var m = Self.machine(1, .block, producers: 2)
        _ = m.send([1])
        _ = m.send([2, 3])  // #1
        _ = m.send([4])     // #2
        #expect(m.producerSuspends(1, cancelled: false) == .suspend)
        #expect(m.producerCancelled(1) == true, "suspended: its continuation must be resumed")
        #expect(m.producerSuspends(2, cancelled: true) == .resumeCancelled)
        #expect(m.statistics.abandoned == 3)
        #expect(Self.delivered(&m) == [1])
    }

    @Test("wake-ups: a waiting consumer is woken at once; otherwise the next call gets one, before any batch, however many were asked for")
    func wakeUps() {
        var m = Self.machine(4, .block)
        guard case .wait = m.next() else { Issue.record("expected wait"); return }
        guard case .suspend = m.consumerSuspends(cancelled: false) else { Issue.record("expected suspend"); return }
        #expect(m.requestWake() == true, "the waiting consumer is resumed with the wake-up")
        _ = m.send([1])
        #expect(m.requestWake() == false)
        #expect(m.requestWake() == false, "a second request before the wake-up is taken coalesces")
        guard case .wake = m.next() else { Issue.record("the wake-up comes before the batch"); return }
        #expect(Self.delivered(&m) == [1])
        guard case .wait = m.next() else { Issue.record("one wake-up only"); return }
        _ = m.closeConsumer()
        #expect(m.requestWake() == false, "nobody to wake once the consumer has stopped")
    }
}
