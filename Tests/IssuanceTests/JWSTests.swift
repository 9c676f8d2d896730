import Foundation
import OGBasics
import OGIssuance
import OGMaterial
import OGTestSupport
import Testing

/// JWS signatures, JWK thumbprints and EAB MACs checked by OpenSSL's command
/// line, not by the code that made them.
struct JWSTests {
    @Test(arguments: ["ec-p256", "ec-p384", "rsa2048"])
    func signaturesVerifyWithOpenSSL(_ keyType: String) throws {
        let key = try PrivateKey.generate(try KeySpec(parsing: keyType))
        let directory = try TemporaryDirectory("og-jws")
        let input = Array("eyJhbGciOiJFUzI1NiJ9.eyJ0ZXN0Ijp0cnVlfQ".utf8)
        var signature = try key.signJWS(input)
        let algorithm = try key.jwsAlgorithm
        if algorithm.hasPrefix("ES") {
            // JOSE's r‖s back to the DER form openssl verifies.
            let half = signature.count / 2
            func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
                var value = Array(bytes.drop { $0 == 0 })
                if value.isEmpty || value[0] >= 0x80 { value.insert(0, at: 0) }
                return [0x02, UInt8(value.count)] + value
            }
            let body = integer(signature.prefix(half)) + integer(signature.suffix(half))
            signature = [0x30, UInt8(body.count)] + body
            #expect(half == (algorithm == "ES256" ? 32 : 48))
        }
        try LocalFiles.writeAtomically(directory.file("input"), contents: input)
        try LocalFiles.writeAtomically(directory.file("signature"), contents: signature)
        try LocalFiles.writeAtomically(directory.file("key.pem"), contents: Array(try key.pkcs8PEM().utf8), mode: 0o600)
        let publicKey = try ProcessRunner.run("openssl", ["pkey", "-in", directory.file("key.pem"), "-pubout", "-out",
                                                          directory.file("public.pem")])
        #expect(publicKey.exitStatus == 0)
        let digest = algorithm == "ES384" ? "-sha384" : "-sha256"
        let verified = try ProcessRunner.run("openssl", ["dgst", digest, "-verify", directory.file("public.pem"), "-signature",
                                                         directory.file("signature"), directory.file("input")])
        #expect(verified.standardOutputText.contains("Verified OK"), "\(verified.standardErrorText)")
    }

    @Test func thumbprintMatchesRFC7638Example() throws {
        // RFC 7638 §3.1: the example RSA key's thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs"
            + "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9"
            + "1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        let members = "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"\(n)\"}"
        #expect(Base64URL.encode(MessageAuthentication.sha256(Array(members.utf8))) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    @Test func ecJWKRoundTripsThroughOpenSSL() throws {
        let key = try PrivateKey.generate(.ecdsa(curve: .p256))
        let members = Dictionary(uniqueKeysWithValues: try key.publicJWKMembers().map { ($0.name, $0.value) })
        #expect(members["kty"] == "EC" && members["crv"] == "P-256")
        let x = try #require(Base64URL.decode(members["x"]!)), y = try #require(Base64URL.decode(members["y"]!))
        #expect(x.count == 32 && y.count == 32)
        #expect(Array(key.publicKeyDER.suffix(64)) == x + y)
        #expect(try key.publicJWKJSON().hasPrefix("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\""))
    }

    @Test func hmacMatchesRFC4231() throws {
        // RFC 4231 test case 2.
        let mac = try MessageAuthentication.hmac(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func base64URLRoundTrips() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + 11) & 0xff) }
            let encoded = Base64URL.encode(bytes)
            #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
            #expect(Base64URL.decode(encoded) == bytes)
        }
        #expect(Base64URL.decode("a") == nil)
        #expect(Base64URL.decode("ab$d") == nil)
    }
}
