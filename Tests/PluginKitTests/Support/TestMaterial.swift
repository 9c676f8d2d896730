import Foundation
import OGBasics
import OGTestSupport

/// A real EC key and self-signed certificate made by the openssl CLI in a private directory.
struct TestMaterial {
    let directory: TemporaryDirectory
    let keyPEM: [UInt8]
    let certificatePEM: [UInt8]

    init(commonName: String = "hello.test") throws {
        let openssl = try Tool.require("openssl", debianPackage: "openssl")
        directory = try TemporaryDirectory("og-material")
        let output = try ProcessRunner.run(openssl, [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", directory.file("key.pem"), "-out", directory.file("cert.pem"), "-days", "2",
            "-subj", "/CN=\(commonName)", "-addext", "subjectAltName=DNS:\(commonName),DNS:www.\(commonName),IP:127.0.0.1",
        ])
        guard output.exitStatus == 0 else {
            throw MaterialError(message: "openssl req failed: \(output.standardErrorText)")
        }
        keyPEM = try LocalFiles.read(directory.file("key.pem"))
        certificatePEM = try LocalFiles.read(directory.file("cert.pem"))
    }

    struct MaterialError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
