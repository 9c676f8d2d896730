import Foundation
@testable import OGHost
import OGMaterial
import Testing

/// A job worker parses each certificate text once (`ParsedCertificates`):
/// the same certificates as OpenSSL's parse, failures parsed again each time
/// with the caller's words, bounded memory.
@Suite struct ParsedCertificatesTests {
    let first: Certificate
    let second: Certificate

    init() throws {
        first = try CertificateAuthority.makeRoot(subject: CertificateSubject(commonName: "Parse One")).certificate
        second = try CertificateAuthority.makeRoot(subject: CertificateSubject(commonName: "Parse Two")).certificate
    }

    @Test func aTextIsParsedOnceAndGivesWhatOpenSSLReads() throws {
        let parsed = ParsedCertificates()
        let once = try parsed.parseAll(pem: first.pem + second.pem)
        let again = try parsed.parseAll(pem: first.pem + second.pem)
        #expect(once == [first, second])
        #expect(once.count == 2 && zip(once, again).allSatisfy { $0 === $1 }, "the second call reuses the first parse")
        #expect(try parsed.one(pem: first.pem) == first)
        #expect(try parsed.one(pem: first.pem) === parsed.one(pem: first.pem))
        // Bytes may be DER: remembered apart from the same bytes read as text.
        #expect(try parsed.parseAll(first.der) == [first])
        #expect(try parsed.parseAll(Array(second.pem.utf8)) == [second])
        #expect(parsed.count == 4)
    }

    @Test func failuresAreNotRememberedAndSayWhatTheParserSays() throws {
        let parsed = ParsedCertificates()
        for _ in 0..<2 {
            let error = #expect(throws: MaterialError.self) { try parsed.parseAll(pem: "not a certificate", what: "field `cert`") }
            let direct = #expect(throws: MaterialError.self) { try Certificate.parseAll(pem: "not a certificate", what: "field `cert`") }
            #expect(error?.description == direct?.description && error?.description.contains("field `cert`") == true)
        }
        let two = first.pem + second.pem
        let error = #expect(throws: MaterialError.self) { try parsed.one(pem: two, what: "stored certificate") }
        let direct = #expect(throws: MaterialError.self) { try Certificate(pem: two, what: "stored certificate") }
        #expect(error?.description == direct?.description)
        #expect(parsed.count == 1, "only the text that parsed is remembered")
    }

    @Test func memoryIsBoundedInEntriesAndTextSize() throws {
        let parsed = ParsedCertificates(maxEntries: 2, maxBytes: first.pem.utf8.count + 100)
        let a = try parsed.one(pem: first.pem)
        _ = try parsed.one(pem: second.pem)
        #expect(try parsed.count == 2 && parsed.one(pem: first.pem) === a)
        _ = try parsed.parseAll(first.der)
        #expect(parsed.count == 1, "full: it starts over")
        #expect(try parsed.one(pem: first.pem) !== a, "parsed anew after starting over")
        let long = first.pem + String(repeating: "\n", count: 200)
        #expect(try parsed.one(pem: long) == first)
        #expect(try parsed.one(pem: long) !== parsed.one(pem: long), "a text over the size bound is never remembered")
    }
}
