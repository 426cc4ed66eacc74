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
                    case .string(let text): start = parseISO8601(text)
                    default: start = nil
                    }
                    if let start { newest[CandleSeries(symbol: symbol, period: period)] = start }
                }
                return newest
            }
        } catch {
            throw StageError("read_failed", "cannot read stored candles from table \"\(table)\": \(error)")
        }
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS(.fff)Z`, the form the sink writes.
    static func parseISO8601(_ text: String) -> Timestamp? {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58 else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        guard let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10), let h = number(11..<13),
              let mi = number(14..<16), let s = number(17..<19) else { return nil }
        var ms: Int64 = 0
        if b.count >= 24, b[19] == 46, let f = number(20..<23) { ms = f }
        // Days from civil (Howard Hinnant's algorithm).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Timestamp(millisecondsSinceEpoch: ((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms)
    }
}
