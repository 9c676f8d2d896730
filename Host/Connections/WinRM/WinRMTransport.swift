import Foundation

/// How a WinRM connection proves who it is.
public enum WinRMAuthentication: String, Sendable, Equatable {
    /// NTLMv2. Over plain HTTP every message is then sealed and signed with the session keys.
    case ntlm
    /// User name and password in every request; only ever sent inside TLS.
    case basic
}

/// Sends SOAP envelopes to the WinRM listener and returns the replies:
/// authenticates the connection, and over HTTP seals each message in the
/// `multipart/encrypted` envelope (MS-WSMV 2.2.9.1.1) that Windows requires
/// when unencrypted traffic is not allowed.
final class WinRMTransport {
    private let channel: WinRMHTTPChannel
    private let authentication: WinRMAuthentication
    private let user: String
    private let password: String
    private let host: String
    private let port: Int
    private let sealMessages: Bool
    private var session: NTLMSessionSecurity?
    private var ntlmAuthenticated = false

    /// Whether the last request went out sealed; tests and audit read it.
    private(set) var lastRequestWasSealed = false

    init(channel: WinRMHTTPChannel, authentication: WinRMAuthentication, user: String, password: String,
         host: String, port: Int, sealMessages: Bool) {
        self.channel = channel
        self.authentication = authentication
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.sealMessages = sealMessages
    }

    /// The reply envelope for `envelope`. A SOAP fault comes back as the
    /// reply (status 500); the caller interprets it.
    func send(_ envelope: String, timeout: Duration) throws -> String {
        do {
            return try exchange(envelope, timeout: timeout)
        } catch let error as NTLMError {
            throw ConnectionError.couldNotConnect(host: host, port: port, reason: error.description)
        }
    }

    private func exchange(_ envelope: String, timeout: Duration) throws -> String {
        let message = Array(envelope.utf8)
        if authentication == .ntlm && !ntlmAuthenticated { try authenticateNTLM(timeout: timeout) }
        var response = try post(message, timeout: timeout)
        if response.status == 401 && authentication == .ntlm {
            // The server dropped the TCP connection and with it the NTLM context; log in again once.
            ntlmAuthenticated = false
            session = nil
            try authenticateNTLM(timeout: timeout)
            response = try post(message, timeout: timeout)
        }
        if response.status == 401 { throw authenticationFailed() }
        guard response.status == 200 || response.status == 500 else {
            throw ConnectionError.couldNotConnect(host: host, port: port,
                                                  reason: "the WinRM listener answered HTTP \(response.status); check the port and that WinRM is enabled (winrm quickconfig)")
        }
        let body: [UInt8]
        if let session, response.headerValues("Content-Type").first?.hasPrefix("multipart/encrypted") == true {
            body = try Self.unseal(response.body, session: session)
        } else if sealMessages {
            throw ConnectionError.couldNotConnect(host: host, port: port,
                                                  reason: "the server answered a sealed request in clear text; refusing an unprotected reply")
        } else {
            body = response.body
        }
        return String(decoding: body, as: UTF8.self)
    }

    private func post(_ message: [UInt8], timeout: Duration) throws -> WinRMHTTPChannel.Response {
        var headers: [String] = []
        let body: [UInt8]
        if let session, sealMessages {
            body = try Self.seal(message, session: session)
            headers.append("Content-Type: multipart/encrypted;protocol=\"\(Self.sealedProtocol)\";boundary=\"Encrypted Boundary\"")
            lastRequestWasSealed = true
        } else {
            body = message
            headers.append("Content-Type: application/soap+xml;charset=UTF-8")
            lastRequestWasSealed = false
        }
        if authentication == .basic {
            headers.append("Authorization: Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        }
        return try perform(body, headers: headers, timeout: timeout)
    }

    private func perform(_ body: [UInt8], headers: [String], timeout: Duration) throws -> WinRMHTTPChannel.Response {
        do {
            return try channel.post(body, headers: headers, timeout: timeout)
        } catch WinRMHTTPChannel.Failure.timedOut {
            throw ConnectionError.timedOut(operation: "WinRM request to \(host):\(port)", after: timeout)
        } catch WinRMHTTPChannel.Failure.connect(let reason) {
            throw ConnectionError.couldNotConnect(host: host, port: port, reason: reason)
        } catch WinRMHTTPChannel.Failure.tlsIdentity(let reason) {
            throw ConnectionError.hostKeyRejected(
                host: host, expectedFingerprint: "a TLS certificate for \(host) issued by a trusted CA",
                presentedFingerprint: "a certificate that failed verification (\(reason)); trust its CA with og-host ca add, "
                    + "or use winrm_https_insecure only if you accept an unauthenticated server")
        }
    }

    /// Negotiate → challenge → authenticate, on empty POSTs as pywinrm does,
    /// so that the first SOAP message already travels sealed.
    private func authenticateNTLM(timeout: Duration) throws {
        var initiator = NTLMInitiator(account: user, password: password)
        let first = try perform([], headers: ["Authorization: Negotiate " + Data(initiator.negotiate()).base64EncodedString()],
                                timeout: timeout)
        guard first.status == 401,
              let token = first.headerValues("WWW-Authenticate").compactMap({ Self.token($0, scheme: "Negotiate") }).first else {
            if first.status == 401 {
                throw ConnectionError.authenticationFailed(
                    user: user, host: host,
                    reason: .methodNotOffered(wanted: "Negotiate (NTLM)", offered: first.headerValues("WWW-Authenticate")))
            }
            throw ConnectionError.couldNotConnect(host: host, port: port,
                                                  reason: "the WinRM listener answered HTTP \(first.status) instead of an NTLM challenge")
        }
        let result: (message: [UInt8], exportedSessionKey: [UInt8], flags: UInt32)
        do {
            result = try initiator.authenticate(challenge: token)
        } catch let error as NTLMError {
            throw ConnectionError.couldNotConnect(host: host, port: port, reason: error.description)
        }
        let second = try perform([], headers: ["Authorization: Negotiate " + Data(result.message).base64EncodedString()],
                                 timeout: timeout)
        guard second.status != 401 else { throw authenticationFailed() }
        ntlmAuthenticated = true
        session = sealMessages ? try NTLMSessionSecurity(exportedSessionKey: result.exportedSessionKey) : nil
    }

    private func authenticationFailed() -> ConnectionError {
        .authenticationFailed(user: user, host: host, reason: .wrongPassword)
    }

    private static func token(_ header: String, scheme: String) -> [UInt8]? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].caseInsensitiveCompare(scheme) == .orderedSame,
              let data = Data(base64Encoded: String(parts[1])) else { return nil }
        return [UInt8](data)
    }

    static let sealedProtocol = "application/HTTP-SPNEGO-session-encrypted"
    private static let boundary = Array("--Encrypted Boundary".utf8)

    static func seal(_ message: [UInt8], session: NTLMSessionSecurity) throws -> [UInt8] {
        let (signature, sealed) = try session.seal(message)
        var body = boundary + Array("\r\n\tContent-Type: \(sealedProtocol)\r\n".utf8)
        body += Array("\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=\(message.count)\r\n".utf8)
        body += boundary + Array("\r\n\tContent-Type: application/octet-stream\r\n".utf8)
        body += le32(UInt32(signature.count)) + signature + sealed
        return body + boundary + Array("--\r\n".utf8)
    }

    static func unseal(_ body: [UInt8], session: NTLMSessionSecurity) throws -> [UInt8] {
        let octetMarker = Array("\tContent-Type: application/octet-stream\r\n".utf8)
        guard let lengthRange = firstRange(of: Array("Length=".utf8), in: body, from: 0),
              let octet = firstRange(of: octetMarker, in: body, from: lengthRange.upperBound) else {
            throw NTLMError.badSignature
        }
        let digits = body[lengthRange.upperBound...].prefix { (0x30...0x39).contains($0) }
        guard let expected = Int(String(decoding: digits, as: UTF8.self)) else { throw NTLMError.badSignature }
        var payload = Array(body[octet.upperBound...])
        let trailer = boundary + Array("--\r\n".utf8)
        if payload.count >= trailer.count, Array(payload.suffix(trailer.count)) == trailer { payload.removeLast(trailer.count) }
        guard payload.count >= 4 else { throw NTLMError.badSignature }
        let signatureLength = Int(readLE32(payload, 0))
        guard signatureLength == 16, payload.count >= 4 + signatureLength else { throw NTLMError.badSignature }
        let message = try session.unseal(signature: Array(payload[4..<20]), sealed: Array(payload[20...]))
        guard message.count == expected else { throw NTLMError.badSignature }
        return message
    }

    private static func firstRange(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Range<Int>? {
        guard needle.count <= haystack.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0] && Array(haystack[index..<(index + needle.count)]) == needle {
                return index..<(index + needle.count)
            }
            index += 1
        }
        return nil
    }
}
