import SluiceCore
import SluiceQueue
import SluiceTesting
import Testing

/// Each policy is exercised with a consumer that does not read ("stalled") while a producer sends far more
/// than the capacity; the counts are exact and the queue never holds more than its capacity.
@Suite("BatchQueue policies")
struct BatchQueueTests {
    static func batches(_ total: Int, of size: Int) -> [[Int]] {
        stride(from: 0, to: total, by: size).map { Array($0..<min($0 + size, total)) }
    }

    static func drain(_ q: BatchQueue<Int>) async throws -> [Int] {
        var all: [Int] = []
        while let b = try await q.next() { all += b }
        return all
    }

    @Test("drop_newest keeps the first events up to capacity and counts every other one as dropped")
    func dropNewest() async throws {
        let q = BatchQueue<Int>(capacity: 10, policy: .dropNewest)
        for b in Self.batches(100, of: 7) { try await q.send(b) }
        q.finishProducing()
        let s = q.statistics
        #expect(s.enqueued == 10)
        #expect(s.dropped == 90)
        #expect(s.highWaterMark == 10)
        #expect(try await Self.drain(q) == Array(0..<10))
    }

    @Test("drop_oldest keeps the latest events up to capacity and counts every other one as dropped")
    func dropOldest() async throws {
        let q = BatchQueue<Int>(capacity: 10, policy: .dropOldest)
        for b in Self.batches(100, of: 7) { try await q.send(b) }
        q.finishProducing()
        let s = q.statistics
        #expect(s.dropped == 90)
        #expect(s.depth == 10)
        #expect(s.highWaterMark == 10)
        #expect(try await Self.drain(q) == Array(90..<100))
    }

    @Test("drop_oldest trims a single batch larger than the capacity")
    func dropOldestOversizedBatch() async throws {
        let q = BatchQueue<Int>(capacity: 5, policy: .dropOldest)
        try await q.send(Array(0..<12))
        q.finishProducing()
        #expect(q.statistics.dropped == 7)
        #expect(try await Self.drain(q) == Array(7..<12))
    }

    struct Quote: Record {
        var symbol: String
        var bid: Int
        static let quoteSchema = RecordSchema(recordType: "quote", columns: [Column("symbol", .string), Column("bid", .int)])
        var schema: RecordSchema { Self.quoteSchema }
        func value(at index: Int) -> FieldValue { index == 0 ? .string(symbol) : .int(Int64(bid)) }
    }

    static func key(_ q: Quote) -> ConflationKey { ConflationKey(recordType: "quote", values: [.string(q.symbol)]) }

    @Test("conflate keeps only the latest event per key and counts the replaced ones")
    func conflate() async throws {
        let q = BatchQueue<Quote>(capacity: 10, policy: .conflate, key: Self.key)
        for i in 0..<100 {
            try await q.send(["AAPL", "MSFT", "SPY"].map { Quote(symbol: $0, bid: i) })
        }
        q.finishProducing()
        let s = q.statistics
        #expect(s.enqueued == 300)
        #expect(s.conflated == 297)
        #expect(s.dropped == 0)
        let got = try await q.next()!
        #expect(got.map(\.symbol) == ["AAPL", "MSFT", "SPY"])
        #expect(got.allSatisfy { $0.bid == 99 })
        #expect(try await q.next() == nil)
    }

    @Test("conflate evicts the oldest key when more keys arrive than the capacity, and counts it")
    func conflateEvicts() async throws {
        let q = BatchQueue<Quote>(capacity: 2, policy: .conflate, key: Self.key)
        try await q.send([Quote(symbol: "A", bid: 1), Quote(symbol: "B", bid: 1), Quote(symbol: "C", bid: 1)])
        #expect(q.statistics.dropped == 1)
        #expect(q.statistics.depth == 2)
        q.finishProducing()
        #expect(try await q.next()!.map(\.symbol) == ["B", "C"])
    }

    @Test("block never drops: a slow consumer receives every event in order and the depth never exceeds capacity")
    func blockNeverDrops() async throws {
        let q = BatchQueue<Int>(capacity: 16, policy: .block)
        let total = 10_000
        async let produced: Void = {
            for b in Self.batches(total, of: 7) { try await q.send(b) }
            q.finishProducing()
        }()
        var received: [Int] = []
        var maxDepth = 0
        while let b = try await q.next() {
            received += b
            maxDepth = max(maxDepth, q.statistics.depth)
            await Task.yield()
        }
        try await produced
        let s = q.statistics
        #expect(received == Array(0..<total))
        #expect(s.dropped == 0)
        #expect(s.enqueued == total)
        #expect(s.dequeued == total)
        #expect(maxDepth <= 16)
        #expect(s.highWaterMark <= 16)
    }

    @Test("block splits a batch larger than the capacity instead of exceeding it")
    func blockSplitsOversizedBatch() async throws {
        let q = BatchQueue<Int>(capacity: 4, policy: .block)
        async let produced: Void = {
            try await q.send(Array(0..<10))
            q.finishProducing()
        }()
        var sizes: [Int] = []
        var all: [Int] = []
        while let b = try await q.next() {
            sizes.append(b.count)
            all += b
        }
        try await produced
        #expect(all == Array(0..<10))
        #expect(sizes.allSatisfy { $0 <= 4 })
        #expect(q.statistics.highWaterMark <= 4)
    }

    @Test("fan-in: the consumer sees the end only after every producer has finished")
    func fanIn() async throws {
        let q = BatchQueue<Int>(capacity: 8, policy: .block, producers: 3)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<3 {
                group.addTask {
                    for i in 0..<50 { try await q.send([p * 1000 + i]) }
                    q.finishProducing()
                }
            }
            let all = try await Self.drain(q)
            try await group.waitForAll()
            #expect(all.count == 150)
            for p in 0..<3 {
                #expect(all.filter { $0 / 1000 == p } == (0..<50).map { p * 1000 + $0 }, "each producer's order is kept")
            }
        }
    }

    @Test("closing the consumer releases a blocked producer with QueueClosedError and counts what was left as abandoned, not dropped")
    func closeConsumerReleasesProducers() async throws {
        let q = BatchQueue<Int>(capacity: 4, policy: .block)
        let producer = Task { try await q.send(Array(0..<10)) }
        // The first 4 fit; the producer then waits with 6 pending until the consumer goes away.
        let first = try await q.next()
        q.closeConsumer()
        await #expect(throws: QueueClosedError.self) { try await producer.value }
        let s = q.statistics
        #expect(s.dropped == 0, "block never drops")
        #expect((first?.count ?? 0) + s.abandoned == 10, "every event is either delivered or abandoned")
    }

    @Test("after the consumer has stopped, every policy's send throws QueueClosedError: the batch is abandoned, never dropped", arguments: [QueuePolicy.block, .dropOldest, .dropNewest, .conflate])
    func sendAfterClose(policy: QueuePolicy) async throws {
        let q = BatchQueue<Int>(capacity: 4, policy: policy, key: { ConflationKey(recordType: "", values: [.int(Int64($0))]) })
        q.closeConsumer()
        await #expect(throws: QueueClosedError.self) { try await q.send([1, 2, 3]) }
        let s = q.statistics
        #expect(s.dropped == 0 && s.enqueued == 0)
        #expect(s.abandoned == 3)
    }

    @Test("a blocked producer that is cancelled throws and its pending events are counted as abandoned")
    func cancelledProducer() async throws {
        let q = BatchQueue<Int>(capacity: 2, policy: .block)
        let task = Task { try await q.send(Array(0..<5)) }
        // Wait (without timing) until the producer has queued what fits.
        try #require(await eventually(within: .seconds(120)) { q.statistics.enqueued >= 2 })
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        let s = q.statistics
        #expect(s.enqueued == 2)
        #expect(s.abandoned == 3)
        #expect(s.dropped == 0)
    }
}
