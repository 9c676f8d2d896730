import COpenSSL

/// An OpenSSL library context with the `legacy` provider loaded beside `default`.
///
/// Old PKCS#12 files (Java 8, Windows) encrypt certificate bags with RC2-40,
/// and NTLM (WinRM) needs MD4 and RC4; OpenSSL 3 keeps all three in its legacy
/// provider. Loading that provider process-wide would re-enable weak
/// algorithms for every other use, so it lives in this private context, used
/// only by those two callers.
public final class LegacyLibraryContext: @unchecked Sendable {
    // Safe to share: the pointer is set once in init and never changed; an
    // OSSL_LIB_CTX may be used from several threads at once.
    public static let shared = LegacyLibraryContext()

    /// nil when the legacy provider is not installed.
    public let context: OpaquePointer?

    private init() {
        guard let created = OSSL_LIB_CTX_new() else {
            context = nil
            return
        }
        if OSSL_PROVIDER_load(created, "default") != nil, OSSL_PROVIDER_load(created, "legacy") != nil {
            context = created
        } else {
            OSSL_LIB_CTX_free(created)
            OpenSSLErrorQueue.clear()
            context = nil
        }
    }
}
