import OGPluginKit

/// One certificate install on a BIG-IP, worked out from the device's state:
/// which pair is replaced, every client-SSL profile entry that uses it, the
/// versioned names of the new objects, and the virtual servers to verify.
///
/// New objects never overwrite the pair in use: they get names derived from
/// the new certificate's fingerprint (og-<label>-<12 hex>.key/.crt), the
/// profiles are repointed to them in the same transaction, and the replaced
/// objects stay until the host has verified the new pair (undo token).
struct PairReplacement {
    struct Repoint: Hashable {
        var profile: String
        var entry: String
        var oldCert: String
        var oldKey: String
        var oldChain: String
    }

    var target: DeviceInventory.Profile
    var repoints: [Repoint]
    var newCert: String
    var newKey: String
    /// "" when the certificate comes without intermediates.
    var newChain: String
    var verify: [VerifyTarget]

    /// With `pkcs12`, key and certificate are one PKCS#12 import: both objects get the versioned base name.
    static func plan(_ request: InstallRequest, inventory: DeviceInventory, partition: String,
                     pkcs12: Bool = false) throws -> PairReplacement {
        let target = try choose(request, inventory: inventory, partition: partition)
        guard let entry = target.entries.first(where: { !$0.cert.isEmpty && !$0.key.isEmpty }) else {
            throw PluginError(status: .conflict, field: "node",
                              message: "client-ssl profile \(target.fullPath) has no certificate/key pair to replace")
        }
        let users = inventory.users(of: entry.cert, key: entry.key)
        let label = Self.label(request.certificate)
        let version = String(request.certificate.sha256Fingerprint.prefix(12))
        let base = "/\(partition)/og-\(label)-\(version)"
        let replacement = PairReplacement(
            target: target,
            repoints: users.map { Repoint(profile: $0.profile.fullPath, entry: $0.entry.name, oldCert: $0.entry.cert,
                                          oldKey: $0.entry.key, oldChain: $0.entry.chain) },
            newCert: pkcs12 ? base : base + ".crt", newKey: pkcs12 ? base : base + ".key",
            newChain: request.chainLength > 0 ? base + "-chain.crt" : "",
            verify: [])
        for repoint in replacement.repoints where partition != "Common" && !repoint.profile.hasPrefix("/\(partition)/") {
            throw PluginError(status: .conflict, field: "partition",
                              message: "profile \(repoint.profile) also uses \(entry.cert) but cannot refer to objects in partition "
                                  + "\(partition); install with --partition Common or give that profile its own pair first")
        }
        var verify: [VerifyTarget] = []
        for repoint in replacement.repoints {
            let profile = inventory.profiles.first { $0.fullPath == repoint.profile }
            let serverName = profile?.serverName.isEmpty == false ? profile!.serverName : request.certificate.dnsNames.first
            for virtual in inventory.virtuals(using: repoint.profile) {
                let target = VerifyTarget(host: virtual.address, port: virtual.port, serverName: serverName)
                if !verify.contains(target) { verify.append(target) }
            }
        }
        var result = replacement
        result.verify = verify
        return result
    }

    /// The node asked for, or the one profile in the partition whose certificate carries the new certificate's names.
    static func choose(_ request: InstallRequest, inventory: DeviceInventory, partition: String) throws -> DeviceInventory.Profile {
        if let node = request.nodeID, !node.isEmpty {
            guard let profile = inventory.profiles.first(where: { $0.fullPath == node }) else {
                let known = inventory.profiles.map(\.fullPath).filter { $0.hasPrefix("/\(partition)/") }
                throw PluginError(status: .notFound, field: "node",
                                  message: "no client-ssl profile \(DeviceInventory.printable(node)) on the device; nodes are "
                                      + (known.isEmpty ? "(none in partition \(partition))" : known.joined(separator: ", ")))
            }
            return profile
        }
        let wanted = Set(request.certificate.dnsNames.map { $0.lowercased() } + [request.certificate.commonName.lowercased()])
            .subtracting([""])
        let matches = inventory.profiles.filter { profile in
            guard profile.fullPath.hasPrefix("/\(partition)/"), let cert = profile.entries.first?.cert,
                  let object = inventory.certificates[cert] else { return false }
            return !wanted.isDisjoint(with: object.names.map { $0.lowercased() })
        }
        // Profiles that share one pair are one choice: the install repoints all of them anyway.
        let pairs = Set(matches.compactMap { $0.entries.first.map { "\($0.cert)\u{0}\($0.key)" } })
        guard matches.count == 1 || (pairs.count == 1 && !matches.isEmpty) else {
            throw PluginError(status: .invalidArgument, field: "node",
                              message: matches.isEmpty
                                  ? "no client-ssl profile in partition \(partition) holds a certificate for \(wanted.sorted().joined(separator: ", ")); name one with --node"
                                  : "several client-ssl profiles hold a certificate for those names (\(matches.map(\.fullPath).joined(separator: ", "))); name one with --node")
        }
        return matches[0]
    }

    /// A readable, object-name-safe label from the certificate's first name.
    static func label(_ certificate: CertificateInfo) -> String {
        let source = certificate.dnsNames.first ?? (certificate.commonName.isEmpty ? "certificate" : certificate.commonName)
        let mapped = source.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") ? $0 : "_" }
        return String(String(mapped).prefix(48))
    }

    // MARK: Undo token

    /// Self-contained JSON the host journals; enough to repoint every profile back after a crash.
    func undoToken(retainReplaced: Bool) -> [UInt8] {
        JSON.object([
            ("version", .number("1")),
            ("newCert", .string(newCert)), ("newKey", .string(newKey)), ("newChain", .string(newChain)),
            ("retainReplaced", .bool(retainReplaced)),
            ("repoints", .array(repoints.map {
                .object([("profile", .string($0.profile)), ("entry", .string($0.entry)), ("cert", .string($0.oldCert)),
                         ("key", .string($0.oldKey)), ("chain", .string($0.oldChain))])
            })),
        ]).bytes
    }

    /// Reads a token `undoToken` wrote, refusing anything else (tokens come back from a journal, possibly damaged).
    static func fromUndoToken(_ bytes: [UInt8]) throws -> (PairReplacement, retainReplaced: Bool) {
        func bad(_ problem: String) -> PluginError {
            PluginError(status: .invalidArgument, field: "undo_token", message: "not an undo token of the f5 plugin: \(problem)")
        }
        guard bytes.count <= 1 << 20 else { throw bad("larger than 1 MiB") }
        let json: JSON
        do { json = try JSON.parse(bytes) } catch { throw bad("\(error)") }
        guard json["version"]?.int64Value == 1 else { throw bad("version is not 1") }
        func path(_ value: JSON?, optional: Bool = false) throws -> String {
            guard let text = value?.stringValue else { throw bad("a field is missing") }
            if text.isEmpty && optional { return "" }
            guard text.hasPrefix("/"), text.count <= 1024, !text.contains("?"), !text.contains("#"),
                  !text.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) else {
                throw bad("'\(DeviceInventory.printable(text))' is not an object path")
            }
            return text
        }
        guard let list = json["repoints"]?.arrayValue, list.count <= 10_000 else { throw bad("repoints is not a list") }
        let repoints = try list.map { item -> Repoint in
            guard let entry = item["entry"]?.stringValue, !entry.isEmpty, entry.count <= 255 else { throw bad("an entry name is missing") }
            return Repoint(profile: try path(item["profile"]), entry: entry, oldCert: try path(item["cert"]),
                           oldKey: try path(item["key"]), oldChain: try path(item["chain"], optional: true))
        }
        let replacement = PairReplacement(target: DeviceInventory.Profile(fullPath: repoints.first?.profile ?? "", entries: [], serverName: ""),
                                          repoints: repoints, newCert: try path(json["newCert"]), newKey: try path(json["newKey"]),
                                          newChain: try path(json["newChain"], optional: true), verify: [])
        return (replacement, json["retainReplaced"]?.boolValue ?? false)
    }

    /// F5's URL form of a full path: /Common/web.crt -> ~Common~web.crt.
    static func urlName(_ path: String) -> String {
        path.replacingSlashes()
    }
}

extension String {
    /// "/Common/a.crt" -> "~Common~a.crt" (percent-encoding what a URL path cannot hold).
    func replacingSlashes() -> String {
        var out = ""
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "/"): out += "~"
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }
}
