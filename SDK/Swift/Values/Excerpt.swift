/// How a plugin quotes text from an endpoint's files in an error message.
///
/// An error reaches the operator's terminal, logs and the audit trail, but the
/// file it quotes may hold anything: a configuration path pointed at
/// `/proc/self/environ` made one parser echo the whole environment, secrets
/// included. Quote at most `limit` characters, with control characters shown
/// as `?`, and say when the text was cut.
public enum Excerpt {
    public static let defaultLimit = 48

    public static func quote<Text: StringProtocol>(_ text: Text, limit: Int = defaultLimit) -> String {
        var result = ""
        var count = 0
        for character in text {
            if count == limit { return result + "…" }
            let isControl = character.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
            result.append(isControl ? "?" : character)
            count += 1
        }
        return result
    }
}
