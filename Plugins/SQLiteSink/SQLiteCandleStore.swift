import GRDB
import MarketData
import SluiceCore

/// Reads what a `sqlite` sink already holds of candle series.
enum SQLiteCandleStore {
    /// The start of the newest stored candle per symbol and period in `table`; empty when the table does
    /// not exist or is not a candle table.
    static func newestCandles(in database: DatabaseQueue, table: String) throws -> NewestStoredCandles.Value {
        do {
            return try database.read { db in
                guard try db.tableExists(table) else { return [:] }
                let columns = Set(try db.columns(in: table).map(\.name))
                guard columns.isSuperset(of: ["symbol", "period", "start"]) else { return [:] }
                var newest: NewestStoredCandles.Value = [:]
                let rows = try Row.fetchCursor(db, sql: "SELECT symbol, period, MAX(start) AS start FROM \(quoted(table)) GROUP BY symbol, period")
                while let row = try rows.next() {
                    guard let symbol = row["symbol"] as String?, let period = row["period"] as String? else { continue }
                    let value: DatabaseValue = row["start"]
                    let start: Timestamp?
                    switch value.storage {
                    case .int64(let ms): start = Timestamp(millisecondsSinceEpoch: ms)
                    case .string(let text): start = Timestamp(iso8601: text)
                    default: start = nil
                    }
                    if let start { newest[CandleSeries(symbol: symbol, period: period)] = start }
                }
                return newest
            }
        } catch {
            throw StageError(.readFailed, "cannot read stored candles from table \"\(table)\"", underlying: error)
        }
    }
}
