import OGBasics
import OGMaterial

/// Reads the files operators name on the command line, with errors that name
/// the option (`--cert: FILE: ...`) or, for a positional argument (`option`
/// nil), the file alone.
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
                                      + "--\(passphraseOption) - (standard input) or --\(passphraseOption) env:NAME")
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
