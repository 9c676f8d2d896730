/// What `keytool -list -v` says about each entry of a keystore.
struct KeytoolListing {
    struct Entry: Equatable {
        var alias: String
        var type: String
        var chainLength: Int
        /// SHA-256 fingerprints of every certificate shown, leaf first, as keytool prints them (AB:CD:...).
        var fingerprints: [String]
        var publicKeyAlgorithms: [String]
        var creationDate: String
    }

    let entries: [String: Entry]
    let raw: String

    /// Runs keytool on `path`; the password is read from `passwordFile`.
    init(path: String, storeType: String, passwordFile: String) throws {
        let output = try Tools.keytool(["-list", "-v", "-keystore", path, "-storetype", storeType,
                                        "-storepass:file", passwordFile])
        raw = output.standardOutputText
        var entries: [String: Entry] = [:]
        var current: Entry?
        func finish() { if let current { entries[current.alias] = current } }
        for line in raw.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("Alias name: ") {
                finish()
                current = Entry(alias: String(line.dropFirst(12)), type: "", chainLength: 1, fingerprints: [],
                                publicKeyAlgorithms: [], creationDate: "")
            } else if line.hasPrefix("Entry type: ") {
                current?.type = String(line.dropFirst(12))
            } else if line.hasPrefix("Certificate chain length: ") {
                current?.chainLength = Int(line.dropFirst(26)) ?? -1
            } else if line.hasPrefix("SHA256: ") {
                current?.fingerprints.append(String(line.dropFirst(8)))
            } else if line.hasPrefix("Subject Public Key Algorithm: ") {
                current?.publicKeyAlgorithms.append(String(line.dropFirst(30)))
            } else if line.hasPrefix("Creation date: ") {
                current?.creationDate = String(line.dropFirst(15))
            }
        }
        finish()
        self.entries = entries
    }
}

extension String {
    /// keytool's fingerprint spelling of a lowercase hex digest: "AB:CD:...".
    var keytoolFingerprint: String {
        var pairs: [String] = []
        var index = startIndex
        while index < endIndex {
            let next = self.index(index, offsetBy: 2)
            pairs.append(self[index..<next].uppercased())
            index = next
        }
        return pairs.joined(separator: ":")
    }
}
