import COpenSSL
import Foundation
import OGBasics

/// A certificate path that passed validation.
public struct ValidatedChain: Sendable {
    /// The leaf, then each issuer in turn, ending with the trust anchor.
    public let certificates: [Certificate]
    /// Supplied chain certificates that are not on the path (duplicates, other branches).
    public let unused: [Certificate]

    /// The certificate the path starts from.
    public var leaf: Certificate { certificates[0] }
    /// The certificate the path ends at, taken from the trust anchors.
    public var anchor: Certificate { certificates[certificates.count - 1] }
    /// The certificates between leaf and anchor, leaf-adjacent first: what a server should send after its leaf.
    public var intermediates: [Certificate] { certificates.count > 2 ? Array(certificates[1..<(certificates.count - 1)]) : [] }
}

/// Checks that a leaf, its supplied chain and a set of trust anchors form a
/// valid path, and says precisely what is wrong when they do not.
public enum ChainValidation {
    /// Orders `chain` (any order) from `leaf` up to one of `trustAnchors`, checks
    /// `privateKey` against the leaf, each certificate's validity at `time`, and
    /// the signatures with OpenSSL's verifier at `time`.
    ///
    /// A self-signed root in `chain` is not trusted by being there: to accept a
    /// private CA, pass its root (or an intermediate) in `trustAnchors`.
    public static func validate(leaf: Certificate, chain: [Certificate], trustAnchors: [Certificate],
                                privateKey: PrivateKey? = nil, at time: Date = Date()) throws -> ValidatedChain {
        try validate(leaf: leaf, chain: chain, anchors: TrustAnchorSet(trustAnchors, system: nil), privateKey: privateKey, at: time)
    }

    /// As above, against a trust set that may include the system's anchors (looked up by issuer).
    public static func validate(leaf: Certificate, chain: [Certificate], anchors: TrustAnchorSet,
                                privateKey: PrivateKey? = nil, at time: Date = Date()) throws -> ValidatedChain {
        if let privateKey, !leaf.matches(privateKey: privateKey) {
            throw MaterialError.keyMismatch(certificateSubject: leaf.subject)
        }
        let validated = try order(leaf: leaf, chain: chain, anchors: anchors)
        for certificate in validated.certificates {
            if time > certificate.notAfter {
                throw MaterialError.expired(subject: certificate.subject, notAfter: certificate.notAfter)
            }
            if time < certificate.notBefore {
                throw MaterialError.notYetValid(subject: certificate.subject, notBefore: certificate.notBefore)
            }
        }
        let pathAnchor = validated.anchor
        try verifyWithOpenSSL(validated, trustAnchors: anchors.explicit.contains(pathAnchor) ? anchors.explicit
                                                                                             : anchors.explicit + [pathAnchor], at: time)
        return validated
    }

    /// Builds the path leaf → anchor without checking dates; throws when an issuer is missing.
    public static func order(leaf: Certificate, chain: [Certificate], trustAnchors: [Certificate]) throws -> ValidatedChain {
        try order(leaf: leaf, chain: chain, anchors: TrustAnchorSet(trustAnchors, system: nil))
    }

    /// As above, against a trust set that may include the system's anchors.
    public static func order(leaf: Certificate, chain: [Certificate], anchors: TrustAnchorSet) throws -> ValidatedChain {
        var path = [leaf]
        var remaining: [Certificate] = []
        for certificate in chain where certificate != leaf && !remaining.contains(certificate) {
            remaining.append(certificate)
        }
        var current = leaf
        while true {
            if anchors.contains(current) { break }
            let candidates = anchors.candidates(issuing: current)
            if let anchor = candidates.first(where: { issued(current, by: $0) }) {
                remaining.removeAll { $0 == anchor }
                path.append(anchor)
                break
            }
            if let index = remaining.firstIndex(where: { issued(current, by: $0) }) {
                current = remaining.remove(at: index)
                path.append(current)
                continue
            }
            if current.isSelfSigned { throw MaterialError.untrustedRoot(subject: current.subject) }
            let currentIssuer = current.issuer
            if let impostor = (remaining + candidates).first(where: { $0.subject == currentIssuer }) {
                throw MaterialError.wrongIssuer(subject: current.subject, issuer: impostor.subject)
            }
            throw MaterialError.chainIncomplete(subject: current.subject, issuer: currentIssuer)
        }
        return ValidatedChain(certificates: path, unused: remaining)
    }

    /// Every certificate of a trust bundle (Debian's ca-certificates by default).
    /// Validation looks system anchors up by issuer (`SystemTrustStore`); this is for tests and tools.
    public static func systemTrustAnchors(bundlePath: String = "/etc/ssl/certs/ca-certificates.crt") throws -> [Certificate] {
        try Certificate.parseAll(LocalFiles.read(bundlePath, limit: .bundle), what: bundlePath)
    }

    private static func issued(_ certificate: Certificate, by issuer: Certificate) -> Bool {
        certificate.isIssued(by: issuer) && certificate.isSignatureVerified(by: issuer)
    }

    /// The authoritative check: OpenSSL's own path validation over the ordered path.
    private static func verifyWithOpenSSL(_ chain: ValidatedChain, trustAnchors: [Certificate], at time: Date) throws {
        OpenSSLErrorQueue.clear()
        guard let store = X509_STORE_new() else { throw OpenSSLErrorQueue.failure("preparing chain verification") }
        defer { X509_STORE_free(store) }
        for anchor in trustAnchors where X509_STORE_add_cert(store, anchor.pointer) != 1 {
            throw OpenSSLErrorQueue.failure("adding trust anchor \(anchor.subject)")
        }
        guard let untrusted = og_sk_X509_new_null() else { throw OpenSSLErrorQueue.failure("preparing chain verification") }
        // The stack borrows the certificates; `chain` keeps them alive until it is freed below.
        defer { og_sk_X509_free(untrusted) }
        for certificate in chain.intermediates where og_sk_X509_push(untrusted, certificate.pointer) <= 0 {
            throw OpenSSLErrorQueue.failure("preparing chain verification")
        }
        guard let context = X509_STORE_CTX_new() else { throw OpenSSLErrorQueue.failure("preparing chain verification") }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, chain.leaf.pointer, untrusted) == 1 else {
            throw OpenSSLErrorQueue.failure("preparing chain verification")
        }
        X509_STORE_CTX_set_time(context, 0, ASN1Time.seconds(time))
        // The caller's anchors are trusted as given, even when one is an intermediate.
        X509_STORE_CTX_set_flags(context, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        let verified = withExtendedLifetime(chain) { X509_verify_cert(context) == 1 }
        guard verified else {
            let code = X509_STORE_CTX_get_error(context)
            let failing = X509_STORE_CTX_get_current_cert(context).map { X509Name.rfc4514(X509_get_subject_name($0)) }
            OpenSSLErrorQueue.clear()
            let reason = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
            throw MaterialError.chainInvalid(subject: failing ?? chain.leaf.subject, reason: reason)
        }
    }
}
