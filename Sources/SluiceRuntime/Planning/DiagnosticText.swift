package import SluiceCore

/// Field names for a message: all of them when few, else the first twelve and how many there are
/// (`sluice stages KIND` and the did-you-mean hint say the rest).
func fieldListing(_ names: [String]) -> String {
    guard names.count > 12 else { return names.joined(separator: ", ") }
    return names.prefix(12).joined(separator: ", ") + ", … (\(names.count) fields)"
}

/// Where a `DecodingError` happened, below `base`.
package func decodingPointer(_ error: any Error, base: JSONPointer) -> JSONPointer {
    let path: [any CodingKey]
    switch error as? DecodingError {
    case .typeMismatch(_, let c)?, .valueNotFound(_, let c)?, .keyNotFound(_, let c)?, .dataCorrupted(let c)?: path = c.codingPath
    default: path = []
    }
    return JSONPointer(tokens: base.tokens + path.map { $0.intValue.map(String.init) ?? $0.stringValue })
}

/// A `DecodingError` as one line for a diagnostic.
package func describeDecodingError(_ error: any Error) -> String {
    switch error as? DecodingError {
    case .typeMismatch(let t, let c)?: return "expected \(t): \(c.debugDescription)"
    case .valueNotFound(let t, let c)?: return "missing \(t): \(c.debugDescription)"
    case .keyNotFound(let k, _)?: return "missing field \"\(k.stringValue)\""
    case .dataCorrupted(let c)?: return c.debugDescription
    default: return "\(error)"
    }
}
