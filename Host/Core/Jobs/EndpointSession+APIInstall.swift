import Foundation
import OGBasics
import OGConnections
import OGJSON
import OGMaterial
import OGPlugins

/// What an API install (ABI 1.1) lends its session while apply_install runs:
/// the material upload_content renders, the one-time PKCS#12 passphrase, and
/// the journal that keeps the plugin's undo token durable.
final class APIInstallContext {
    let material: InstallMaterial
    /// Journals a token durably (the job's install journal); throws when it could not.
    let journal: ([UInt8]) throws -> Void
    /// The last token journalled through journal_undo_token.
    private(set) var journalledToken: [UInt8]?
    /// Made on first use, for this install only; never logged, never stored.
    private var passphrase: String?

    init(material: InstallMaterial, journal: @escaping ([UInt8]) throws -> Void) {
        self.material = material
        self.journal = journal
    }

    func record(_ token: [UInt8]) throws {
        try journal(token)
        journalledToken = token
    }

    /// The passphrase, if one was made.
    var madePassphrase: String? { passphrase }

    /// 32 random bytes as hex: a passphrase only this install's PKCS#12 uses.
    func pkcs12Passphrase() throws -> String {
        if let passphrase { return passphrase }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard SecRandom.fill(&bytes) else { throw GatewayError("could not draw random bytes for a PKCS#12 passphrase") }
        let made = bytes.map { String(format: "%02x", $0) }.joined()
        passphrase = made
        return made
    }

    func render(_ content: UploadContentKind) throws -> [UInt8] {
        let leaf = Array(material.leaf.pem.utf8)
        let chain = material.intermediates.flatMap { Array($0.pem.utf8) }
        switch content {
        case .certificatePEM: return leaf
        case .chainPEM: return chain
        case .fullchainPEM: return leaf + chain
        case .privateKeyPEM: return Array(try material.key.pkcs8PEM().utf8)
        case .pkcs12:
            return try PKCS12Store().upserting(alias: "og-host", key: material.key, chain: [material.leaf] + material.intermediates)
                .encode(password: Array(try pkcs12Passphrase().utf8), legacy: false)
        }
    }
}

/// The system's random source for one-time secrets (getrandom(2) through /dev/urandom semantics).
enum SecRandom {
    static func fill(_ bytes: inout [UInt8]) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: "/dev/urandom") else { return false }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: bytes.count), data.count == bytes.count else { return false }
        bytes = Array(data)
        return true
    }
}

extension EndpointSession {
    /// Fills `{{og:NAME}}` references of a request template (OG_BODY_TEMPLATE) with the secrets they name,
    /// escaped for a JSON string; returns the body and the secrets used, so the answer can be scrubbed of them.
    func renderTemplate(_ template: [UInt8]) throws(ServiceFailure) -> ([UInt8], [String]) {
        guard let text = String(validating: template, as: UTF8.self) else {
            throw ServiceFailure(.invalidArgument, "http_request: a template body must be UTF-8 text")
        }
        var out = ""
        var used: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{og:") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw ServiceFailure(.invalidArgument, "http_request: a {{og: reference in the template is not closed with }}")
            }
            let name = String(rest[open.upperBound..<close.lowerBound])
            let value: String
            switch name {
            case "user": value = loginUser
            case "password":
                guard let password = loginPassword else {
                    throw ServiceFailure(.auth, "endpoint '\(endpoint.name)' has no login password to fill {{og:password}} with")
                }
                value = password
            case "pkcs12_passphrase":
                guard let context = apiInstall else {
                    throw ServiceFailure(.notSupported, "{{og:pkcs12_passphrase}} exists only while an install is being applied")
                }
                do { value = try context.pkcs12Passphrase() } catch { throw ServiceFailure(.internalError, "\(error)") }
            default:
                throw ServiceFailure(.invalidArgument, "http_request: the template refers to {{og:\(name.prefix(40))}}, which is not "
                                     + "user, password or pkcs12_passphrase")
            }
            out += Self.jsonEscaped(value)
            if name != "user" && !value.isEmpty { used.append(value) }
            rest = rest[close.upperBound...]
        }
        out += rest
        return (Array(out.utf8), used)
    }

    /// `body` with every occurrence of each secret (raw or JSON-escaped) replaced by "(redacted)".
    static func redacting(_ secrets: [String], in body: [UInt8]) -> [UInt8] {
        guard !secrets.isEmpty, !body.isEmpty else { return body }
        var result = body
        for secret in secrets {
            for form in Set([secret, jsonEscaped(secret)]) where !form.isEmpty {
                result = replacing(Array(form.utf8), with: Array("(redacted)".utf8), in: result)
            }
        }
        return result
    }

    private static func replacing(_ needle: [UInt8], with replacement: [UInt8], in haystack: [UInt8]) -> [UInt8] {
        guard haystack.count >= needle.count else { return haystack }
        var out: [UInt8] = []
        var index = 0
        while index < haystack.count {
            if index + needle.count <= haystack.count, haystack[index..<index + needle.count].elementsEqual(needle) {
                out += replacement
                index += needle.count
            } else {
                out.append(haystack[index])
                index += 1
            }
        }
        return out
    }

    /// A secret as it appears inside a JSON string literal: the one JSON rule (OGJSON).
    static func jsonEscaped(_ text: String) -> String { JSON.escaped(text) }

    public func upload(_ content: UploadContentKind, request: HTTPRequestInfo, chunkSize: Int) throws(ServiceFailure) -> HTTPResponseInfo {
        guard let rest = connection as? RESTConnection else {
            throw ServiceFailure(.notSupported, "uploads need a rest connection; this endpoint uses \(endpoint.connectionType.rawValue)")
        }
        guard let context = apiInstall else {
            throw ServiceFailure(.notSupported, "upload_content is offered only while an install is being applied")
        }
        let bytes: [UInt8]
        do { bytes = try context.render(content) } catch { throw ServiceFailure(.internalError, "rendering the upload failed: \(error)") }
        guard !bytes.isEmpty else {
            throw ServiceFailure(.notFound, "the certificate being installed has no intermediates to upload")
        }
        let response: HTTPResponse
        do {
            response = try rest.upload(bytes, to: request.path, chunkSize: chunkSize, method: request.method,
                                       headers: request.headers.map { (name: $0.0, value: $0.1) }, returningFailure: true)
        } catch let error as HTTPError {
            commandLog.append("HTTP upload \(request.path) -> failed")
            throw ServiceFailure(.io, error.description)
        } catch {
            throw ServiceFailure(.connect, "\(error)")
        }
        commandLog.append("HTTP upload \(request.path) (\(content), \(bytes.count) bytes in pieces of \(chunkSize)) -> \(response.status)")
        return HTTPResponseInfo(status: Int32(response.status), headers: response.headers.map { ($0.name, $0.value) },
                                body: Self.redacting(context.madePassphrase.map { [$0] } ?? [], in: response.body))
    }

    public func journalUndoToken(_ token: [UInt8]) throws(ServiceFailure) {
        guard let context = apiInstall else {
            throw ServiceFailure(.notSupported, "journal_undo_token is offered only while an install is being applied")
        }
        do { try context.record(token) } catch { throw ServiceFailure(.io, "the undo token could not be journalled: \(error)") }
    }
}
