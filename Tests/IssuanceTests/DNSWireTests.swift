import Foundation
@testable import OGIssuance
import Testing

/// The DNS wire reader and TSIG signer against hand-made and hostile messages.
struct DNSWireTests {
    @Test func namesAreCanonicalAndBounded() throws {
        #expect(try DNSWire.name("_ACME-challenge.Example.TEST.") == [15] + Array("_acme-challenge".utf8) + [7]
                + Array("example".utf8) + [4] + Array("test".utf8) + [0])
        #expect(throws: IssuanceError.self) { try DNSWire.name("a..b") }
        #expect(throws: IssuanceError.self) { try DNSWire.name(String(repeating: "x", count: 64) + ".test") }
    }

    @Test func longTXTValuesAreSplitIntoCharacterStrings() {
        let data = DNSWire.txtData(String(repeating: "v", count: 300))
        #expect(data[0] == 255 && data[256] == 45 && data.count == 302)
    }

    @Test func compressedAnswersAreReadAndLoopsRefused() throws {
        // Header (1 question, 1 answer), question _acme-challenge.a.test TXT, answer via pointer to offset 12.
        let question = try DNSWire.name("_acme-challenge.a.test") + DNSWire.u16(16) + DNSWire.u16(1)
        let answer: [UInt8] = [0xc0, 12] + DNSWire.u16(16) + DNSWire.u16(1) + DNSWire.u32(60) + DNSWire.u16(4) + [3] + Array("abc".utf8)
        let message = DNSWire.u16(7) + [0x84, 0x00] + DNSWire.u16(1) + DNSWire.u16(1) + DNSWire.u16(0) + DNSWire.u16(0) + question + answer
        let reply = try DNSReply(message)
        #expect(reply.id == 7 && reply.rcode == 0)
        #expect(reply.txtValues(of: "_acme-challenge.a.test") == ["abc"])

        var looping = DNSWire.u16(7) + [0x84, 0x00] + DNSWire.u16(1) + DNSWire.u16(0) + DNSWire.u16(0) + DNSWire.u16(0)
        looping += [0xc0, 12] + DNSWire.u16(16) + DNSWire.u16(1)
        #expect(throws: IssuanceError.self) { try DNSReply(looping) }
        #expect(throws: IssuanceError.self) { try DNSReply(Array(message.prefix(message.count - 2))) }
        #expect(throws: IssuanceError.self) { try DNSReply([0, 1, 2]) }
    }

    @Test func signedRequestsCarryATSIGRecordThatVerifiesTheirReplies() throws {
        let key = try TSIGKey(name: "k", base64Secret: Data(repeating: 7, count: 32).base64EncodedString())
        let message = DNSWire.u16(42) + DNSWire.u16(5 << 11) + DNSWire.u16(1) + DNSWire.u16(0) + DNSWire.u16(0) + DNSWire.u16(0)
            + (try DNSWire.name("a.test")) + DNSWire.u16(6) + DNSWire.u16(1)
        let (signed, mac) = try key.sign(message)
        #expect(signed[11] == 1, "ARCOUNT counts the TSIG record")
        #expect(mac.count == 32)
        // A "reply" signed the way a server signs one: request MAC first, then the message and the variables.
        let reply = try DNSReply(signed)
        #expect(reply.additional.last?.type == DNSWire.typeTSIG)
        #expect(try key.verify(reply, requestMAC: mac) == "the reply's TSIG signature does not verify",
                "a request is not a valid reply to itself")
        #expect(throws: IssuanceError.self) { try TSIGKey(name: "k", algorithm: "hmac-md5", base64Secret: "AAAA") }
        #expect(throws: IssuanceError.self) { try TSIGKey(name: "k", base64Secret: "not base64!") }
    }

    @Test func serversAreParsed() throws {
        #expect(try DNSUpdateClient.split("ns1.example.test:5353") == ("ns1.example.test", 5353))
        #expect(try DNSUpdateClient.split("[::1]:53") == ("::1", 53))
        #expect(try DNSUpdateClient.split("10.0.0.1") == ("10.0.0.1", 53))
        #expect(throws: IssuanceError.self) { try DNSUpdateClient.split("host:0") }
        #expect(throws: IssuanceError.self) { try DNSUpdateClient.split("host:x") }
    }
}
