@testable import OGPlugins
import OGPluginABI
import Testing

/// og_plugin.h, ERRORS: set_error messages and fields are bounded by the host.
struct ErrorLimitTests {
    @Test func longMessagesAreCutAtACharacterBoundaryAndMarked() {
        let long = String(repeating: "é", count: 5000) // 2 bytes each
        let cut = PluginCall.bounded(long, Int(OG_ERROR_MESSAGE_MAX))
        #expect(cut.utf8.count <= Int(OG_ERROR_MESSAGE_MAX))
        #expect(cut.hasSuffix(" (truncated)"))
        #expect(cut.dropLast(" (truncated)".count).allSatisfy { $0 == "é" })
        #expect(PluginCall.bounded("short", Int(OG_ERROR_MESSAGE_MAX)) == "short")

        let call = PluginCall(services: nil)
        call.report(field: String(repeating: "f", count: 100), message: long)
        #expect(call.errors.first?.field.utf8.count ?? 0 <= Int(OG_ERROR_FIELD_MAX))
        #expect(call.errors.first?.message == cut)
    }
}
