import DXLink
import MarketData
import SluiceCore
import Synchronization

/// Turns the frames of a DXLink session into the source's feed reports (``FeedHealth``): every state
/// change as it happens, and "delivering" at the first data frame after `subscribed`, so the pipeline is
/// ready only once the server has actually sent something on the new subscriptions.
///
/// It sees every frame, so a data frame costs one relaxed atomic load unless a report is due.
final class DXLinkFeedReporter: Sendable {
    private let context: StageContext
    /// Subscribed on this connection, and no data seen since.
    private let awaitingData = Atomic<Bool>(false)

    init(context: StageContext) {
        self.context = context
    }

    func observe(_ frame: DXLinkFrame) {
        switch frame.content {
        case .data:
            guard awaitingData.load(ordering: .relaxed), awaitingData.exchange(false, ordering: .relaxed) else { return }
            context.reportFeed(FeedHealth(state: FeedStatus.State.subscribed.rawValue, isDelivering: true, time: frame.receiveTime))
        case .status(let status):
            awaitingData.store(status.state == .subscribed, ordering: .relaxed)
            context.reportFeed(FeedHealth(state: status.state.rawValue, isDelivering: false, time: status.time, reason: status.reason))
        case .universe:
            break
        }
    }
}
