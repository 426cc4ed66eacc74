/// A plain-text table for people: a header, a rule, and left-aligned columns two spaces apart.
enum TextTable {
    static func render(header: [String], rows: [[String]]) -> String {
        let widths = header.indices.map { i in ([header[i]] + rows.map { i < $0.count ? $0[i] : "" }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (i, width) in widths.enumerated() {
                let cell = i < cells.count ? cells[i] : ""
                if i > 0 { text += "  " }
                text += cell + String(repeating: " ", count: max(0, width - cell.count))
            }
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)).joined(separator: "\n")
    }
}
