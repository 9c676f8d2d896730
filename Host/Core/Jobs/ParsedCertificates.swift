import OGMaterial
import OGBasics

/// Certificates parsed once per process for each exact text: a job worker's
/// jobs read the same few certificates again and again (the managed
/// certificate's leaf, the operator's trust anchors, the certificate file the
/// plugin reads back from each endpoint), and with OpenSSL 3 each parse costs
/// ~1.6 M instructions, most of it setting up a decoder for the public key
/// (`OSSL_DECODER_CTX_new_for_pkey`): four parses were ~7 M of a fan-out
/// job's instructions in a worker (issue 11's bench).
///
/// Only the parse is shared, keyed by the exact bytes: every check made on
/// a certificate (chain, trust, dates, key match, what the plugin compares)
/// still runs each time on the result. A `Certificate` never changes after it
/// is read and may be shared between threads (see its declaration). Failures
/// are not remembered (they are parsed again, for the error naming `what`),
/// and the memory is bounded: texts up to 64 KiB, 32 of them, then it starts
/// over. The process's parses go through `shared`.
final class ParsedCertificates: Sendable {
    private struct Key: Hashable {
        /// PEM text (`parseAll(pem:)`) or bytes that may be DER (`parseAll(_:)`): parsed differently.
        var isText: Bool
        var bytes: [UInt8]
    }

    static let shared = ParsedCertificates()

    private let remembered = Locked<[Key: [Certificate]]>([:])
    let maxEntries: Int
    let maxBytes: Int

    init(maxEntries: Int = 32, maxBytes: Int = 64 * 1024) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    /// How many texts are remembered now.
    var count: Int { remembered.withLock { $0.count } }

    /// `Certificate.parseAll(_:what:)`: PEM with one or many certificates, or one DER certificate.
    func parseAll(_ data: [UInt8], what: String = "certificate") throws -> [Certificate] {
        try remembering(Key(isText: false, bytes: data)) { try Certificate.parseAll(data, what: what) }
    }

    /// `Certificate.parseAll(pem:what:)`: every CERTIFICATE block of a PEM text.
    func parseAll(pem: String, what: String = "certificate") throws -> [Certificate] {
        try remembering(Key(isText: true, bytes: Array(pem.utf8))) { try Certificate.parseAll(pem: pem, what: what) }
    }

    /// `Certificate(pem:what:)`: the single certificate of a PEM text.
    func one(pem: String, what: String = "certificate") throws -> Certificate {
        let all = try parseAll(pem: pem, what: what)
        guard all.count == 1, let only = all.first else { return try Certificate(pem: pem, what: what) }  // its error
        return only
    }

    private func remembering(_ key: Key, _ parse: () throws -> [Certificate]) throws -> [Certificate] {
        guard key.bytes.count <= maxBytes else { return try parse() }
        if let known = remembered.withLock({ $0[key] }) { return known }
        let parsed = try parse()
        remembered.withLock { table in
            if table.count >= maxEntries { table.removeAll() }
            table[key] = parsed
        }
        return parsed
    }
}
