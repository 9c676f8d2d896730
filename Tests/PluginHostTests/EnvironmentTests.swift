import Foundation
@testable import OGBasics
import Testing

/// og-host reads its environment through OGBasics alone: getenv for one variable, `all()` for
/// a child's whole environment, `Environment` where a test gives its own variables. `all()`
/// replaced `ProcessInfo.environment` in every child's environment, so it must give the same.
struct EnvironmentTests {
    @Test func everyVariableIsWhatFoundationReads() {
        let all = EnvironmentVariable.all()
        #expect(all["PATH"] != nil)
        #expect(all == ProcessInfo.processInfo.environment)
    }

    @Test func aNameSetTwiceKeepsTheValueGetenvReadsAndNonUTF8EntriesAreLeftOut() {
        let texts: [[UInt8]] = [Array("A=first".utf8), Array("B=x=y".utf8), Array("A=second".utf8),
                                Array("C=".utf8), [0x44, 0x3D, 0xFF, 0xFE], Array("no equals sign".utf8)]
        let entries = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: texts.count + 1)
        defer { entries.deallocate() }
        for (index, text) in texts.enumerated() {
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: text.count + 1)
            for (offset, byte) in text.enumerated() { copy[offset] = CChar(bitPattern: byte) }
            copy[text.count] = 0
            entries[index] = copy
        }
        entries[texts.count] = nil
        defer { for index in 0..<texts.count { entries[index]?.deallocate() } }
        #expect(EnvironmentVariable.variables(in: entries) == ["A": "first", "B": "x=y", "C": ""])
    }

    @Test func oneVariableIsReadWhenAsked() {
        #expect(EnvironmentVariable.value("PATH") == ProcessInfo.processInfo.environment["PATH"])
        #expect(Environment.process["PATH"] == EnvironmentVariable.value("PATH"))
        #expect(EnvironmentVariable.value("OG_NEVER_SET_\(UUID().uuidString.prefix(8))") == nil)
    }

    @Test func aFixedSetIsAllAFunctionSees() {
        let fixed: Environment = ["OG_DATA_DIR": "/srv/og"]
        #expect(fixed["OG_DATA_DIR"] == "/srv/og")
        #expect(fixed["PATH"] == nil, "PATH is set in this process but not in the fixed set")
        #expect(Environment(["HOME": "/root"])["HOME"] == "/root")
    }
}
