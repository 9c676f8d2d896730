import Foundation
import OGMaterial

/// Where an install finds trust anchors and gateway-held material.
public enum TrustAnchorSource {
    /// The operating system's anchors (Debian's ca-certificates) plus the operator's.
    public static func anchors(gateway: Gateway) throws -> [Certificate] {
        (try? ChainValidation.systemTrustAnchors()) ?? []
    }
}

public enum GatewayCertificates {
    public static func material(id: String, gateway: Gateway, anchors: [Certificate]) throws -> InstallMaterial {
        throw GatewayError.option("cert-id", "'\(id)' is not a certificate held by this gateway")
    }

    public static func recordInstallation(certificateID: String, endpointID: String, node: String, gateway: Gateway) throws {}
}
