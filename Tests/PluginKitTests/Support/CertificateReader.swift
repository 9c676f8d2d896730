import Foundation
import OGBasics
import OGPluginABI
import OGPluginKit

/// The fake host's read_certificates: every PEM certificate in the data,
/// described by the real openssl CLI.
enum CertificateReader {
    static func read(_ data: [UInt8]) throws -> [CertificateInfo] {
        let text = String(decoding: data, as: UTF8.self)
        let end = "-----END CERTIFICATE-----"
        let blocks = text.components(separatedBy: end).dropLast().compactMap { chunk -> String? in
            guard let begin = chunk.range(of: "-----BEGIN CERTIFICATE-----") else { return nil }
            return String(chunk[begin.lowerBound...]) + end + "\n"
        }
        guard !blocks.isEmpty else {
            throw FakeServiceFailure(OG_ERR_PARSE, field: "data", "contains no PEM certificate")
        }
        return try blocks.map(describe)
    }

    private static func describe(_ pem: String) throws -> CertificateInfo {
        let openssl = try Tool.require("openssl", debianPackage: "openssl")
        let output = try ProcessRunner.run(openssl, ["x509", "-noout", "-subject", "-issuer", "-nameopt", "RFC2253",
                                                     "-serial", "-fingerprint", "-sha256", "-ext", "subjectAltName"],
                                           standardInput: Array(pem.utf8))
        guard output.exitStatus == 0 else {
            throw FakeServiceFailure(OG_ERR_PARSE, field: "data", "a certificate cannot be parsed: \(output.standardErrorText)")
        }
        var info = CertificateInfo(subject: "")
        let lines = output.standardOutputText.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for (index, line) in lines.enumerated() {
            if line.hasPrefix("subject=") { info.subject = String(line.dropFirst("subject=".count)) }
            if line.hasPrefix("issuer=") { info.issuer = String(line.dropFirst("issuer=".count)) }
            if line.hasPrefix("serial=") { info.serialHex = String(line.dropFirst("serial=".count)).lowercased() }
            if line.hasPrefix("sha256 Fingerprint=") {
                info.sha256Fingerprint = line.dropFirst("sha256 Fingerprint=".count).replacingOccurrences(of: ":", with: "").lowercased()
            }
            if line.hasPrefix("X509v3 Subject Alternative Name"), index + 1 < lines.count {
                for name in lines[index + 1].components(separatedBy: ", ") {
                    if name.hasPrefix("DNS:") { info.dnsNames.append(String(name.dropFirst(4))) }
                    if name.hasPrefix("IP Address:") { info.ipAddresses.append(String(name.dropFirst(11))) }
                }
            }
        }
        info.commonName = info.subject.components(separatedBy: ",").first { $0.hasPrefix("CN=") }.map { String($0.dropFirst(3)) } ?? ""
        return info
    }
}
