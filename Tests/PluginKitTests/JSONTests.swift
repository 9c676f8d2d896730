import OGPluginKit
import Testing

/// OGPluginKit's JSON reads replies plugins do not control: strict RFC 8259, bounded nesting,
/// no duplicate keys, exact integers; and writes what it reads.
@Suite struct JSONTests {
    @Test func readsAndWritesAnF5StyleReply() throws {
        let text = #"{"transId":1733456789012345,"state":"STARTED","items":[{"fullPath":"/Common/a\u00e9\/b","ok":true,"n":null}],"x":-1.5e3}"#
        let value = try JSON.parse(text)
        #expect(value["transId"]?.int64Value == 1_733_456_789_012_345)
        #expect(value["items"]?.arrayValue?.first?["fullPath"]?.stringValue == "/Common/aé/b")
        #expect(value["items"]?.arrayValue?.first?["ok"]?.boolValue == true)
        #expect(value["x"] == .number("-1.5e3"))
        #expect(try JSON.parse(value.description) == value, "what it writes it reads back unchanged")
        #expect(JSON.string("a\"b\\\n\u{01}").description == #""a\"b\\\n\u0001""#)
    }

    @Test(arguments: [
        (#"{"a":1,"a":2}"#, "appears twice"),
        (#"{"a":1} x"#, "after the JSON value"),
        (#"[1,]"#, "unexpected character"),
        (#"{"a":01}"#, "expected ',' or '}'"),
        ("\"\u{01}\"", "raw control character"),
        (#""\ud800""#, "high surrogate"),
        (String(repeating: "[", count: 100), "nested deeper than 64"),
        (#"{"a":"#, "ends where a value should start"),
    ])
    func refusesWhatRFC8259DoesNotAllow(_ text: String, _ problem: String) {
        #expect(throws: JSONError.self) { try JSON.parse(text) }
        do { _ = try JSON.parse(text) } catch { #expect(error.description.contains(problem), "\(error)") }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONError.self) { try JSON.parse([0x22, 0xC3, 0x28, 0x22]) }
    }
}
