/// Fixed-width text tables for listings.
public enum Table {
    /// Columns padded to their widest cell, two spaces apart, the last column unpadded.
    /// Widths count characters; an ASCII cell (most are: IDs, names, hosts) is counted
    /// by its bytes, which skips grapheme breaking on tables of thousands of rows.
    /// The table is written as bytes and made a String once: appending cells and
    /// padding Strings one by one was half of `tls list` over 10,000 endpoints.
    public static func render(header: [String], rows: [[String]]) -> String {
        let columns = header.count
        // Each cell's width, row by row (header first), measured once.
        var cellWidths: [Int] = []
        cellWidths.reserveCapacity((rows.count + 1) * columns)
        var widths = [Int](repeating: 0, count: columns)
        var total = 0
        func measure(_ cells: [String]) {
            for (index, cell) in cells.enumerated() {
                var bytes = 0
                var ascii = true
                for byte in cell.utf8 {
                    bytes += 1
                    if byte >= 0x80 { ascii = false }
                }
                let width = ascii ? bytes : cell.count
                cellWidths.append(width)
                if index < columns { widths[index] = max(widths[index], width) }
                total += bytes
            }
        }
        measure(header)
        for row in rows { measure(row) }
        var output: [UInt8] = []
        output.reserveCapacity(total + (rows.count + 1) * (widths.reduce(0, +) + 2 * columns + 1))
        var next = 0
        func append(_ cells: [String]) {
            for (index, cell) in cells.enumerated() {
                output.append(contentsOf: cell.utf8)
                let width = cellWidths[next]
                next += 1
                if index == cells.count - 1 { continue }
                let padding = (index < columns ? widths[index] : 0) - width
                if padding > 0 { output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding)) }
                output.append(UInt8(ascii: " "))
                output.append(UInt8(ascii: " "))
            }
            output.append(UInt8(ascii: "\n"))
        }
        append(header)
        for row in rows { append(row) }
        return String(decoding: output, as: UTF8.self)
    }
}
