import OGPluginKit
import Testing

struct ExcerptTests {
    @Test func shortTextIsQuotedAsIs() {
        #expect(Excerpt.quote("ssl_certificate") == "ssl_certificate")
        #expect(Excerpt.quote("") == "")
    }

    @Test func longTextIsCutAndMarked() {
        let quoted = Excerpt.quote(String(repeating: "x", count: 500))
        #expect(quoted == String(repeating: "x", count: Excerpt.defaultLimit) + "…")
        #expect(Excerpt.quote("abcdef", limit: 3) == "abc…")
        #expect(Excerpt.quote("abc", limit: 3) == "abc")
    }

    @Test func controlCharactersAreShownAsQuestionMarks() {
        #expect(Excerpt.quote("PATH=/bin\u{0}HOME=/root\u{1B}[2J") == "PATH=/bin?HOME=/root?[2J")
        #expect(Excerpt.quote("é\u{7F}") == "é?")
    }
}
