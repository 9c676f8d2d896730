import OGBasics
import OGCredentials
import OGMaterial

/// The one loader for certificate and key files operators name (`tls install
/// --cert/--key/--chain`, `cert import`, `ca add`), with one set of rules:
/// certificates PEM (one or more) or DER; keys PEM or DER, encrypted or not,
/// the passphrase given as `-` or `env:NAME` (never in argv) and wiped after
/// use, the key file's bytes wiped once parsed. Errors name the field
/// (`cert: FILE: ...`) or, for a positional argument (`option` nil), the file alone.
enum OptionFiles {
    static func bytes(option: String?, path: String) throws -> [UInt8] {
        do {
            return try LocalFiles.read(path, limit: .material)
        } catch {
            throw problem(option, "\(error)")
        }
    }

    /// Every certificate in the file, PEM (one or more) or DER.
    static func certificates(option: String?, path: String) throws -> [Certificate] {
        let contents = try bytes(option: option, path: path)
        do {
            return try Certificate.parseAll(contents, what: path)
        } catch let error as MaterialError {
            throw problem(option, "\(error)")
        }
    }

    /// The private key in `path` and the certificates of `certificatePath`
    /// (and `chainPath`): the leaf is the certificate for the key (the first
    /// when none is, so that validation reports the mismatch), the rest its chain.
    /// `passphrase` is the value of `passphraseOption`: `-` or `env:NAME`.
    static func keyAndCertificates(keyOption: String, keyPath: String, passphraseOption: String, passphrase: String?,
                                   certificateOption: String, certificatePath: String,
                                   chainOption: String, chainPath: String?) throws
        -> (leaf: Certificate, key: PrivateKey, chain: [Certificate], certificateFile: [Certificate]) {
        let secret = try Self.passphrase(option: passphraseOption, value: passphrase)
        let key = try withPassphraseBytes(secret) { bytes in
            try privateKey(option: keyOption, path: keyPath, passphrase: bytes, passphraseOption: passphraseOption)
        }
        let supplied = try certificates(option: certificateOption, path: certificatePath)
        let leaf = supplied.first { $0.matches(privateKey: key) } ?? supplied[0]
        var chain = supplied.filter { $0 != leaf }
        if let chainPath { chain += try certificates(option: chainOption, path: chainPath) }
        return (leaf, key, chain, supplied)
    }

    /// A key's passphrase: `-` reads a line from standard input, `env:NAME` a
    /// variable; a literal is refused, since argv is visible to every user through ps.
    static func passphrase(option: String, value: String?) throws -> Secret? {
        guard let value else { return nil }
        guard value == "-" || value.hasPrefix("env:") else {
            throw GatewayError.option(option, "give - to read it from standard input or env:NAME to read an "
                                      + "environment variable; a password in the command line is visible to every "
                                      + "user through ps")
        }
        do {
            return try SecretInput.read(option: FieldMention.of(option), value: value)
        } catch let error as CredentialsError {
            throw GatewayError("\(error)", category: .badInput)
        }
    }

    /// Lends `secret`'s bytes to `body` in a copy that is wiped afterwards.
    static func withPassphraseBytes<Result>(_ secret: Secret?, _ body: ([UInt8]?) throws -> Result) throws -> Result {
        guard let secret else { return try body(nil) }
        var bytes = secret.withUnsafeBytes { Array($0) }
        defer { SealedKeyFile.wipe(&bytes) }
        return try body(bytes)
    }

    /// The private key in the file, PEM or DER, encrypted or not.
    static func privateKey(option: String, path: String, passphrase: [UInt8]?, passphraseOption: String) throws -> PrivateKey {
        var contents = try bytes(option: option, path: path)
        // The file's bytes are key material too.
        defer { SealedKeyFile.wipe(&contents) }
        do {
            let isDER = contents.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }) == 0x30
            return isDER ? try PrivateKey(der: contents, passphrase: passphrase, what: path)
                         : try PrivateKey(pemBytes: contents, passphrase: passphrase, what: path)
        } catch MaterialError.passphraseRequired {
            throw GatewayError.option(option, "\(path): is encrypted; give its passphrase with "
                                      + "\(FieldMention.of(passphraseOption)) - (standard input) or \(FieldMention.of(passphraseOption)) env:NAME")
        } catch MaterialError.wrongPassphrase {
            throw GatewayError.option(passphraseOption, "does not decrypt \(path); give the passphrase the key was "
                                      + "encrypted with")
        } catch let error as MaterialError {
            throw GatewayError.option(option, "\(error)")
        }
    }

    private static func problem(_ option: String?, _ text: String) -> GatewayError {
        option.map { GatewayError.option($0, text) } ?? GatewayError(text, category: .badInput)
    }
}
