import OGPluginKit

/// The changing half of an install: what apply, rollback and finish send.
struct Installer {
    let session: ICRSession
    let endpoint: Endpoint

    static let downloads = "/var/config/rest/downloads/"

    /// Uploads the new key, certificate and chain, then installs them and repoints every profile entry that used
    /// the old pair in one transaction. Nothing is applied unless the commit succeeds.
    func install(_ replacement: PairReplacement) throws {
        let pkcs12 = replacement.newKey == replacement.newCert
        // (content, object, sys/crypto collection, upload file name)
        let uploads: [(UploadContent, String, String, String)] =
            (pkcs12 ? [(.pkcs12, replacement.newKey, "pkcs12", fileName(replacement.newKey) + ".p12")]
                    : [(.privateKeyPEM, replacement.newKey, "key", fileName(replacement.newKey)),
                       (.certificatePEM, replacement.newCert, "cert", fileName(replacement.newCert))])
            + (replacement.newChain.isEmpty ? [] : [(.chainPEM, replacement.newChain, "cert", fileName(replacement.newChain))])
        for (content, _, _, file) in uploads {
            try session.upload(content, as: file)
        }
        let profiles = try currentEntries(replacement)
        try session.beginTransaction()
        do {
            for (_, object, kind, file) in uploads {
                var body: [(String, JSON)] = [("command", .string("install")), ("name", .string(object)),
                                              ("from-local-file", .string(Self.downloads + file))]
                // The passphrase is a reference the host fills in; the plugin never knows it.
                if kind == "pkcs12" { body.append(("passphrase", .string("{{og:pkcs12_passphrase}}"))) }
                try session.change("POST", "/mgmt/tm/sys/crypto/\(kind)", .object(body), passphrase: kind == "pkcs12")
            }
            for (profile, entries) in profiles {
                let repointed = entries.map { entry -> JSON in
                    let name = entry["name"]?.stringValue ?? ""
                    guard let repoint = replacement.repoints.first(where: { $0.profile == profile && $0.entry == name }) else { return entry }
                    return Self.entry(name: repoint.entry, cert: replacement.newCert, key: replacement.newKey,
                                      chain: replacement.newChain.isEmpty ? repoint.oldChain : replacement.newChain)
                }
                try session.change("PATCH", "/mgmt/tm/ltm/profile/client-ssl/\(PairReplacement.urlName(profile))",
                                   .object([("certKeyChain", .array(repointed))]))
            }
            try session.commit()
        } catch {
            session.abandonTransaction()
            throw error
        }
        session.host.log(.info, "installed \(replacement.newCert) and repointed \(replacement.repoints.map(\.profile).joined(separator: ", "))")
    }

    /// Puts every profile entry that now holds the new pair back on its old pair (one transaction), removes the
    /// new objects when nothing uses them, and syncs the device group. Entries already back are left alone.
    func revert(_ replacement: PairReplacement) throws {
        var patches: [(String, [JSON])] = []
        for profile in Set(replacement.repoints.map(\.profile)).sorted() {
            guard let reply = try session.getIfPresent("/mgmt/tm/ltm/profile/client-ssl/\(PairReplacement.urlName(profile))") else {
                session.host.log(.warning, "profile \(profile) no longer exists; nothing to put back there")
                continue
            }
            let entries = reply["certKeyChain"]?.arrayValue ?? []
            var changed = false
            let restored = entries.map { entry -> JSON in
                let name = entry["name"]?.stringValue ?? ""
                guard let repoint = replacement.repoints.first(where: { $0.profile == profile && $0.entry == name }),
                      entry["cert"]?.stringValue == replacement.newCert, entry["key"]?.stringValue == replacement.newKey else { return entry }
                changed = true
                return Self.entry(name: name, cert: repoint.oldCert, key: repoint.oldKey, chain: repoint.oldChain)
            }
            if changed { patches.append((profile, restored)) }
        }
        if !patches.isEmpty {
            try session.beginTransaction()
            do {
                for (profile, entries) in patches {
                    try session.change("PATCH", "/mgmt/tm/ltm/profile/client-ssl/\(PairReplacement.urlName(profile))",
                                       .object([("certKeyChain", .array(entries))]))
                }
                try session.commit()
            } catch {
                session.abandonTransaction()
                throw error
            }
            session.host.log(.info, "repointed \(patches.map(\.0).joined(separator: ", ")) to the previous pair")
        }
        let replaced = Set(replacement.repoints.flatMap { [$0.oldCert, $0.oldKey, $0.oldChain] })
        for (kind, object) in [("cert", replacement.newCert), ("key", replacement.newKey), ("cert", replacement.newChain)]
        where !object.isEmpty && !replaced.contains(object) {
            try deleteIfUnused(kind, object)
        }
        try syncGroup(reportOnly: true)
    }

    /// After verification: deletes the replaced objects nobody uses any more (unless retained), then syncs the group.
    func releaseReplaced(_ replacement: PairReplacement, retain: Bool) throws {
        if retain {
            session.host.log(.info, "kept the replaced objects (--retain_replaced keep)")
        } else {
            let kept = Set([replacement.newCert, replacement.newKey, replacement.newChain])
            var seen = Set<String>()
            for repoint in replacement.repoints {
                // A chain is often shared (one intermediate bundle for many pairs): only og-host's own are removed.
                let chainIsOurs = repoint.oldChain.split(separator: "/").last?.hasPrefix("og-") == true
                for (kind, object) in [("cert", repoint.oldCert), ("key", repoint.oldKey), ("cert", chainIsOurs ? repoint.oldChain : "")]
                where !object.isEmpty && !kept.contains(object) && seen.insert(kind + object).inserted {
                    try deleteIfUnused(kind, object)
                }
            }
        }
        try syncGroup(reportOnly: false)
    }

    // MARK: Helpers

    /// The current certKeyChain of every profile to repoint, read now so the PATCH keeps entries og-host does not change.
    private func currentEntries(_ replacement: PairReplacement) throws -> [(String, [JSON])] {
        try Set(replacement.repoints.map(\.profile)).sorted().map { profile in
            let reply = try session.get("/mgmt/tm/ltm/profile/client-ssl/\(PairReplacement.urlName(profile))")
            guard let entries = reply["certKeyChain"]?.arrayValue, !entries.isEmpty else {
                throw DeviceInventory.malformed("client-ssl profile \(profile)", "certKeyChain is missing")
            }
            return (profile, entries.map(Self.writable))
        }
    }

    /// An entry with only the fields a PATCH may carry.
    static func writable(_ entry: JSON) -> JSON {
        .object(["name", "cert", "key", "chain", "passphrase"].compactMap { field in entry[field].map { (field, $0) } }
            .filter { $0.0 != "passphrase" })
    }

    static func entry(name: String, cert: String, key: String, chain: String) -> JSON {
        .object([("name", .string(name)), ("cert", .string(cert)), ("key", .string(key)), ("chain", .string(chain.isEmpty ? "none" : chain))])
    }

    /// The upload file name of an object: its full path with slashes made safe, unique per object.
    private func fileName(_ object: String) -> String {
        String(object.dropFirst()).replacingOccurrences(of: "/", with: "_")
    }

    private func deleteIfUnused(_ kind: String, _ object: String) throws {
        let file = kind == "key" ? "ssl-key" : "ssl-cert"
        if session.recorder == nil,
           try session.getIfPresent("/mgmt/tm/sys/file/\(file)/\(PairReplacement.urlName(object))") == nil { return }
        do {
            try session.change("DELETE", "/mgmt/tm/sys/crypto/\(kind)/\(PairReplacement.urlName(object))", nil)
            session.host.log(.info, "deleted \(object)")
        } catch let error as PluginError where error.status == .conflict {
            session.host.log(.warning, "kept \(object): \(error.message)")
        }
    }

    private func syncGroup(reportOnly: Bool) throws {
        let sync = DeviceGroupSync(session: session, endpoint: endpoint)
        guard let group = try sync.group() else { return }
        do {
            try sync.sync(group)
        } catch let error as PluginError where reportOnly {
            session.host.log(.error, error.message)
        }
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
