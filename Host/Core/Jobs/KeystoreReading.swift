import OGMaterial
import OGPlugins

/// The host side of read_keystore: parse a keystore a plugin read from its
/// endpoint, with the password the host holds for the named option.
enum KeystoreReading {
    static func entries(format: KeystoreFormat, data: [UInt8], password: String, option: String,
                        cache: KeystoreDecodeCache) throws(ServiceFailure) -> [KeystoreEntrySummary] {
        let entries: [KeystoreEntry]
        do {
            entries = try cache.decode(format, data, password: Array(password.utf8)).entries
        } catch MaterialError.wrongKeystorePassword {
            throw ServiceFailure(.auth, "field `\(option)` does not open this keystore (wrong password)")
        } catch MaterialError.damagedKeystore(let format, let reason) {
            throw ServiceFailure(.parse, "the file is not a readable \(format) keystore: \(reason)")
        } catch {
            throw ServiceFailure(.parse, "the keystore could not be read: \(error)")
        }
        return entries.map { entry in
            KeystoreEntrySummary(alias: entry.alias, hasPrivateKey: entry.isPrivateKeyEntry, chainLength: entry.chain.count,
                                 certificate: entry.certificate.map(CertificateSummary.init),
                                 certificateDER: entry.certificate?.der ?? [])
        }
    }
}
