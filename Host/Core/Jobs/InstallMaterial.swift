import Foundation
import OGBasics
import OGCredentials
import OGMaterial
import OGPlugins

/// What an install puts on an endpoint: a private key, its certificate and the
/// intermediates, checked before anything is touched.
public struct InstallMaterial {
    public let key: PrivateKey
    public let leaf: Certificate
    /// Intermediates from the leaf's issuer upwards, without the trust anchor.
    public let intermediates: [Certificate]
    /// The gateway certificate ID when the material came from `og-host cert`.
    public let certificateID: String?

    public init(key: PrivateKey, leaf: Certificate, intermediates: [Certificate], certificateID: String?) {
        self.key = key
        self.leaf = leaf
        self.intermediates = intermediates
        self.certificateID = certificateID
    }

    /// Loads the `cert`, `key` and `chain` files from the gateway with the one
    /// loader `cert import` uses too (`OptionFiles`): PEM or DER, encrypted keys
    /// (`keyPassword` is `-` or `env:NAME`), key bytes wiped.
    public static func fromFiles(certificate: String, key: String, chain: String?, keyPassword: String?) throws -> (Certificate, PrivateKey, [Certificate]) {
        let loaded = try OptionFiles.keyAndCertificates(
            keyOption: "key", keyPath: key, passphraseOption: "key-password", passphrase: keyPassword,
            certificateOption: "cert", certificatePath: certificate, chainOption: "chain", chainPath: chain)
        return (loaded.leaf, loaded.key, loaded.chain)
    }

    /// Checks key and certificate belong together, the chain is complete up to a
    /// trust anchor (the operator's, the system's, or a root supplied in the chain)
    /// and everything is within its validity dates now.
    public static func validated(leaf: Certificate, key: PrivateKey, chain: [Certificate], anchors: TrustAnchorSet,
                                 certificateID: String?) throws -> InstallMaterial {
        // isSelfSigned verifies the certificate's signature with its own key: asked once per certificate,
        // and not of one that is an operator's anchor already (the root an operator trusts, also given
        // with the chain): an anchor is trusted as it is, its own signature is never what trusts it,
        // and the path found is the same either way (anchors are looked for before chain certificates).
        let selfSigned = chain.map { anchors.explicit.contains($0) || $0.isSelfSigned }
        let suppliedRoots = zip(chain, selfSigned).filter { $0.1 }.map(\.0)
        let intermediateCandidates = zip(chain, selfSigned).filter { !$0.1 }.map(\.0)
        do {
            let validated = try ChainValidation.validate(leaf: leaf, chain: intermediateCandidates,
                                                         anchors: anchors.adding(suppliedRoots), privateKey: key)
            let path = validated.certificates
            // The anchor stays out of what is served unless it is the leaf itself.
            let intermediates = path.count > 1 ? Array(path[1..<(path.count - 1)]) : []
            return InstallMaterial(key: key, leaf: leaf, intermediates: intermediates, certificateID: certificateID)
        } catch let error as MaterialError {
            throw GatewayError("the certificate cannot be installed: \(error)", category: .badInput)
        }
    }

    var summary: CertificateSummary { CertificateSummary(leaf) }
}
