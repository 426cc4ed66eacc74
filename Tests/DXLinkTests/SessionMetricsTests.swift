@testable import DXLink
import MetricsTestKit
import Testing

@Suite("DXLink session metrics")
struct SessionMetricsTests {
    @Test("the hot path only counts; each publication adds what happened since the last one")
    func publishesDifferences() throws {
        let factory = TestMetrics()
        let metrics = SessionMetrics(label: "feed", factory: factory)
        var s = DXLinkSessionStatistics()
        s.connects = 1
        s.messagesIn = 10
        s.bytesIn = 1000
        metrics.publish(s)
        s.messagesIn = 25
        s.bytesIn = 2500
        s.disconnects = 1
        metrics.publish(s)
        metrics.publish(s)  // nothing new: nothing added
        let d = [("stage", "feed")]
        #expect(try factory.expectCounter("sluice_dxlink_connects_total", d).totalValue == 1)
        #expect(try factory.expectCounter("sluice_dxlink_messages_in_total", d).totalValue == 25)
        #expect(try factory.expectCounter("sluice_dxlink_bytes_in_total", d).totalValue == 2500)
        #expect(try factory.expectCounter("sluice_dxlink_disconnects_total", d).totalValue == 1)
    }
}
