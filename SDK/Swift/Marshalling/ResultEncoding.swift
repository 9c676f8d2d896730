import OGPluginABI

/// Builds the C results the host releases through the `release` slot: each in
/// its own arena, adopted by `ResultRegistry` under the result's address.
enum ResultEncoding {
    static func nodeList(_ nodes: [Node]) throws -> UnsafeMutablePointer<og_node_list> {
        var seen = Set<String>()
        for node in nodes {
            guard !node.id.isEmpty else {
                throw PluginError(status: .internal, field: nil,
                                  message: "discovery returned a node named '\(node.name)' with an empty id; every node needs a stable id")
            }
            guard seen.insert(node.id).inserted else {
                throw PluginError(status: .internal, field: nil,
                                  message: "discovery returned node id '\(node.id)' twice; ids must be unique within the endpoint")
            }
        }
        let arena = Arena()
        let list = arena.zeroed(og_node_list.self)
        list.pointee.struct_size = UInt32(MemoryLayout<og_node_list>.size)
        list.pointee.nodes = arena.array(try nodes.map { node in
            var encoded = og_node()
            encoded.struct_size = UInt32(MemoryLayout<og_node>.size)
            encoded.id = arena.text(node.id)
            encoded.name = arena.text(node.name)
            encoded.aliases = arena.array(node.aliases.map(arena.text))
            encoded.alias_count = node.aliases.count
            encoded.protocol = arena.text(node.protocolName)
            encoded.address = arena.text(node.address)
            encoded.port = try portNumber(node.port, of: "node '\(node.id)'") ?? 0
            encoded.certificate_path = arena.text(node.certificatePath)
            encoded.certificate = arena.bytes(node.certificate)
            encoded.detail = arena.text(node.detail)
            encoded.configured_sha256 = arena.text(node.configuredSHA256)
            return encoded
        })
        list.pointee.count = nodes.count
        ResultRegistry.shared.adopt(arena, for: list)
        return list
    }

    static func installPlan(_ plan: InstallPlan) throws -> UnsafeMutablePointer<og_install_plan> {
        for (index, change) in plan.changes.enumerated() where change.path.isEmpty {
            throw PluginError(status: .internal, field: nil,
                              message: "install plan change \(index) has an empty path; every change names the file it writes")
        }
        let arena = Arena()
        let encoded = arena.zeroed(og_install_plan.self)
        encoded.pointee.struct_size = UInt32(MemoryLayout<og_install_plan>.size)
        encoded.pointee.summary = arena.text(plan.summary)
        encoded.pointee.changes = arena.array(plan.changes.map { fileChange($0, in: arena) })
        encoded.pointee.change_count = plan.changes.count
        encoded.pointee.verify = arena.array(try plan.verify.map { target in
            var encodedTarget = og_verify_target()
            encodedTarget.struct_size = UInt32(MemoryLayout<og_verify_target>.size)
            encodedTarget.host = arena.text(target.host)
            encodedTarget.port = try portNumber(target.port, of: "verify target \(target.host)") ?? 0
            encodedTarget.server_name = arena.text(target.serverName ?? "")
            return encodedTarget
        })
        encoded.pointee.verify_count = plan.verify.count
        encoded.pointee.node_id = arena.text(plan.nodeID)
        ResultRegistry.shared.adopt(arena, for: encoded)
        return encoded
    }

    static func undoToken(_ token: [UInt8]) -> UnsafeMutablePointer<og_undo_token> {
        let arena = Arena()
        let encoded = arena.zeroed(og_undo_token.self)
        encoded.pointee.struct_size = UInt32(MemoryLayout<og_undo_token>.size)
        encoded.pointee.data = arena.bytes(token)
        ResultRegistry.shared.adopt(arena, for: encoded)
        return encoded
    }

    private static func fileChange(_ change: FileChange, in arena: Arena) -> og_file_change {
        var encoded = og_file_change()
        encoded.struct_size = UInt32(MemoryLayout<og_file_change>.size)
        encoded.path = arena.text(change.path)
        encoded.mode = change.mode ?? 0
        var flags: UInt32 = 0
        if change.mustExist { flags |= OG_FILE_MUST_EXIST }
        if change.isSecret { flags |= OG_FILE_SECRET }
        switch change.content {
        case .literal(let bytes):
            encoded.content_kind = UInt32(OG_CONTENT_LITERAL)
            encoded.literal = arena.bytes(bytes)
        case .certificatePEM:
            encoded.content_kind = UInt32(OG_CONTENT_CERTIFICATE_PEM)
        case .chainPEM:
            encoded.content_kind = UInt32(OG_CONTENT_CHAIN_PEM)
        case .fullChainPEM:
            encoded.content_kind = UInt32(OG_CONTENT_FULLCHAIN_PEM)
        case .privateKeyPEM:
            encoded.content_kind = UInt32(OG_CONTENT_PRIVATE_KEY_PEM)
        case .keyAndFullChainPEM:
            encoded.content_kind = UInt32(OG_CONTENT_KEY_AND_FULLCHAIN_PEM)
        case .keystore(let format, let alias, let passwordOption, let legacy):
            encoded.content_kind = UInt32(OG_CONTENT_KEYSTORE)
            encoded.keystore_format = format.rawValue
            encoded.keystore_alias = arena.text(alias)
            encoded.password_option = arena.text(passwordOption)
            if legacy { flags |= OG_FILE_LEGACY_PBE }
        }
        encoded.flags = flags
        return encoded
    }

    private static func portNumber(_ port: Int?, of owner: String) throws -> UInt32? {
        guard let port else { return nil }
        guard (1...65535).contains(port) else {
            throw PluginError(status: .internal, field: nil,
                              message: "\(owner) has port \(port), which is not between 1 and 65535; use nil for none")
        }
        return UInt32(port)
    }
}
