import Foundation
import OGMaterial

/// Trust anchors an install validates chains against: the operating system's
/// (Debian's ca-certificates, for publicly issued certificates) and the ones
/// the operator added with `og-host ca add` (private CAs).
public enum TrustAnchorSource {
    public static func anchors(gateway: Gateway) throws -> [Certificate] {
        try operatorAnchors(gateway: gateway) + systemAnchors()
    }

    /// The anchors added with `og-host ca add`.
    public static func operatorAnchors(gateway: Gateway) throws -> [Certificate] {
        try TrustAnchors(gateway: gateway).list().map { record in
            do { return try Certificate(pem: record.pem, what: "trust anchor '\(record.name)'") } catch {
                throw GatewayError("trust anchor '\(record.name)' in the inventory cannot be read: \(error)")
            }
        }
    }

    /// Debian's ca-certificates bundle (none when it cannot be read).
    public static func systemAnchors() -> [Certificate] {
        (try? ChainValidation.systemTrustAnchors()) ?? []
    }

    /// `validate` against the operator's anchors first and, only when that
    /// fails, against the operator's and the system's: the answer is the same
    /// as validating against both at once, but a chain to a private CA (the
    /// common case for deployed certificates) never parses the ~140-certificate
    /// system bundle, two thirds of an endpoint job's CPU when measured
    /// (callgrind: 310 M of 458 M instructions for one PEM install).
    public static func validating<Result>(gateway: Gateway, _ validate: ([Certificate]) throws -> Result) throws -> Result {
        let operatorOnes = try operatorAnchors(gateway: gateway)
        if !operatorOnes.isEmpty, let result = try? validate(operatorOnes) { return result }
        return try validate(operatorOnes + systemAnchors())
    }
}

/// Material held by the gateway's certificate vault, for `tls install --cert-id`.
public enum GatewayCertificates {
    public static func material(id: String, gateway: Gateway) throws -> InstallMaterial {
        let vault = CertificateVault(gateway: gateway)
        let record = try vault.find(id)
        let (key, leaf, chain) = try vault.material(id: record.id)
        return try TrustAnchorSource.validating(gateway: gateway) { anchors in
            try InstallMaterial.validated(leaf: leaf, key: key, chain: chain, anchors: anchors, certificateID: record.id)
        }
    }

    public static func recordInstallation(certificateID: String, endpointID: String, node: String, gateway: Gateway) throws {
        try CertificateVault(gateway: gateway).recordInstallation(certificateID: certificateID, endpointID: endpointID, node: node)
    }
}
