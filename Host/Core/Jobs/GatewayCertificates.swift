import Foundation
import OGMaterial

/// Trust anchors an install validates chains against: the operating system's
/// (Debian's ca-certificates, for publicly issued certificates) and the ones
/// the operator added with `og-host ca add` (private CAs).
public enum TrustAnchorSource {
    public static func anchors(gateway: Gateway) throws -> [Certificate] {
        let system = (try? ChainValidation.systemTrustAnchors()) ?? []
        let operator_ = try TrustAnchors(gateway: gateway).list().map { record in
            do { return try Certificate(pem: record.pem, what: "trust anchor '\(record.name)'") } catch {
                throw GatewayError("trust anchor '\(record.name)' in the inventory cannot be read: \(error)")
            }
        }
        return operator_ + system
    }
}

/// Material held by the gateway's certificate vault, for `tls install --cert-id`.
public enum GatewayCertificates {
    public static func material(id: String, gateway: Gateway, anchors: [Certificate]) throws -> InstallMaterial {
        let vault = CertificateVault(gateway: gateway)
        let record = try vault.find(id)
        let (key, leaf, chain) = try vault.material(id: record.id)
        return try InstallMaterial.validated(leaf: leaf, key: key, chain: chain, anchors: anchors, certificateID: record.id)
    }

    public static func recordInstallation(certificateID: String, endpointID: String, node: String, gateway: Gateway) throws {
        try CertificateVault(gateway: gateway).recordInstallation(certificateID: certificateID, endpointID: endpointID, node: node)
    }
}
