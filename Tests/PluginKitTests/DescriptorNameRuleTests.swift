import Testing
@testable import OGPluginKit

/// `PluginDescriptor.matches` (the rule for plugin, type and option names) compares bytes; it must
/// answer as the comparison of characters it replaced, also for text outside ASCII.
@Suite struct DescriptorNameRuleTests {
    private func byCharacters(_ text: String, allowed: String, maximumLength: Int) -> Bool {
        !text.isEmpty && text.count <= maximumLength && text.allSatisfy { allowed.contains($0) }
    }

    @Test func bytesAnswerAsCharactersDid() {
        let allowed = "abcdefghijklmnopqrstuvwxyz0123456789_-"
        let texts = ["", "a", "keystore", "hello-swift", "combined_pem", "Upper", "with space", "tab\t", "é", "e\u{301}",
                     "cafe\u{301}", "naïve", "日本", "🔐", "a\u{0}b", "-", "_", String(repeating: "a", count: 64),
                     String(repeating: "a", count: 65), String(repeating: "é", count: 33), "a\r\n"]
        for text in texts {
            for maximumLength in [1, 8, 32, 64] {
                #expect(PluginDescriptor.matches(text, allowed: allowed, maximumLength: maximumLength)
                        == byCharacters(text, allowed: allowed, maximumLength: maximumLength), "\(text.debugDescription)")
            }
        }
        #expect(PluginDescriptor.matches("hello-swift", allowed: allowed, maximumLength: 64))
        #expect(!PluginDescriptor.matches(String(repeating: "a", count: 65), allowed: allowed, maximumLength: 64))
    }
}
