import OGHost
import Testing

/// `Table.render` (every text listing): columns padded to their widest cell by
/// characters, two spaces apart, the last column unpadded.
@Suite struct TableTests {
    @Test func columnsArePaddedToTheirWidestCell() {
        let text = Table.render(header: ["ID", "NAME", "HOST"], rows: [["1", "web", "a.example"], ["22", "store-é", "localhost"]])
        #expect(text == "ID  NAME     HOST\n1   web      a.example\n22  store-é  localhost\n",
                "a non-ASCII cell is as wide as its characters, not its bytes")
    }

    @Test func graphemesCountOnceAndShortRowsEndEarly() {
        // "e" + combining acute accent is one character of two scalars and three bytes.
        let text = Table.render(header: ["A", "B"], rows: [["e\u{301}x", "1"], ["only"], ["", ""]])
        #expect(text == "A     B\ne\u{301}x    1\nonly\n      \n")
    }

    @Test func anEmptyTableIsItsHeader() {
        #expect(Table.render(header: ["ID", "NAME"], rows: []) == "ID  NAME\n")
    }
}
