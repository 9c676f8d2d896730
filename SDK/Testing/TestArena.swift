import OGPluginABI
import OGPluginKit

/// C memory for one slot's inputs or one host result, freed together.
final class TestArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit { blocks.forEach { $0.deallocate() } }

    func zeroed<Value>(_ type: Value.Type, count: Int = 1) -> UnsafeMutablePointer<Value> {
        let size = max(1, MemoryLayout<Value>.stride * count)
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<Value>.alignment)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        blocks.append(block)
        return block.bindMemory(to: Value.self, capacity: count)
    }

    func array<Value>(_ values: [Value]) -> UnsafePointer<Value>? {
        guard !values.isEmpty else { return nil }
        let storage = zeroed(Value.self, count: values.count)
        for (index, value) in values.enumerated() { (storage + index).initialize(to: value) }
        return UnsafePointer(storage)
    }

    func text(_ value: String) -> og_str {
        let bytes = Array(value.utf8)
        guard let stored = array(bytes) else { return og_str(ptr: nil, len: 0) }
        return og_str(ptr: UnsafeRawPointer(stored).assumingMemoryBound(to: CChar.self), len: bytes.count)
    }

    func bytes(_ value: [UInt8]) -> og_bytes { og_bytes(ptr: array(value), len: value.count) }

    func endpoint(_ endpoint: Endpoint) -> UnsafePointer<og_endpoint> {
        let options = endpoint.options.sorted { $0.key < $1.key }.map { og_option(name: text($0.key), value: text($0.value)) }
        let value = zeroed(og_endpoint.self)
        value.pointee = og_endpoint(struct_size: UInt32(MemoryLayout<og_endpoint>.size), type: text(endpoint.type),
                                    name: text(endpoint.name), connection_type: endpoint.connectionType.rawValue,
                                    platform: endpoint.platform.rawValue, host: text(endpoint.host), port: UInt32(endpoint.port ?? 0),
                                    options: array(options), option_count: options.count)
        return UnsafePointer(value)
    }

    func certificate(_ certificate: CertificateInfo) -> UnsafeMutablePointer<og_certificate_info> {
        let value = zeroed(og_certificate_info.self)
        value.pointee = og_certificate_info(
            struct_size: UInt32(MemoryLayout<og_certificate_info>.size), subject: text(certificate.subject),
            common_name: text(certificate.commonName), dns_names: array(certificate.dnsNames.map(text)),
            dns_name_count: certificate.dnsNames.count, ip_addresses: array(certificate.ipAddresses.map(text)),
            ip_address_count: certificate.ipAddresses.count, serial_hex: text(certificate.serialHex),
            sha256_fingerprint: text(certificate.sha256Fingerprint), not_before: certificate.notBefore,
            not_after: certificate.notAfter, key_algorithm: text(certificate.keyAlgorithm), issuer: text(certificate.issuer))
        return value
    }

    func request(_ request: InstallRequest) -> UnsafePointer<og_install_request> {
        let value = zeroed(og_install_request.self)
        value.pointee = og_install_request(struct_size: UInt32(MemoryLayout<og_install_request>.size),
                                           node_id: text(request.nodeID ?? ""), alias: text(request.alias ?? ""),
                                           certificate: UnsafePointer(certificate(request.certificate)),
                                           chain_length: request.chainLength, flags: request.isDryRun ? UInt32(OG_INSTALL_DRY_RUN) : 0)
        return UnsafePointer(value)
    }

    /// A plugin's og_str as Swift text; nil when NULL with a length or not UTF-8.
    static func string(_ value: og_str) -> String? {
        guard value.len > 0 else { return "" }
        guard let pointer = value.ptr else { return nil }
        return String(validating: UnsafeRawBufferPointer(start: pointer, count: value.len), as: UTF8.self)
    }

    static func bytes(_ value: og_bytes) -> [UInt8]? {
        guard value.len > 0 else { return [] }
        guard let pointer = value.ptr else { return nil }
        return Array(UnsafeBufferPointer(start: pointer, count: value.len))
    }
}

/// Plugin results read back into Swift values, checking what og-host checks
/// first: sizes, NULL with a length, UTF-8.
enum ResultDecoding {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    private static func text(_ value: og_str, _ field: String) throws -> String {
        guard let text = TestArena.string(value) else { throw Malformed(description: "\(field) is NULL with a length, or not UTF-8") }
        return text
    }

    private static func elements<Element>(_ first: UnsafePointer<Element>?, _ count: Int, _ field: String) throws -> [Element] {
        guard count > 0 else { return [] }
        guard let first, count <= 1 << 20 else { throw Malformed(description: "\(field): NULL with \(count) elements, or too many") }
        // Size-prefixed elements are strided by the first element's struct_size (OG_ARRAY_ELEMENT).
        let stride = Int(UnsafeRawPointer(first).load(as: UInt32.self))
        guard stride >= MemoryLayout<UInt32>.size else { throw Malformed(description: "\(field): struct_size \(stride) is too small") }
        guard stride >= MemoryLayout<Element>.size else {
            throw Malformed(description: "\(field): struct_size \(stride) is smaller than the 1.0 size \(MemoryLayout<Element>.size)")
        }
        return (0..<count).map { UnsafeRawPointer(first).advanced(by: $0 * stride).loadUnaligned(as: Element.self) }
    }

    static func nodes(_ list: UnsafePointer<og_node_list>) throws -> [Node] {
        try elements(list.pointee.nodes, list.pointee.count, "nodes").map { node in
            let aliases = node.alias_count == 0 ? [] : try (0..<node.alias_count).map { index -> String in
                guard let base = node.aliases else { throw Malformed(description: "aliases: NULL with a count") }
                return try text(base[index], "alias")
            }
            return Node(id: try text(node.id, "id"), name: try text(node.name, "name"), aliases: aliases,
                        protocolName: try text(node.protocol, "protocol"), address: try text(node.address, "address"),
                        port: node.port == 0 ? nil : Int(node.port), certificatePath: try text(node.certificate_path, "certificate_path"),
                        certificate: TestArena.bytes(node.certificate) ?? [], detail: try text(node.detail, "detail"))
        }
    }

    static func plan(_ plan: UnsafePointer<og_install_plan>) throws -> InstallPlan {
        let changes = try elements(plan.pointee.changes, plan.pointee.change_count, "changes").map { change -> FileChange in
            let content: FileChange.Content
            switch Int32(change.content_kind) {
            case OG_CONTENT_LITERAL: content = .literal(TestArena.bytes(change.literal) ?? [])
            case OG_CONTENT_CERTIFICATE_PEM: content = .certificatePEM
            case OG_CONTENT_CHAIN_PEM: content = .chainPEM
            case OG_CONTENT_FULLCHAIN_PEM: content = .fullChainPEM
            case OG_CONTENT_PRIVATE_KEY_PEM: content = .privateKeyPEM
            case OG_CONTENT_KEY_AND_FULLCHAIN_PEM: content = .keyAndFullChainPEM
            case OG_CONTENT_KEYSTORE:
                content = .keystore(format: KeystoreFormat(rawValue: change.keystore_format) ?? .pkcs12,
                                    alias: try text(change.keystore_alias, "keystore_alias"),
                                    passwordOption: try text(change.password_option, "password_option"),
                                    legacy: change.flags & UInt32(OG_FILE_LEGACY_PBE) != 0)
            default: throw Malformed(description: "change content_kind \(change.content_kind) is unknown")
            }
            return FileChange(path: try text(change.path, "path"), content: content, mode: change.mode == 0 ? nil : change.mode,
                              mustExist: change.flags & UInt32(OG_FILE_MUST_EXIST) != 0,
                              isSecret: change.flags & UInt32(OG_FILE_SECRET) != 0)
        }
        let verify = try elements(plan.pointee.verify, plan.pointee.verify_count, "verify").map { target in
            let serverName = try text(target.server_name, "server_name")
            return VerifyTarget(host: try text(target.host, "host"), port: Int(target.port), serverName: serverName.isEmpty ? nil : serverName)
        }
        return InstallPlan(summary: try text(plan.pointee.summary, "summary"), nodeID: try text(plan.pointee.node_id, "node_id"),
                           changes: changes, verify: verify)
    }
}
