import CSSH2
import Foundation

/// Checks the host key a server presented in the handshake against the
/// connection's `HostKeyPolicy` and `HostKeyStore`, before any credential is sent.
struct HostKeyVerifier {
    let policy: HostKeyPolicy
    let store: HostKeyStore?

    /// Returns the verified fingerprint, or throws `hostKeyRejected` / `hostKeyUnknown`.
    func verify(_ session: SSHSession) throws -> String {
        var length = 0
        var type: Int32 = 0
        guard let key = libssh2_session_hostkey(session.raw, &length, &type), length > 0 else {
            throw session.failure("the server sent no host key")
        }
        let blob = Array(UnsafeRawBufferPointer(start: key, count: length))
        let presented = HostKeyFingerprint(publicKeyBlob: blob)
        let hostLabel = "\(session.host):\(session.port)"
        var vouched = false

        if let pinned = policy.pinnedFingerprint {
            let expected = HostKeyFingerprint(parsing: pinned)
            guard expected == presented else {
                throw ConnectionError.hostKeyRejected(host: hostLabel, expectedFingerprint: expected?.description ?? pinned,
                                                      presentedFingerprint: presented.description)
            }
            vouched = true
        }
        if let file = policy.knownHostsFile {
            switch try KnownHostsFile(path: file, session: session).check(host: session.host, port: session.port,
                                                                          keyBlob: blob, keyType: type) {
            case .match: vouched = true
            case .mismatch(let expected):
                throw ConnectionError.hostKeyRejected(host: hostLabel, expectedFingerprint: expected,
                                                      presentedFingerprint: presented.description)
            case .notFound: break
            }
        }
        if let store, !(policy.replacesRememberedKey && vouched) {
            let remembered: String?
            do {
                remembered = try store.pinnedFingerprint(host: session.host, port: session.port)
            } catch {
                throw ConnectionError.io(path: "host key store", reason: "cannot read the pinned key for \(hostLabel): \(error)")
            }
            if let remembered {
                guard HostKeyFingerprint(parsing: remembered) == presented else {
                    throw ConnectionError.hostKeyRejected(host: hostLabel, expectedFingerprint: remembered,
                                                          presentedFingerprint: presented.description)
                }
                vouched = true
            } else if !vouched && policy.trustOnFirstUse {
                do {
                    try store.pin(host: session.host, port: session.port, fingerprint: presented.description)
                } catch {
                    throw ConnectionError.io(path: "host key store", reason: "cannot pin the key for \(hostLabel): \(error)")
                }
                vouched = true
            }
        }
        guard vouched else {
            throw ConnectionError.hostKeyUnknown(host: hostLabel, presentedFingerprint: presented.description)
        }
        return presented.description
    }
}

/// An OpenSSH known_hosts file read through libssh2's knownhost API.
private struct KnownHostsFile {
    enum Verdict { case match, mismatch(expectedFingerprint: String), notFound }

    let path: String
    let session: SSHSession

    init(path: String, session: SSHSession) throws {
        self.path = path
        self.session = session
    }

    func check(host: String, port: Int, keyBlob: [UInt8], keyType: Int32) throws -> Verdict {
        guard let hosts = libssh2_knownhost_init(session.raw) else {
            throw ConnectionError.io(path: path, reason: "libssh2 could not allocate a known_hosts list")
        }
        defer { libssh2_knownhost_free(hosts) }
        guard FileManager.default.fileExists(atPath: path) else { return .notFound }
        if libssh2_knownhost_readfile(hosts, path, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0 {
            throw ConnectionError.io(path: path, reason: "is not a readable OpenSSH known_hosts file: \(session.lastError.message)")
        }
        let typeMask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | Self.knownHostKeyBit(keyType)
        var found: UnsafeMutablePointer<libssh2_knownhost>?
        let verdict = keyBlob.withUnsafeBytes { key in
            libssh2_knownhost_checkp(hosts, host, Int32(port), key.baseAddress!.assumingMemoryBound(to: CChar.self),
                                     key.count, Int32(typeMask), &found)
        }
        switch verdict {
        case LIBSSH2_KNOWNHOST_CHECK_MATCH:
            return .match
        case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
            let expected = found.flatMap { entry -> String? in
                guard let encoded = entry.pointee.key, let data = Data(base64Encoded: String(cString: encoded)) else { return nil }
                return HostKeyFingerprint(publicKeyBlob: Array(data)).description
            }
            return .mismatch(expectedFingerprint: expected ?? "the key recorded in \(path)")
        case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
            return .notFound
        default:
            throw ConnectionError.io(path: path, reason: "the host key could not be checked against it: \(session.lastError.message)")
        }
    }

    /// libssh2 numbers host key types differently in sessions and in known_hosts.
    private static func knownHostKeyBit(_ sessionType: Int32) -> Int32 {
        switch sessionType {
        case LIBSSH2_HOSTKEY_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA
        case LIBSSH2_HOSTKEY_TYPE_DSS: return LIBSSH2_KNOWNHOST_KEY_SSHDSS
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521
        case LIBSSH2_HOSTKEY_TYPE_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519
        default: return LIBSSH2_KNOWNHOST_KEY_UNKNOWN
        }
    }
}
