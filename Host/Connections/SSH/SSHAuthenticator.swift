import CSSH2
import Foundation
import OGBasics

/// Logs a verified session in as `user` with a password (as `password`, then
/// as `keyboard-interactive`) or a private key read into memory, so a
/// decrypted key never touches the disk.
struct SSHAuthenticator {
    let user: String
    let authentication: ConnectionAuthentication

    func authenticate(_ session: SSHSession, deadline: Deadline) throws {
        let offered = try offeredMethods(session, deadline: deadline)
        if libssh2_userauth_authenticated(session.raw) != 0 { return }
        switch authentication {
        case .none:
            throw refused(session, .methodNotOffered(wanted: "none", offered: offered))
        case .password(let password):
            try authenticate(session, password: password, offered: offered, deadline: deadline)
        case .privateKey(let path, let passphrase):
            guard offered.contains("publickey") else {
                throw refused(session, .methodNotOffered(wanted: "publickey", offered: offered))
            }
            try authenticate(session, keyPath: path, passphrase: passphrase, deadline: deadline)
        }
    }

    private func offeredMethods(_ session: SSHSession, deadline: Deadline) throws -> [String] {
        let list = try session.callReturningPointer(deadline) {
            libssh2_userauth_list(session.raw, user, UInt32(user.utf8.count))
        }
        guard let list else {
            if libssh2_userauth_authenticated(session.raw) != 0 { return [] }
            throw session.failure("the server did not list its authentication methods")
        }
        return String(cString: list).split(separator: ",").map(String.init)
    }

    private func authenticate(_ session: SSHSession, password: String, offered: [String], deadline: Deadline) throws {
        let canPassword = offered.contains("password")
        let canKeyboard = offered.contains("keyboard-interactive")
        guard canPassword || canKeyboard else {
            throw refused(session, .methodNotOffered(wanted: "password", offered: offered))
        }
        if canPassword {
            let result = try session.call(deadline) {
                libssh2_userauth_password_ex(session.raw, user, UInt32(user.utf8.count),
                                             password, UInt32(password.utf8.count), nil)
            }
            switch result {
            case 0: return
            case LIBSSH2_ERROR_PASSWORD_EXPIRED: throw refused(session, .passwordExpired)
            case LIBSSH2_ERROR_AUTHENTICATION_FAILED: if !canKeyboard { throw refused(session, .wrongPassword) }
            default: throw session.failure("password authentication broke off")
            }
        }
        // Servers that check passwords through PAM often take them only as keyboard-interactive answers.
        session.keyboardInteractive.password = password
        session.keyboardInteractive.passwordsGiven = 0
        defer { session.keyboardInteractive.password = nil }
        let result = try session.call(deadline) {
            libssh2_userauth_keyboard_interactive_ex(session.raw, user, UInt32(user.utf8.count), answerPrompts)
        }
        switch result {
        case 0: return
        case LIBSSH2_ERROR_AUTHENTICATION_FAILED: throw refused(session, .wrongPassword)
        default: throw session.failure("keyboard-interactive authentication broke off")
        }
    }

    private func authenticate(_ session: SSHSession, keyPath: String, passphrase: String?, deadline: Deadline) throws {
        var key: [UInt8]
        do {
            key = try LocalFiles.read(keyPath, limit: .material)
        } catch {
            throw refused(session, .unreadableKey(keyPath: keyPath, reason: "\(error)"))
        }
        // Best effort: the key's bytes should not linger in freed memory.
        defer { for index in key.indices { key[index] = 0 } }
        let encrypted = PrivateKeyFile.isEncrypted(key)
        if encrypted && (passphrase ?? "").isEmpty {
            throw refused(session, .passphraseRequired(keyPath: keyPath))
        }
        do {
            // An OpenSSH-format RSA key, encrypted or not, is signed here too (as PKCS#1 in memory), never as SHA-1 ssh-rsa.
            var converted: [UInt8]? = nil
            switch OpenSSHPrivateKey.convert(key, passphrase: passphrase) {
            case .pkcs1PEM(let pem): converted = pem
            case .wrongPassphrase: throw refused(session, .wrongPassphrase(keyPath: keyPath))
            case .unsupportedCipher(let cipher):
                throw refused(session, .unsupportedKey(keyPath: keyPath, reason: "it is encrypted with \(cipher), which og-host "
                    + "does not decrypt; re-encrypt it with aes256-ctr (ssh-keygen -p -Z aes256-ctr -f \(keyPath))"))
            case .notHandled: break
            }
            defer { if converted != nil { for index in converted!.indices { converted![index] = 0 } } }
            let pem = try PEMPrivateKey(converted ?? key, passphrase: converted == nil ? passphrase : nil)
            if pem.isRSA {
                switch try pem.authenticateRSA(session, user: user, deadline: deadline) {
                case 0: return
                // Not accepted as rsa-sha2-256: the server may still take ssh-rsa (SHA-1), tried below.
                case LIBSSH2_ERROR_AUTHENTICATION_FAILED, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED: break
                default: throw session.failure("public key authentication broke off")
                }
            }
        } catch PEMPrivateKey.OpenError.wrongPassphraseOrDamaged {
            if encrypted { throw refused(session, .wrongPassphrase(keyPath: keyPath)) }
            throw refused(session, .unsupportedKey(keyPath: keyPath, reason: "OpenSSL cannot read it as a PEM private key"))
        } catch PEMPrivateKey.OpenError.notPEM {
            // OpenSSH-format keys are libssh2's to read.
        }
        let result = try session.call(deadline) {
            key.withUnsafeBytes { bytes in
                libssh2_userauth_publickey_frommemory(session.raw, user, user.utf8.count, nil, 0,
                                                      bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count,
                                                      passphrase ?? "")
            }
        }
        switch result {
        case 0:
            return
        case LIBSSH2_ERROR_FILE, LIBSSH2_ERROR_KEYFILE_AUTH_FAILED, LIBSSH2_ERROR_METHOD_NOT_SUPPORTED:
            if encrypted { throw refused(session, .wrongPassphrase(keyPath: keyPath)) }
            throw refused(session, .unsupportedKey(keyPath: keyPath, reason: session.lastError.message))
        case LIBSSH2_ERROR_AUTHENTICATION_FAILED where encrypted && OpenSSHPrivateKey.rsaPublicKey(key) != nil,
             LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED where encrypted && OpenSSHPrivateKey.rsaPublicKey(key) != nil:
            // libssh2 1.10 offers these only as ssh-rsa (SHA-1). Ask the server whether it would take the
            // key as rsa-sha2-256, to tell a key it does not know from a signature algorithm it refuses.
            guard try serverAcceptsAsRSASHA2(session, publicKey: OpenSSHPrivateKey.rsaPublicKey(key)!, deadline: deadline) else {
                throw refused(session, .keyRejected(keyPath: keyPath))
            }
            throw refused(session, .signatureRefused(
                keyPath: keyPath,
                reason: "the server accepts this key but refused its ssh-rsa (SHA-1) signature, as OpenSSH 8.8 and "
                    + "later do; an RSA key in OpenSSH format encrypted with this cipher can only be signed that way "
                    + "here (aes-ctr and aes-cbc keys are signed with rsa-sha2-256). Convert it "
                    + "to PEM (ssh-keygen -p -m PEM -f \(keyPath)) or use an Ed25519 or ECDSA key"))
        case LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED:
            throw refused(session, .signatureRefused(
                keyPath: keyPath, reason: "the server accepts this public key but refused the signature made with it"))
        case LIBSSH2_ERROR_AUTHENTICATION_FAILED:
            throw refused(session, .keyRejected(keyPath: keyPath))
        default:
            throw session.failure("public key authentication broke off")
        }
    }

    /// Offers `publicKey` (an ssh-rsa blob) as rsa-sha2-256 without signing: a server that
    /// knows the key answers "PK_OK" and libssh2 then asks for a signature, which is declined.
    private func serverAcceptsAsRSASHA2(_ session: SSHSession, publicKey: [UInt8], deadline: Deadline) throws -> Bool {
        var reader = publicKey[...]
        guard reader.count > 11 else { return false }
        reader = reader.dropFirst(11)  // uint32 7 + "ssh-rsa"
        let blob = [0, 0, 0, 12] + Array("rsa-sha2-256".utf8) + Array(reader)
        var context: UnsafeMutableRawPointer? = nil
        let result = try session.call(deadline) {
            blob.withUnsafeBufferPointer { blob in
                libssh2_userauth_publickey(session.raw, user, blob.baseAddress, blob.count, declineToSign, &context)
            }
        }
        return result == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED
    }

    private func refused(_ session: SSHSession, _ reason: AuthenticationFailure) -> ConnectionError {
        .authenticationFailed(user: user, host: "\(session.host):\(session.port)", reason: reason)
    }
}

/// libssh2's keyboard-interactive callback: answers each hidden prompt with the
/// password (once; a repeated request means it was wrong) and visible ones with nothing.
private let answerPrompts: @convention(c) (
    UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, Int32, Int32,
    UnsafePointer<LIBSSH2_USERAUTH_KBDINT_PROMPT>?, UnsafeMutablePointer<LIBSSH2_USERAUTH_KBDINT_RESPONSE>?,
    UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> Void = { _, _, _, _, count, prompts, responses, abstract in
    guard let prompts, let responses, let context = abstract?.pointee else { return }
    let answers = Unmanaged<KeyboardInteractiveAnswers>.fromOpaque(context).takeUnretainedValue()
    var gavePassword = false
    for index in 0..<Int(max(0, count)) {
        var answer = ""
        if prompts[index].echo == 0, answers.passwordsGiven == 0, let password = answers.password {
            answer = password
            gavePassword = true
        }
        // libssh2 frees each response with free().
        responses[index].text = strdup(answer)
        responses[index].length = UInt32(answer.utf8.count)
    }
    if gavePassword { answers.passwordsGiven += 1 }
}

/// A sign callback that declines: used to learn whether the server knows a key.
private let declineToSign: @convention(c) (
    OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, UnsafeMutablePointer<Int>?,
    UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> Int32 = { _, _, _, _, _, _ in -1 }

/// Reads just enough of a private key file to tell whether it is encrypted.
enum PrivateKeyFile {
    static func isEncrypted(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || text.contains("Proc-Type: 4,ENCRYPTED") { return true }
        guard let begin = text.range(of: "-----BEGIN OPENSSH PRIVATE KEY-----"),
              let end = text.range(of: "-----END OPENSSH PRIVATE KEY-----", range: begin.upperBound..<text.endIndex) else {
            return false
        }
        let body = text[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: String(body)) else { return false }
        // openssh-key-v1\0, then the cipher name as an SSH string: "none" when unencrypted.
        let magic = Array("openssh-key-v1".utf8) + [0]
        let blob = Array(data)
        guard blob.count > magic.count + 4, Array(blob[0..<magic.count]) == magic else { return false }
        let lengthBytes = blob[magic.count..<magic.count + 4]
        let length = lengthBytes.reduce(0) { $0 << 8 | Int($1) }
        let start = magic.count + 4
        guard length > 0, start + length <= blob.count else { return false }
        return String(decoding: blob[start..<start + length], as: UTF8.self) != "none"
    }
}
