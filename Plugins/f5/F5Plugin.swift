import OGPluginKit

/// The F5 BIG-IP plugin. Every call logs in for its own iControl REST token
/// and deletes it before returning. Nodes are the client-SSL profiles of the
/// endpoint's partition; an install is one transaction that installs the new
/// pair under versioned names and repoints every profile that used the old
/// pair, so the pair in use is never overwritten and F5's "key and
/// certificate do not match" cannot happen halfway.
public struct F5Plugin: EndpointPlugin, ConnectionTesting, NodeDiscovering, InstallPlanning, InstallApplying, InstallFinishing {
    public static let descriptor = F5Descriptor.plugin
    public static let isThreadSafe = true

    public init() {}

    /// A new endpoint must log in, and its partition must exist.
    public func validate(_ endpoint: Endpoint, host: HostServices) throws {
        try withSession(host) { session in
            let partition = try endpoint.string("partition")
            let partitions = try DeviceInventory.items(session.get("/mgmt/tm/auth/partition"), "partitions")
                .compactMap { $0["name"]?.stringValue }
            guard partitions.contains(partition) else {
                throw PluginError(status: .invalidArgument, field: "partition",
                                  message: "the device has no partition '\(DeviceInventory.printable(partition))'; it has "
                                      + partitions.map(DeviceInventory.printable).joined(separator: ", "))
            }
        }
    }

    public func testConnection(_ endpoint: Endpoint, host: HostServices) throws {
        try withSession(host) { session in
            let reply = try session.get("/mgmt/tm/sys/version")
            let stats = reply["entries"]?.objectMembers?.first?.1["nestedStats"]?["entries"]
            let product = stats?["Product"]?["description"]?.stringValue ?? "BIG-IP"
            let version = stats?["Version"]?["description"]?.stringValue ?? "(version not reported)"
            host.log(.info, "\(DeviceInventory.printable(product)) \(DeviceInventory.printable(version)) answers iControl REST")
        }
    }

    /// One node per client-SSL profile of the partition: its pair, the certificate's SHA-256 (the host compares
    /// it with what the first virtual server serves), and every virtual server that uses it.
    public func discoverNodes(_ endpoint: Endpoint, host: HostServices) throws -> [Node] {
        let partition = try endpoint.string("partition")
        return try withSession(host) { session in
            let inventory = try DeviceInventory.read(session)
            return inventory.profiles.filter { $0.fullPath.hasPrefix("/\(partition)/") }.map { profile in
                let entry = profile.entries.first
                let certificate = entry.flatMap { inventory.certificates[$0.cert] }
                let virtuals = inventory.virtuals(using: profile.fullPath)
                let names = certificate?.names ?? []
                let pairs = profile.entries.map { "\($0.cert) + \($0.key)\($0.chain.isEmpty ? "" : " (chain \($0.chain))")" }
                let servers = virtuals.map { "\($0.fullPath) \($0.address):\($0.port)" }
                var node = Node(id: profile.fullPath,
                                name: profile.serverName.isEmpty ? (names.first ?? profile.fullPath) : profile.serverName,
                                aliases: Array(names.dropFirst()), protocolName: "https",
                                address: virtuals.first?.address ?? "", port: virtuals.first?.port,
                                certificatePath: entry?.cert ?? "",
                                detail: "pair \(pairs.isEmpty ? "(none)" : pairs.joined(separator: "; ")); virtual servers: "
                                    + (servers.isEmpty ? "(none)" : servers.joined(separator: ", "))
                                    + (certificate.map { "; expires \($0.expiration)" } ?? ""))
                node.configuredSHA256 = certificate?.sha256 ?? ""
                return node
            }
        }
    }

    /// Reads the device and says what the install will do; in a dry run, lists every REST call it would make.
    public func planInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> InstallPlan {
        let partition = try endpoint.string("partition")
        return try withSession(host) { session in
            let inventory = try DeviceInventory.read(session)
            let replacement = try PairReplacement.plan(request, inventory: inventory, partition: partition,
                                                       pkcs12: endpoint.options["key_transfer"] == "pkcs12")
            if request.isDryRun {
                session.recorder = { host.log(.info, "would send: " + $0) }
                try Installer(session: session, endpoint: endpoint).install(replacement)
                try Installer(session: session, endpoint: endpoint).releaseReplaced(replacement, retain: retainReplaced(endpoint))
            }
            let old = replacement.target.entries.first.map { "\($0.cert) + \($0.key)" } ?? "(none)"
            return InstallPlan(
                summary: "one iControl REST transaction: install \(replacement.newKey) and \(replacement.newCert)"
                    + (replacement.newChain.isEmpty ? "" : " and \(replacement.newChain)")
                    + ", repoint \(replacement.repoints.count) client-ssl profile(s) from \(old) ("
                    + replacement.repoints.map(\.profile).joined(separator: ", ") + ")",
                nodeID: replacement.target.fullPath, changes: [], verify: replacement.verify)
        }
    }

    /// Journals the undo token first, then uploads, installs and repoints in one transaction, and syncs the group.
    public func applyInstall(_ request: InstallRequest, on endpoint: Endpoint, host: HostServices) throws -> [UInt8] {
        let partition = try endpoint.string("partition")
        return try withSession(host) { session in
            let inventory = try DeviceInventory.read(session)
            let replacement = try PairReplacement.plan(request, inventory: inventory, partition: partition,
                                                       pkcs12: endpoint.options["key_transfer"] == "pkcs12")
            let token = replacement.undoToken(retainReplaced: retainReplaced(endpoint))
            try host.journalUndoToken(token)
            try Installer(session: session, endpoint: endpoint).install(replacement)
            return token
        }
    }

    /// Repoints every profile the token names back to its old pair (one transaction), deletes the new objects
    /// when nothing uses them, and syncs the group. Safe to repeat and to run after a crash at any point of apply.
    public func rollbackInstall(_ undoToken: [UInt8], on endpoint: Endpoint, host: HostServices) throws {
        let (replacement, _) = try PairReplacement.fromUndoToken(undoToken)
        try withSession(host) { session in
            try Installer(session: session, endpoint: endpoint).revert(replacement)
        }
    }

    /// The new pair is verified: delete the replaced objects unless --retain_replaced keep, then sync the group.
    public func finishInstall(_ undoToken: [UInt8], on endpoint: Endpoint, host: HostServices) throws {
        let (replacement, retain) = try PairReplacement.fromUndoToken(undoToken)
        try withSession(host) { session in
            try Installer(session: session, endpoint: endpoint).releaseReplaced(replacement, retain: retain)
        }
    }

    private func retainReplaced(_ endpoint: Endpoint) -> Bool { endpoint.options["retain_replaced"] == "keep" }

    /// Runs `body` with a logged-in session and always deletes the token afterwards.
    private func withSession<T>(_ host: HostServices, _ body: (ICRSession) throws -> T) throws -> T {
        let session = try ICRSession.open(host)
        defer { session.close() }
        return try body(session)
    }
}

// The library's one exported symbol; OGPluginKit builds the C table for F5Plugin.
@_cdecl("og_plugin_entry")
public func ogPluginEntry(_ offer: HostOfferPointer?, _ table: PluginTableOut?) -> Int32 {
    PluginExport.entry(F5Plugin.self, offer: offer, table: table)
}
