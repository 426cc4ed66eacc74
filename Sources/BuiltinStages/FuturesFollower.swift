import DXLink
import Logging
import MarketData
import SluiceCore
import Tastytrade

/// Keeps one `futures` entry of a `dxlink` source on the right contract: resolves the product's month
/// through `/instruments/futures`, subscribes its streamer symbol, and looks again every `refresh`; when
/// tastytrade's active month has moved it rolls — the new contract in, the old out, live, with
/// `Universe` records of reason `roll`. A failed lookup keeps the current contract and tries again.
struct FuturesFollower: Sendable {
    let product: String
    let month: FutureContract.Month
    let events: [String]
    let refresh: Duration
    let client: TastytradeClient
    let context: StageContext
    let apply: ChainFollower.Apply

    var name: String { "futures \(TastytradeClient.productCode(product))" }

    func run() async throws {
        var current: FutureContract?
        var attempt = 0
        while !Task.isCancelled {
            var delay = refresh
            do {
                let contracts = try await client.futures(product: product)
                attempt = 0
                guard let pick = FutureContract.pick(month, from: contracts, today: CalendarDate(context.clock.now)) else {
                    // Unknown at start is a mistake in the file; a list that comes back empty later is the
                    // server's glitch, and the contract streaming stays.
                    guard let current else { throw StageError(.unknownSymbol, "futures: tastytrade lists no contract of product \"\(product)\"") }
                    context.logger.warning("tastytrade listed no contract of the futures product; keeping the current contract", metadata: [
                        "product": "\(product)", "contract": "\(current.streamerSymbol)",
                    ])
                    try await context.clock.sleep(for: delay)
                    continue
                }
                if pick.streamerSymbol != current?.streamerSymbol {
                    try await apply(name, events.map { FeedSubscription(type: $0, symbol: pick.streamerSymbol) }, current == nil ? .chain : .roll)
                    if let old = current {
                        context.logger.notice("futures rolled to the new \(month.rawValue) month", metadata: ["product": "\(product)", "from": "\(old.streamerSymbol)", "to": "\(pick.streamerSymbol)"])
                    } else {
                        context.logger.info("futures resolved", metadata: ["product": "\(product)", "month": "\(month.rawValue)", "contract": "\(pick.streamerSymbol)"])
                    }
                    current = pick
                }
            } catch let error as TastytradeError where error.kind == .cancelled {
                throw CancellationError()
            } catch let error as TastytradeError {
                attempt += 1
                delay = current == nil ? .seconds(min(30, 1 << min(attempt - 1, 5))) : min(refresh, .seconds(60))
                context.logger.warning(current == nil ? "could not resolve the futures product; retrying" : "could not look up the futures month; keeping the current contract", metadata: [
                    "product": "\(product)", "error": "\(error)", "delay": "\(DurationText.format(delay))",
                ])
            }
            try await context.clock.sleep(for: delay)
        }
    }
}
