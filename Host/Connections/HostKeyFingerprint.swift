import Foundation
import OGMaterial

/// A SHA-256 host key fingerprint, written as OpenSSH writes it:
/// `SHA256:` followed by unpadded base64.
struct HostKeyFingerprint: Equatable, CustomStringConvertible {
    let digest: [UInt8]

    init(digest: [UInt8]) { self.digest = digest }

    /// The fingerprint of a public key blob (the SSH wire encoding).
    init(publicKeyBlob: [UInt8]) {
        digest = Digest.sha256(publicKeyBlob)
    }

    /// Accepts `SHA256:abc…`, with or without the prefix and `=` padding.
    init?(parsing text: String) {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        if body.hasPrefix("SHA256:") { body = body.dropFirst("SHA256:".count) }
        while body.hasSuffix("=") { body = body.dropLast() }
        let padded = String(body) + String(repeating: "=", count: (4 - body.count % 4) % 4)
        guard let data = Data(base64Encoded: padded), data.count == 32 else { return nil }
        digest = Array(data)
    }

    var description: String {
        var encoded = Data(digest).base64EncodedString()
        while encoded.hasSuffix("=") { encoded.removeLast() }
        return "SHA256:" + encoded
    }
}
