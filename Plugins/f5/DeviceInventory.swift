import OGPluginKit

/// What the plugin needs to know about a BIG-IP, read once per call: its
/// client-SSL profiles with their certificate/key pairs, the virtual servers
/// and which profiles they use, and the certificate objects' identities.
/// Replies are checked field by field; anything unexpected is refused with
/// the field named, never guessed at.
struct DeviceInventory {
    struct PairEntry: Hashable {
        var name: String
        var cert: String
        var key: String
        /// "" when the entry has no chain.
        var chain: String
    }

    struct Profile {
        var fullPath: String
        var entries: [PairEntry]
        /// "" when the profile has no server name (it is the default for SNI-less clients).
        var serverName: String
    }

    struct Virtual {
        var fullPath: String
        var address: String
        var port: Int
        var profiles: [String]
    }

    struct CertificateObject {
        var fullPath: String
        var subject: String
        var names: [String]
        /// Lowercase hex without separators, as the host compares fingerprints.
        var sha256: String
        var expiration: String
    }

    var profiles: [Profile]
    var virtuals: [Virtual]
    var certificates: [String: CertificateObject]

    /// More items than this in one collection is not a device og-host can reason about safely.
    static let itemLimit = 100_000

    static func read(_ session: ICRSession) throws -> DeviceInventory {
        let profiles = try items(session.get("/mgmt/tm/ltm/profile/client-ssl"), "client-ssl profiles").map(profile)
        let virtuals = try items(session.get("/mgmt/tm/ltm/virtual?expandSubcollections=true"), "virtual servers").compactMap(virtual)
        var certificates: [String: CertificateObject] = [:]
        for item in try items(session.get("/mgmt/tm/sys/file/ssl-cert"), "ssl-cert objects") {
            let object = try certificate(item)
            certificates[object.fullPath] = object
        }
        return DeviceInventory(profiles: profiles, virtuals: virtuals, certificates: certificates)
    }

    /// The virtual servers that use `profile`.
    func virtuals(using profile: String) -> [Virtual] {
        virtuals.filter { $0.profiles.contains(profile) }
    }

    /// Every profile entry that uses exactly the pair (cert, key).
    func users(of cert: String, key: String) -> [(profile: Profile, entry: PairEntry)] {
        profiles.flatMap { profile in
            profile.entries.filter { $0.cert == cert && $0.key == key }.map { (profile, $0) }
        }
    }

    // MARK: Reading replies

    static func items(_ reply: JSON, _ what: String) throws -> [JSON] {
        guard let items = reply["items"] else { return [] }  // an empty collection has no "items"
        guard let list = items.arrayValue else { throw malformed(what, "items is not an array") }
        guard list.count <= itemLimit else { throw malformed(what, "more than \(itemLimit) items") }
        return list
    }

    static func text(_ item: JSON, _ field: String, _ what: String) throws -> String {
        guard let value = item[field]?.stringValue, !value.isEmpty, value.count <= 1024,
              !value.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw malformed(what, "\(field) is missing, empty, too long or holds control characters")
        }
        return value
    }

    /// A full path "/Partition/name" as F5 writes it; "none" (F5's empty reference) becomes "".
    static func objectPath(_ item: JSON, _ field: String, _ what: String) throws -> String {
        guard let value = item[field]?.stringValue, value != "none", !value.isEmpty else { return "" }
        guard value.hasPrefix("/"), value.split(separator: "/").count >= 2, value.count <= 1024,
              !value.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw malformed(what, "\(field) '\(printable(value))' is not a full path such as /Common/name")
        }
        return value
    }

    static func profile(_ item: JSON) throws -> Profile {
        let path = try text(item, "fullPath", "a client-ssl profile")
        let what = "client-ssl profile \(printable(path))"
        var entries: [PairEntry] = []
        if let chain = item["certKeyChain"] {
            guard let list = chain.arrayValue else { throw malformed(what, "certKeyChain is not an array") }
            for entry in list {
                entries.append(PairEntry(name: try text(entry, "name", what), cert: try objectPath(entry, "cert", what),
                                         key: try objectPath(entry, "key", what), chain: try objectPath(entry, "chain", what)))
            }
        }
        let serverName = item["serverName"]?.stringValue ?? ""
        return Profile(fullPath: path, entries: entries, serverName: serverName == "none" ? "" : serverName)
    }

    static func virtual(_ item: JSON) throws -> Virtual? {
        let path = try text(item, "fullPath", "a virtual server")
        let what = "virtual server \(printable(path))"
        guard let destination = item["destination"]?.stringValue else { return nil }  // e.g. an internal virtual
        let (address, port) = try Self.destination(destination, what)
        var profiles: [String] = []
        if let list = item["profilesReference"]?["items"] {
            guard let array = list.arrayValue else { throw malformed(what, "profilesReference.items is not an array") }
            profiles = try array.map { try text($0, "fullPath", what) }
        }
        return Virtual(fullPath: path, address: address, port: port, profiles: profiles)
    }

    /// "/Common/10.1.2.3:443", "/Common/10.1.2.3%2:443" (route domain) or "/Common/2001:db8::5.443" (IPv6 uses '.').
    static func destination(_ text: String, _ what: String) throws -> (String, Int) {
        let last = text.split(separator: "/").last.map(String.init) ?? text
        let isIPv6 = last.filter { $0 == ":" }.count > 1
        guard let separator = last.lastIndex(of: isIPv6 ? "." : ":") else {
            throw malformed(what, "destination '\(printable(text))' has no port")
        }
        var address = String(last[..<separator])
        if let percent = address.firstIndex(of: "%") { address = String(address[..<percent]) }
        guard let port = Int(last[last.index(after: separator)...]), (1...65535).contains(port), !address.isEmpty else {
            throw malformed(what, "destination '\(printable(text))' is not address:port")
        }
        return (address, port)
    }

    static func certificate(_ item: JSON) throws -> CertificateObject {
        let path = try text(item, "fullPath", "an ssl-cert object")
        let what = "ssl-cert \(printable(path))"
        let fingerprint = item["fingerprint"]?.stringValue ?? ""
        var sha256 = ""
        if fingerprint.hasPrefix("SHA256/") {
            sha256 = String(fingerprint.dropFirst(7).filter { $0 != ":" }).lowercased()
            guard sha256.count == 64, sha256.allSatisfy({ $0.isHexDigit }) else {
                throw malformed(what, "fingerprint is not SHA256/ followed by 32 hex bytes")
            }
        }
        let names = (item["subjectAlternativeName"]?.stringValue ?? "").split(separator: ",").compactMap { part -> String? in
            let trimmed = part.trimmingPrefix(" ")
            return trimmed.hasPrefix("DNS:") ? String(trimmed.dropFirst(4)) : nil
        }
        return CertificateObject(fullPath: path, subject: item["subject"]?.stringValue ?? "", names: names, sha256: sha256,
                                 expiration: item["expirationString"]?.stringValue ?? "")
    }

    static func malformed(_ what: String, _ problem: String) -> PluginError {
        PluginError(status: .parse, message: "the device's description of \(what) cannot be used: \(problem)")
    }

    /// `text` with control characters replaced and cut to 200 characters, for error messages.
    static func printable(_ text: String) -> String {
        String(String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) }).prefix(200))
    }
}
