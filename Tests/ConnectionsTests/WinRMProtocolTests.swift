import Foundation
@testable import OGConnections
import Testing

/// NTLM against the worked examples of MS-NLMP section 4.2.4 (NTLMv2), and
/// the WS-Man reply parsing against replies spelled the way Windows spells them.
struct WinRMProtocolTests {
    private func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    @Test func responseKeyMatchesTheSpecificationExample() throws {
        let key = try NTLMInitiator.responseKey(user: "User", domain: "Domain", password: "Password")
        #expect(key == bytes("0c868a403bfd7a93a3001ef22ef02e3f"))
    }

    @Test func sealingMatchesTheSpecificationExample() throws {
        let security = try NTLMSessionSecurity(exportedSessionKey: [UInt8](repeating: 0x55, count: 16))
        let plaintext = "Plaintext".utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
        let (signature, sealed) = try security.seal(plaintext)
        #expect(sealed == bytes("54e50165bf1936dc996020c1811b0f06fb5f"))
        #expect(signature == bytes("010000007fb38ec5c55d497600000000"))
    }

    @Test func tamperedRepliesFailTheSignatureCheck() throws {
        let security = try NTLMSessionSecurity(exportedSessionKey: [UInt8](repeating: 0x55, count: 16))
        #expect(throws: NTLMError.self) {
            _ = try security.unseal(signature: [1, 0, 0, 0] + [UInt8](repeating: 0, count: 12), sealed: Array("forged".utf8))
        }
    }

    @Test func accountNamesSplitIntoDomainAndUser() {
        let qualified = NTLMInitiator(account: #"CORP\svc-og"#, password: "x")
        #expect(qualified.domain == "CORP" && qualified.user == "svc-og")
        let bare = NTLMInitiator(account: "Administrator", password: "x")
        #expect(bare.domain == "" && bare.user == "Administrator")
    }

    @Test func receiveRepliesYieldStreamsAndTheExitCode() {
        let reply = """
            <s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">\
            <s:Body><rsp:ReceiveResponse>\
            <rsp:Stream Name="stdout" CommandId="A">\(Data("hello ".utf8).base64EncodedString())</rsp:Stream>\
            <rsp:Stream Name="stderr" CommandId="A">\(Data("warn".utf8).base64EncodedString())</rsp:Stream>\
            <rsp:Stream Name="stdout" CommandId="A">\(Data("world".utf8).base64EncodedString())</rsp:Stream>\
            <rsp:Stream Name="stdout" CommandId="A" End="true"></rsp:Stream>\
            <rsp:CommandState CommandId="A" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done">\
            <rsp:ExitCode>-2</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse></s:Body></s:Envelope>
            """
        let output = WinRMMessages.receiveOutput(reply)
        #expect(output.standardOutput == Array("hello world".utf8))
        #expect(output.standardError == Array("warn".utf8))
        #expect(output.exitCode == -2)
        let running = reply.replacingOccurrences(of: "CommandState/Done", with: "CommandState/Running")
        #expect(WinRMMessages.receiveOutput(running).exitCode == nil)
    }

    @Test func faultsYieldTheirWSManCodeAndMessage() {
        let reply = """
            <s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault>\
            <s:Code><s:Value>s:Receiver</s:Value></s:Code><s:Reason><s:Text xml:lang="en-US">The operation timed out.</s:Text></s:Reason>\
            <s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793" Machine="w1">\
            <f:Message>The WS-Management service cannot complete the operation within the time specified in OperationTimeout.</f:Message>\
            </f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>
            """
        let fault = WinRMMessages.fault(in: reply)
        #expect(fault?.code == WinRMMessages.operationTimedOutCode)
        #expect(fault?.reason.hasPrefix("The WS-Management service cannot complete") == true)
        #expect(WinRMMessages.fault(in: "<s:Envelope><s:Body><rsp:SendResponse/></s:Body></s:Envelope>") == nil)
    }

    @Test func commandArgumentsAreEscapedForXML() {
        let body = WinRMMessages.commandBody("powershell.exe", arguments: ["<a & 'b'>"])
        #expect(body.contains("<rsp:Arguments>&lt;a &amp; &apos;b&apos;&gt;</rsp:Arguments>"))
    }

    @Test func windowsPathsSplitOnEitherSeparator() {
        #expect(WinRMConnection.split(#"C:\certs\site.p12"#) == (#"C:\certs\"#, "site.p12"))
        #expect(WinRMConnection.split("C:/certs/site.p12") == ("C:/certs/", "site.p12"))
        #expect(WinRMConnection.split("site.p12") == ("", "site.p12"))
    }
}
