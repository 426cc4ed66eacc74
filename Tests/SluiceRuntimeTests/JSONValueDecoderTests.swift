import SluiceCore
@testable import SluiceRuntime
import Testing

@Suite("decoding configurations straight from parsed JSON")
struct JSONValueDecoderTests {
    @Test("snake_case spelling of property names", arguments: [
        ("closeWait", "close_wait"), ("baseURL", "base_url"), ("maxEvents", "max_events"), ("URLPath", "url_path"),
        ("fsync", "fsync"), ("ttl2Seconds", "ttl2_seconds"), ("a", "a"),
    ])
    func snakeCase(property: String, member: String) {
        #expect(snakeCased(property) == member)
    }

    @Test("a property and its snake_case member fold to the same letters, acronyms included", arguments: [
        ("mergeDXLink", "merge_dxlink"), ("baseURL", "base_url"), ("closeWait", "close_wait"),
    ])
    func fold(property: String, member: String) {
        #expect(memberFold(property) == memberFold(member))
    }

    struct Sample: Decodable, Equatable {
        var baseURL: String
        var mergeDXLink: Bool
        var maxEvents: Int?
        var ratio: Double
        var tags: [String: Int]
    }

    @Test("a property reads its exact, snake_case or folded member; dictionary keys stay as written")
    func membersByRule() throws {
        let document = try JSONDocument(parsing: #"{"base_url": "u", "merge_dxlink": true, "ratio": 2, "tags": {"closeWait": 1}}"#)
        let reads = MemberReads()
        let sample = try JSONValueDecoder.decode(Sample.self, from: document.root, recordingReadsIn: reads)
        #expect(sample == Sample(baseURL: "u", mergeDXLink: true, maxEvents: nil, ratio: 2, tags: ["closeWait": 1]))
        #expect(reads.found.map(\.description).sorted() == ["/base_url", "/merge_dxlink", "/ratio", "/tags", "/tags/closeWait"])
        #expect(reads.missing.map(\.description) == ["/max_events"])
    }

    @Test("a number that does not fit the property's integer type is an error with its coding path, not a trap")
    func integerOutOfRange() throws {
        struct Small: Decodable { var level: Int8 }
        let document = try JSONDocument(parsing: #"{"level": 300}"#)
        #expect {
            try JSONValueDecoder.decode(Small.self, from: document.root)
        } throws: { error in
            guard case .dataCorrupted(let context)? = error as? DecodingError else { return false }
            return context.codingPath.map(\.stringValue) == ["level"] && context.debugDescription.contains("does not fit")
        }
    }
}
