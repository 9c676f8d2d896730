import Foundation

/// NTLMv2 as the initiator (MS-NLMP): the NEGOTIATE message, reading the
/// server's CHALLENGE, and the AUTHENTICATE message with NTProofStr, an
/// exchanged session key and a MIC. The result carries the keys for
/// `NTLMSessionSecurity`.
struct NTLMInitiator {
    let user: String
    let domain: String
    let password: String
    private(set) var negotiateMessage: [UInt8] = []

    static let flags: UInt32 = 0x0000_0001 // UNICODE
        | 0x0000_0004 // REQUEST_TARGET
        | 0x0000_0010 // SIGN
        | 0x0000_0020 // SEAL
        | 0x0000_0200 // NTLM
        | 0x0000_8000 // ALWAYS_SIGN
        | 0x0008_0000 // EXTENDED_SESSIONSECURITY
        | 0x0080_0000 // TARGET_INFO
        | 0x0200_0000 // VERSION
        | 0x2000_0000 // 128-bit
        | 0x4000_0000 // KEY_EXCH
        | 0x8000_0000 // 56-bit

    /// `DOMAIN\user` or `user@domain` is split; a bare name has an empty domain.
    init(account: String, password: String) {
        if let slash = account.firstIndex(of: "\\") {
            domain = String(account[..<slash])
            user = String(account[account.index(after: slash)...])
        } else {
            domain = ""
            user = account
        }
        self.password = password
    }

    /// Windows 10 build 19041, NTLM revision 15: only informational.
    private static let version: [UInt8] = [10, 0, 0x61, 0x4a, 0, 0, 0, 15]

    mutating func negotiate() -> [UInt8] {
        var message = Array("NTLMSSP\0".utf8)
        message += le32(1) + le32(Self.flags)
        message += [UInt8](repeating: 0, count: 16) // domain and workstation: none
        message += Self.version
        negotiateMessage = message
        return message
    }

    /// The AUTHENTICATE message answering `challenge`, and the session's keys.
    func authenticate(challenge: [UInt8]) throws -> (message: [UInt8], exportedSessionKey: [UInt8], flags: UInt32) {
        guard challenge.count >= 48, challenge.starts(with: Array("NTLMSSP\0".utf8)), readLE32(challenge, 8) == 2 else {
            throw NTLMError.malformedChallenge("it is not an NTLM CHALLENGE message")
        }
        let serverFlags = readLE32(challenge, 20)
        let serverChallenge = Array(challenge[24..<32])
        let infoLength = Int(readLE16(challenge, 40)), infoOffset = Int(readLE32(challenge, 44))
        guard infoOffset + infoLength <= challenge.count else { throw NTLMError.malformedChallenge("target info overruns it") }
        var pairs = try Self.avPairs(Array(challenge[infoOffset..<(infoOffset + infoLength)]))
        let flags = Self.flags & serverFlags | 0x0000_0001
        guard flags & 0x4000_0000 != 0, flags & 0x0000_0020 != 0 else {
            throw NTLMError.malformedChallenge("the server does not offer key exchange and sealing")
        }

        let timestamp: [UInt8]
        if let serverTime = pairs.first(where: { $0.id == 7 })?.value { timestamp = serverTime } else {
            // FILETIME: 100 ns ticks since 1601-01-01.
            let ticks = UInt64((Date().timeIntervalSince1970 + 11_644_473_600) * 10_000_000)
            timestamp = (0..<8).map { UInt8(truncatingIfNeeded: ticks >> (8 * UInt64($0))) }
        }
        // MsvAvFlags bit 0x2: a MIC follows, so the server can detect a tampered negotiation.
        if let index = pairs.firstIndex(where: { $0.id == 6 }) {
            pairs[index].value = le32(readLE32(pairs[index].value, 0) | 0x2)
        } else {
            pairs.append((6, le32(0x2)))
        }
        var targetInfo: [UInt8] = []
        for pair in pairs { targetInfo += le16(pair.id) + le16(UInt16(pair.value.count)) + pair.value }
        targetInfo += [0, 0, 0, 0]

        let clientChallenge = try NTLMCrypto.randomBytes(8)
        let responseKey = try Self.responseKey(user: user, domain: domain, password: password)
        let blob: [UInt8] = [1, 1, 0, 0, 0, 0, 0, 0] + timestamp + clientChallenge + [0, 0, 0, 0] + targetInfo + [0, 0, 0, 0]
        let proof = try NTLMCrypto.hmacMD5(key: responseKey, serverChallenge + blob)
        let ntResponse = proof + blob
        // With a server timestamp the LMv2 response must be zeros (MS-NLMP 3.1.5.1.2).
        let lmResponse = [UInt8](repeating: 0, count: 24)
        let sessionBaseKey = try NTLMCrypto.hmacMD5(key: responseKey, proof)
        let exportedSessionKey = try NTLMCrypto.randomBytes(16)
        let encryptedSessionKey = try RC4Stream(key: sessionBaseKey).apply(exportedSessionKey)

        let fields: [[UInt8]] = [lmResponse, ntResponse, utf16(domain), utf16(user), [], encryptedSessionKey]
        let headerLength = 88 // signature, type, six fields, flags, version, MIC
        var header = Array("NTLMSSP\0".utf8) + le32(3)
        var payload: [UInt8] = []
        for field in fields {
            header += le16(UInt16(field.count)) + le16(UInt16(field.count)) + le32(UInt32(headerLength + payload.count))
            payload += field
        }
        header += le32(flags) + Self.version
        let micOffset = header.count
        var message = header + [UInt8](repeating: 0, count: 16) + payload
        let mic = try NTLMCrypto.hmacMD5(key: exportedSessionKey, negotiateMessage + challenge + message)
        message.replaceSubrange(micOffset..<(micOffset + 16), with: mic)
        return (message, exportedSessionKey, flags)
    }

    /// NTOWFv2 (MS-NLMP 3.3.2): the key every NTLMv2 response is made with.
    static func responseKey(user: String, domain: String, password: String) throws -> [UInt8] {
        try NTLMCrypto.hmacMD5(key: try NTLMCrypto.md4(utf16(password)), utf16(user.uppercased() + domain))
    }

    private static func avPairs(_ bytes: [UInt8]) throws -> [(id: UInt16, value: [UInt8])] {
        var pairs: [(id: UInt16, value: [UInt8])] = []
        var offset = 0
        while offset + 4 <= bytes.count {
            let id = readLE16(bytes, offset), length = Int(readLE16(bytes, offset + 2))
            guard offset + 4 + length <= bytes.count else { throw NTLMError.malformedChallenge("an AV pair overruns it") }
            if id == 0 { return pairs }
            pairs.append((id, Array(bytes[(offset + 4)..<(offset + 4 + length)])))
            offset += 4 + length
        }
        throw NTLMError.malformedChallenge("target info has no end marker")
    }
}

func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) } }
func readLE16(_ bytes: [UInt8], _ offset: Int) -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }
func readLE32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
}
private func utf16(_ text: String) -> [UInt8] { text.utf16.flatMap { le16($0) } }
