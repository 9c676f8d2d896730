/// NTLM session security with extended session security and key exchange
/// (MS-NLMP 3.4): each message is sealed with the direction's RC4 stream and
/// signed with HMAC-MD5 over its sequence number, the checksum itself
/// encrypted with the same stream. One instance per authenticated connection;
/// not thread-safe (its owner serialises messages).
final class NTLMSessionSecurity {
    private let clientSigningKey: [UInt8]
    private let serverSigningKey: [UInt8]
    private let clientSeal: RC4Stream
    private let serverSeal: RC4Stream
    private var clientSequence: UInt32 = 0
    private var serverSequence: UInt32 = 0

    init(exportedSessionKey key: [UInt8]) throws {
        func derive(_ constant: String) throws -> [UInt8] { try NTLMCrypto.md5(key + Array(constant.utf8) + [0]) }
        clientSigningKey = try derive("session key to client-to-server signing key magic constant")
        serverSigningKey = try derive("session key to server-to-client signing key magic constant")
        clientSeal = try RC4Stream(key: try derive("session key to client-to-server sealing key magic constant"))
        serverSeal = try RC4Stream(key: try derive("session key to server-to-client sealing key magic constant"))
    }

    /// The 16-byte signature and the sealed message.
    func seal(_ message: [UInt8]) throws -> (signature: [UInt8], sealed: [UInt8]) {
        let sequence = le32(clientSequence)
        clientSequence &+= 1
        let sealed = try clientSeal.apply(message)
        let checksum = try NTLMCrypto.hmacMD5(key: clientSigningKey, sequence + message).prefix(8)
        return (le32(1) + (try clientSeal.apply(Array(checksum))) + sequence, sealed)
    }

    /// The plain message, after checking its signature and sequence number.
    func unseal(signature: [UInt8], sealed: [UInt8]) throws -> [UInt8] {
        guard signature.count == 16 else { throw NTLMError.badSignature }
        let sequence = le32(serverSequence)
        serverSequence &+= 1
        let message = try serverSeal.apply(sealed)
        let checksum = try NTLMCrypto.hmacMD5(key: serverSigningKey, sequence + message).prefix(8)
        let expected = le32(1) + (try serverSeal.apply(Array(checksum))) + sequence
        guard expected == signature else { throw NTLMError.badSignature }
        return message
    }
}
