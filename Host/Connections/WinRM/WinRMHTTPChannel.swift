import CCurl
import Foundation
import OGMaterial

/// One HTTP(S) connection to a WinRM listener, kept open between requests
/// because NTLM authenticates the TCP connection, not each request. Drives
/// libcurl directly (the project's shared HTTP client had not landed when this
/// was written); authentication headers are built by `WinRMTransport`, never by curl.
final class WinRMHTTPChannel {
    struct Response {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func headerValues(_ name: String) -> [String] {
            headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
        }
    }

    enum Failure: Error {
        case connect(String)
        case timedOut
        case tlsIdentity(String)
    }

    private let handle: UnsafeMutableRawPointer
    private let url: String

    /// `trustedCertificates`: PEM CA certificates trusted in addition to the
    /// system's; `verifyPeer` false skips certificate and name checks.
    init(url: String, verifyPeer: Bool, trustedCertificates: [UInt8], connectTimeout: Duration) throws {
        guard let handle = og_curl_easy_init() else {
            throw Failure.connect(og_curl_load_error().map { String(cString: $0) } ?? "libcurl could not create a handle")
        }
        self.handle = handle
        self.url = url
        _ = og_curl_setopt_str(handle, CURLOPT_URL, url)
        _ = og_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = og_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout.milliseconds))
        // Proxies from the environment would break NTLM's per-connection state and leak the endpoint's traffic.
        _ = og_curl_setopt_str(handle, CURLOPT_NOPROXY, "*")
        if verifyPeer {
            _ = og_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
            _ = og_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
            if !trustedCertificates.isEmpty {
                // A CA blob replaces curl's default bundle, so the system's anchors go in with the extra ones.
                var bundle = SystemTrustStore.standard.bundleBytes() + trustedCertificates
                bundle.withUnsafeMutableBytes { raw in
                    var blob = curl_blob(data: raw.baseAddress, len: raw.count, flags: UInt32(CURL_BLOB_COPY))
                    _ = og_curl_setopt_ptr(handle, CURLOPT_CAINFO_BLOB, &blob)
                }
            }
        } else {
            _ = og_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
            _ = og_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
        }
    }

    /// POSTs `body` with `headers` and waits at most `timeout` for the whole exchange.
    func post(_ body: [UInt8], headers: [String], timeout: Duration) throws -> Response {
        let collector = ResponseCollector()
        var list: UnsafeMutablePointer<curl_slist>?
        for header in headers + ["Expect:", "User-Agent: og-host WinRM"] { list = og_curl_slist_append(list, header) }
        defer { og_curl_slist_free_all(list) }
        let opaque = Unmanaged.passUnretained(collector).toOpaque()
        _ = og_curl_setopt_long(handle, CURLOPT_POST, 1)
        _ = og_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, list)
        _ = og_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout.milliseconds))
        _ = og_curl_setopt_datacb(handle, CURLOPT_WRITEFUNCTION, { pointer, size, count, context in
            let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
            collector.body.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: size * count))
            return size * count
        })
        _ = og_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, opaque)
        _ = og_curl_setopt_datacb(handle, CURLOPT_HEADERFUNCTION, { pointer, size, count, context in
            let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
            let line = String(decoding: UnsafeRawBufferPointer(start: pointer, count: size * count), as: UTF8.self)
            if line.hasPrefix("HTTP/") { collector.headers.removeAll() } // a new response (after 100 Continue)
            if let colon = line.firstIndex(of: ":") {
                collector.headers.append((String(line[..<colon]),
                                          line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            return size * count
        })
        _ = og_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, opaque)
        // An empty body still needs a valid pointer, or curl would read the body from a callback.
        let storage = body.isEmpty ? [0] : body
        let code: CURLcode = storage.withUnsafeBufferPointer { buffer in
            _ = og_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            _ = og_curl_setopt_ptr(handle, CURLOPT_POSTFIELDS, buffer.baseAddress)
            return og_curl_easy_perform(handle)
        }
        _ = og_curl_setopt_ptr(handle, CURLOPT_POSTFIELDS, nil)
        guard code == CURLE_OK else {
            let reason = String(cString: og_curl_easy_strerror(code))
            switch code {
            case CURLE_OPERATION_TIMEDOUT: throw Failure.timedOut
            case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE: throw Failure.tlsIdentity(reason)
            default: throw Failure.connect(reason)
            }
        }
        var status = 0
        _ = og_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return Response(status: status, headers: collector.headers, body: collector.body)
    }

    deinit { og_curl_easy_cleanup(handle) }
}

private final class ResponseCollector {
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
}
