import OGPluginABI
@testable import OGPluginKit

/// C inputs for a slot, laid out the way og-host passes them; the arena
/// keeps them alive as long as this value.
final class SlotInputs {
    let arena = Arena()

    func endpoint(type: String, options: [(String, String)] = [], connectionType: UInt32 = OG_CONN_LOCAL,
                  name: String = "test-endpoint") -> UnsafeMutablePointer<og_endpoint> {
        let endpoint = arena.zeroed(og_endpoint.self)
        endpoint.pointee.struct_size = UInt32(MemoryLayout<og_endpoint>.size)
        endpoint.pointee.type = arena.text(type)
        endpoint.pointee.name = arena.text(name)
        endpoint.pointee.connection_type = connectionType
        endpoint.pointee.platform = UInt32(OG_PLATFORM_POSIX)
        endpoint.pointee.options = arena.array(options.map { og_option(name: arena.text($0.0), value: arena.text($0.1)) })
        endpoint.pointee.option_count = options.count
        return endpoint
    }

    func request(nodeID: String = "", alias: String = "", commonName: String = "hello.test", chainLength: Int = 1,
                 isDryRun: Bool = false) -> UnsafeMutablePointer<og_install_request> {
        let request = arena.zeroed(og_install_request.self)
        request.pointee.struct_size = UInt32(MemoryLayout<og_install_request>.size)
        request.pointee.node_id = arena.text(nodeID)
        request.pointee.alias = arena.text(alias)
        request.pointee.certificate = UnsafePointer(FakeHost.encode(
            CertificateInfo(subject: "CN=\(commonName)", commonName: commonName, dnsNames: [commonName],
                            serialHex: "01", sha256Fingerprint: "ab", notBefore: 1, notAfter: 2,
                            keyAlgorithm: "EC-P256", issuer: "CN=Test CA"),
            in: arena))
        request.pointee.chain_length = chainLength
        request.pointee.flags = isDryRun ? OG_INSTALL_DRY_RUN : 0
        return request
    }

    /// Raw bytes as an og_str, for inputs that are deliberately not UTF-8.
    func rawText(_ bytes: [UInt8]) -> og_str {
        og_str(ptr: arena.array(bytes).map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, len: bytes.count)
    }
}
