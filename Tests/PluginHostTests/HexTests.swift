import Foundation
import OGBasics
import Testing

/// `Hex` writes what `String(format:)` wrote where og-host used it (`%08lx` for the system
/// trust store's hash file names, `%02x` per byte for exit markers), without Foundation.
@Suite struct HexTests {
    @Test func digitsArePaddedAsPercentZeroEightLX() {
        for value: UInt in [0, 1, 0xf, 0x10, 0xabc, 0x1234_5678, 0xdead_beef, 0xffff_ffff, 0x1_0000_0000, UInt.max] {
            #expect(Hex.digits(value, width: 8) == String(format: "%08lx", value), "\(value)")
        }
        #expect(Hex.digits(UInt8(0xa), width: 2) == "0a")
        #expect(Hex.digits(UInt32(0x1f), width: 0) == "1f")
    }

    @Test func bytesAreTwoLowercaseDigitsEach() {
        let all = (0...255).map { UInt8($0) }
        #expect(Hex.bytes(all) == all.map { String(format: "%02x", $0) }.joined())
        #expect(Hex.bytes([UInt8]()) == "")
        #expect(Hex.bytes([0x00, 0xff, 0x5a]) == "00ff5a")
    }
}
