import Foundation
import OGMaterial

/// One HTTP(S) connection to a WinRM listener, kept open between requests
/// because NTLM authenticates the TCP connection, not each request. It is one
/// `HTTPClient` (the project's one HTTP client): a client keeps one libcurl
/// handle, so its consecutive requests travel on the same kept-alive
/// connection, which is what NTLM's per-connection handshake needs.
/// Authentication headers are built by `WinRMTransport`, never by curl, and no
/// proxy is used (a proxy would break NTLM's per-connection state and carry
/// the endpoint's traffic elsewhere).
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

    private let client: HTTPClient
    private let url: String

    /// `trustedCertificates`: PEM CA certificates trusted in addition to the
    /// system's; `verifyPeer` false skips certificate and name checks.
    init(url: String, verifyPeer: Bool, trustedCertificates: [UInt8], connectTimeout: Duration) throws {
        self.url = url
        do {
            let trust: HTTPTrust = !verifyPeer ? .insecure
                : trustedCertificates.isEmpty ? .system
                : try .verify(additionalAnchorsPEM: String(decoding: trustedCertificates, as: UTF8.self))
            // One attempt: a WinRM request is a POST, never repeated behind the caller's back.
            client = try HTTPClient(HTTPClientConfiguration(trust: trust, connectTimeout: connectTimeout, connectAttempts: 1))
        } catch {
            throw Failure.connect("\(error)")
        }
    }

    /// POSTs `body` with `headers` ("Name: value" lines) and waits at most `timeout` for the whole exchange.
    func post(_ body: [UInt8], headers: [String], timeout: Duration) throws -> Response {
        let fields = (headers + ["User-Agent: og-host WinRM"]).map { line -> (name: String, value: String) in
            let colon = line.firstIndex(of: ":") ?? line.endIndex
            return (String(line[..<colon]), line[colon...].dropFirst().trimmingCharacters(in: .whitespaces))
        }
        do {
            let response = try client.send(HTTPRequest(method: "POST", url: url, headers: fields, body: body, timeout: timeout))
            return Response(status: response.status, headers: response.headers, body: response.body)
        } catch HTTPError.timedOut {
            throw Failure.timedOut
        } catch HTTPError.identityRejected(_, let reason) {
            throw Failure.tlsIdentity(reason)
        } catch HTTPError.couldNotConnect(_, let reason), HTTPError.tlsFailed(_, let reason),
                HTTPError.transferFailed(_, let reason) {
            throw Failure.connect(reason)
        } catch {
            throw Failure.connect("\(error)")
        }
    }
}
