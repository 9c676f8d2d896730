import OGPluginABI
@testable import OGPluginKit

/// Reads plugin results and descriptors back into Swift values, the way the
/// host loader reads them, so tests can compare them with what was meant.
enum ResultReader {
    static func nodes(_ list: UnsafePointer<og_node_list>) throws -> [Node] {
        try HostMemory.elements(list.pointee.nodes, count: list.pointee.count, field: "nodes").map { node in
            Node(id: try text(node.id), name: try text(node.name),
                 aliases: try HostMemory.elements(node.aliases, count: node.alias_count, field: "aliases").map(text),
                 protocolName: try text(node.protocol), address: try text(node.address),
                 port: node.port == 0 ? nil : Int(node.port), certificatePath: try text(node.certificate_path),
                 certificate: try HostMemory.bytes(node.certificate, field: "certificate"), detail: try text(node.detail))
        }
    }

    static func plan(_ plan: UnsafePointer<og_install_plan>) throws -> InstallPlan {
        let changes = try HostMemory.elements(plan.pointee.changes, count: plan.pointee.change_count, field: "changes")
        let verify = try HostMemory.elements(plan.pointee.verify, count: plan.pointee.verify_count, field: "verify")
        return InstallPlan(
            summary: try text(plan.pointee.summary),
            nodeID: try text(plan.pointee.node_id),
            changes: try changes.map(fileChange),
            verify: try verify.map { target in
                let serverName = try text(target.server_name)
                return VerifyTarget(host: try text(target.host), port: Int(target.port),
                                    serverName: serverName.isEmpty ? nil : serverName)
            })
    }

    static func fileChange(_ change: og_file_change) throws -> FileChange {
        let content: FileChange.Content
        switch Int32(change.content_kind) {
        case OG_CONTENT_LITERAL: content = .literal(try HostMemory.bytes(change.literal, field: "literal"))
        case OG_CONTENT_CERTIFICATE_PEM: content = .certificatePEM
        case OG_CONTENT_CHAIN_PEM: content = .chainPEM
        case OG_CONTENT_FULLCHAIN_PEM: content = .fullChainPEM
        case OG_CONTENT_PRIVATE_KEY_PEM: content = .privateKeyPEM
        case OG_CONTENT_KEY_AND_FULLCHAIN_PEM: content = .keyAndFullChainPEM
        case OG_CONTENT_KEYSTORE:
            content = .keystore(format: KeystoreFormat(rawValue: change.keystore_format) ?? .pkcs12,
                                alias: try text(change.keystore_alias), passwordOption: try text(change.password_option),
                                legacy: change.flags & OG_FILE_LEGACY_PBE != 0)
        default:
            throw PluginError(status: .parse, field: "content_kind", message: "unknown kind \(change.content_kind)")
        }
        return FileChange(path: try text(change.path), content: content, mode: change.mode == 0 ? nil : change.mode,
                          mustExist: change.flags & OG_FILE_MUST_EXIST != 0, isSecret: change.flags & OG_FILE_SECRET != 0)
    }

    static func descriptor(_ descriptor: UnsafePointer<og_plugin_descriptor>) throws -> PluginDescriptor {
        let types = try HostMemory.elements(descriptor.pointee.types, count: descriptor.pointee.type_count, field: "types")
        return PluginDescriptor(
            name: string(descriptor.pointee.name), version: string(descriptor.pointee.version),
            license: string(descriptor.pointee.license), summary: string(descriptor.pointee.summary),
            types: try types.map { type in
                EndpointTypeDescriptor(
                    name: string(type.name), summary: string(type.summary),
                    connectionTypes: ConnectionTypes(rawValue: type.connection_types),
                    capabilities: Capabilities(rawValue: type.capabilities),
                    options: try HostMemory.elements(type.options, count: type.option_count, field: "options").map(option))
            })
    }

    private static func option(_ option: og_option_schema) throws -> OptionSchema {
        let kind: OptionSchema.Kind
        switch Int32(option.kind) {
        case OG_OPTION_STRING: kind = .string
        case OG_OPTION_INTEGER: kind = .integer
        case OG_OPTION_BOOLEAN: kind = .boolean
        case OG_OPTION_PATH: kind = .path
        case OG_OPTION_ENUM:
            kind = .enumeration(try HostMemory.elements(option.allowed_values, count: option.allowed_count,
                                                        field: "allowed_values").map { string($0) })
        default: throw PluginError(status: .parse, field: "kind", message: "unknown kind \(option.kind)")
        }
        return OptionSchema(name: string(option.name), kind: kind, isRequired: option.flags & OG_OPTION_REQUIRED != 0,
                            isSecret: option.flags & OG_OPTION_SECRET != 0, minimum: option.min, maximum: option.max,
                            defaultValue: option.default_value.map { String(cString: $0) }, help: string(option.help))
    }

    private static func text(_ value: og_str) throws -> String {
        try HostMemory.text(value, field: "result")
    }

    private static func string(_ value: UnsafePointer<CChar>?) -> String {
        value.map { String(cString: $0) } ?? ""
    }
}
