import BuiltinStages
import Foundation
import MarketData
import SluiceCore

/// How `sluice snapshot` prints a book: a table for people, CSV and JSON for programs.
enum SnapshotOutput {
    /// The columns shown per event type: (heading, record column).
    static func columns(_ type: MarketEventType) -> [(String, String)] {
        switch type {
        case .quote: return [("BID", "bid_price"), ("ASK", "ask_price"), ("BID SIZE", "bid_size"), ("ASK SIZE", "ask_size")]
        case .trade, .tradeETH: return [("LAST", "price"), ("SIZE", "size"), ("VOLUME", "day_volume")]
        case .greeks: return [("PRICE", "price"), ("IV", "volatility"), ("DELTA", "delta"), ("GAMMA", "gamma"), ("THETA", "theta"), ("VEGA", "vega")]
        case .summary: return [("OPEN", "day_open_price"), ("HIGH", "day_high_price"), ("LOW", "day_low_price"), ("PREV CLOSE", "prev_day_close_price"), ("OI", "open_interest")]
        case .profile: return [("DESCRIPTION", "description"), ("STATUS", "trading_status")]
        case .theoPrice: return [("THEO", "price"), ("UNDERLYING", "underlying_price")]
        case .timeAndSale: return [("T&S PRICE", "price"), ("T&S SIZE", "size")]
        case .underlying: return [("UND IV", "volatility"), ("P/C", "put_call_ratio")]
        case .candle: return [("CLOSE", "close")]
        }
    }

    /// A field for people: whole numbers without a fraction, others to six significant digits.
    static func readable(_ value: FieldValue) -> String {
        guard case .double(let d) = value, d.isFinite else { return text(value) }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return String(format: "%.6g", d)
    }

    /// A field exactly (CSV).
    static func text(_ value: FieldValue) -> String {
        switch value {
        case .null: return "-"
        case .double(let d): return d.isNaN ? "-" : "\(d)"
        case .time(let t): return t.iso8601
        default: return value.description
        }
    }

    static func cells(_ book: SnapshotBook, _ symbol: String) -> [String] {
        book.types.flatMap { type in
            columns(type).map { _, column in book.latest(symbol, type).map { readable($0[field: column]) } ?? "?" }
        }
    }

    /// One row per symbol; `?` where the pair had no event.
    static func table(_ book: SnapshotBook) -> String {
        TextTable.render(header: ["SYMBOL"] + book.types.flatMap { columns($0).map(\.0) },
                         rows: book.symbols.map { [$0] + cells(book, $0) })
    }

    /// `symbol,Quote.bid_price,…`; empty fields where the pair had no event.
    static func csv(_ book: SnapshotBook) -> String {
        let header = ["symbol"] + book.types.flatMap { t in columns(t).map { "\(t.rawValue).\($0.1)" } }
        var lines = [header.joined(separator: ",")]
        for symbol in book.symbols {
            var row = [csvField(symbol)]
            for type in book.types {
                for (_, column) in columns(type) {
                    let value = book.latest(symbol, type)?[field: column]
                    row.append(value.map { v -> String in
                        if case .double(let d) = v, d.isNaN { return "" }
                        if case .null = v { return "" }
                        return csvField(text(v))
                    } ?? "")
                }
            }
            lines.append(row.joined(separator: ","))
        }
        return lines.joined(separator: "\n")
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// `{"complete", "elapsed_seconds", "symbols": [{"symbol", "Quote": {…} | null, …}], "missing": [{symbol, event_type, reason}]}`.
    static func json(_ result: DXLinkSnapshot.Result, reason: String) -> String {
        let book = result.book
        var w = JSONWriter()
        w.raw("{\"complete\":")
        w.raw(book.isComplete ? "true" : "false")
        w.raw(",\"elapsed_seconds\":")
        w.number(result.elapsed.seconds)
        w.raw(",\"symbols\":[")
        for (i, symbol) in book.symbols.enumerated() {
            w.raw(i == 0 ? "\n{\"symbol\":" : ",\n{\"symbol\":")
            w.string(symbol)
            for type in book.types {
                w.raw(",")
                w.string(type.rawValue)
                w.raw(":")
                if let event = book.latest(symbol, type) { w.record(event) } else { w.raw("null") }
            }
            w.raw("}")
        }
        w.raw("\n],\"missing\":[")
        for (i, pair) in book.missing.enumerated() {
            w.raw(i == 0 ? "\n{\"symbol\":" : ",\n{\"symbol\":")
            w.string(pair.symbol)
            w.raw(",\"event_type\":")
            w.string(pair.type.rawValue)
            w.raw(",\"reason\":")
            w.string(reason)
            w.raw("}")
        }
        w.raw("]}")
        return w.string
    }
}
