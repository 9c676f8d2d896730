import Foundation
import OGMaterial

/// The one source of trust anchors. Everything the gateway trusts is the
/// operating system's anchors (Debian's ca-certificates, for publicly issued
/// certificates; `SystemTrustStore`, looked up by issuer) plus the ones the
/// operator added with `og-host ca add` (private CAs):
/// - chains of installed (`tls install`) and imported (`cert import`)
///   certificates must reach `chainAnchors`;
/// - every HTTPS client the host builds (`OutboundHTTP`: ACME, REST/F5,
///   Vault, CyberArk) and WinRM over HTTPS trust the system store plus
///   `operatorAnchors`.
public enum TrustAnchorSource {
    /// The operator's anchors (`og-host ca`), read from the inventory.
    public static func operatorAnchors(gateway: Gateway) throws -> [Certificate] {
        try TrustAnchors(gateway: gateway).certificates()
    }

    /// What certificate chains must reach: the operator's anchors, then the system's.
    public static func chainAnchors(gateway: Gateway) throws -> TrustAnchorSet {
        TrustAnchorSet(try operatorAnchors(gateway: gateway), system: .standard)
    }
}

/// Material held by the gateway's certificate vault, for `tls install --cert-id`.
public enum GatewayCertificates {
    public static func material(id: String, gateway: Gateway) throws -> InstallMaterial {
        let vault = CertificateVault(gateway: gateway)
        let record = try vault.find(id)
        let (key, leaf, chain) = try vault.material(id: record.id)
        return try InstallMaterial.validated(leaf: leaf, key: key, chain: chain,
                                             anchors: try TrustAnchorSource.chainAnchors(gateway: gateway), certificateID: record.id)
    }

    public static func recordInstallation(certificateID: String, endpointID: String, node: String, gateway: Gateway) throws {
        try CertificateVault(gateway: gateway).recordInstallation(certificateID: certificateID, endpointID: endpointID, node: node)
    }
}
