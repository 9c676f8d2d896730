import COpenSSL
import Foundation
import OGBasics

/// The operating system's trust anchors (Debian's ca-certificates), looked up
/// by name: `issuers(of:)` reads only the files whose subject-name hash
/// matches the certificate's issuer, from the hashed directory that
/// `update-ca-certificates` keeps (`/etc/ssl/certs/<hash>.<n>`), the same
/// lookup OpenSSL's own `-CApath` does. Validating one chain therefore reads
/// the one or two roots it needs instead of parsing the whole bundle (about
/// 140 certificates, which was 17 % of a PKCS#12 install and 55 % of a JKS
/// install). Without a hashed directory it falls back to the bundle, parsed
/// once per process.
///
/// HTTP clients, which hand curl one CA blob, read `bundlePath` from here too.
public final class SystemTrustStore: Sendable {
    /// The store of this machine.
    public static let standard = SystemTrustStore()

    /// The hashed directory (nil: none found).
    public let directory: String?
    /// The PEM bundle of every system anchor (nil: none found).
    public let bundlePath: String?
    private let parsedBundle = Locked<[Certificate]?>(nil)

    public init(directory: String? = "/etc/ssl/certs",
                bundlePath: String? = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                                       "/etc/ssl/cert.pem"].first { FileManager.default.fileExists(atPath: $0) }) {
        self.directory = directory.flatMap { Self.hasHashLinks($0) ? $0 : nil }
        self.bundlePath = bundlePath
    }

    /// System anchors whose subject is `certificate`'s issuer name (candidates:
    /// the caller checks the signature).
    public func issuers(of certificate: Certificate) -> [Certificate] {
        anchors(named: X509_get_issuer_name(certificate.pointer))
    }

    /// Whether `certificate` itself is a system anchor.
    public func contains(_ certificate: Certificate) -> Bool {
        anchors(named: X509_get_subject_name(certificate.pointer)).contains(certificate)
    }

    /// The bundle's bytes followed by a newline, for clients that take one CA blob; empty without a bundle.
    public func bundleBytes() -> [UInt8] {
        guard let bundlePath, let bundle = try? LocalFiles.read(bundlePath, limit: .bundle) else { return [] }
        return bundle + [0x0A]
    }

    private func anchors(named name: OpaquePointer?) -> [Certificate] {
        guard let name else { return [] }
        guard let directory else {
            let wanted = X509Name.rfc4514(name)
            return bundleAnchors().filter { $0.subject == wanted }
        }
        var ok: Int32 = 0
        let hash = X509_NAME_hash_ex(name, nil, nil, &ok)
        OpenSSLErrorQueue.clear()
        guard ok == 1 else { return [] }
        let stem = directory + "/" + Hex.digits(hash, width: 8)
        var found: [Certificate] = []
        // Collisions of the 32-bit hash take the next suffix, as c_rehash writes them.
        for suffix in 0..<16 {
            guard let bytes = try? LocalFiles.read("\(stem).\(suffix)", limit: .material) else { break }
            guard let certificates = try? Certificate.parseAll(bytes, what: "\(stem).\(suffix)") else { continue }
            found += certificates.filter { X509_NAME_cmp(X509_get_subject_name($0.pointer), name) == 0 }
        }
        return found
    }

    private func bundleAnchors() -> [Certificate] {
        parsedBundle.withLock { cached in
            if let cached { return cached }
            let parsed = bundlePath.flatMap { path in
                (try? LocalFiles.read(path, limit: .bundle)).flatMap { try? Certificate.parseAll($0, what: path) }
            } ?? []
            cached = parsed
            return parsed
        }
    }

    private static func hasHashLinks(_ directory: String) -> Bool {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return false }
        return names.contains { name in
            let parts = name.split(separator: ".")
            return parts.count == 2 && parts[0].count == 8 && parts[0].allSatisfy(\.isHexDigit) && parts[1].allSatisfy(\.isNumber)
        }
    }
}

/// What a chain must reach: certificates trusted explicitly (the operator's
/// anchors from `og-host ca`, roots an import was given) and, unless left
/// out, the system's anchors looked up by issuer.
public struct TrustAnchorSet: Sendable {
    public var explicit: [Certificate]
    public var system: SystemTrustStore?

    public init(_ explicit: [Certificate], system: SystemTrustStore? = .standard) {
        self.explicit = explicit
        self.system = system
    }

    /// The same set with `more` trusted explicitly.
    public func adding(_ more: [Certificate]) -> TrustAnchorSet {
        TrustAnchorSet(explicit + more.filter { !explicit.contains($0) }, system: system)
    }

    func contains(_ certificate: Certificate) -> Bool {
        explicit.contains(certificate) || system?.contains(certificate) == true
    }

    /// Anchors named as `certificate`'s issuer: explicit ones first.
    func candidates(issuing certificate: Certificate) -> [Certificate] {
        let issuerName = certificate.issuer
        return explicit.filter { $0.subject == issuerName } + (system?.issuers(of: certificate) ?? [])
    }
}
