import OGPluginKit
import Testing

struct PEMBlockTests {
    let certificate = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"
    let key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n"

    @Test func findsEveryBlockWithItsLabelAcrossCRLFAndStrayText() {
        let text = "subject=CN=x\r\n  " + certificate.replacingOccurrences(of: "\n", with: "\r\n") + "between\n" + key
        let blocks = PEMBlock.scan(Array(text.utf8))
        #expect(blocks.map(\.label) == ["CERTIFICATE", "PRIVATE KEY"])
        #expect(blocks[0].text == Array(certificate.utf8), "armour kept, lines normalised to \\n")
        #expect(PEMBlock.certificates(in: Array(text.utf8)).count == 1)
    }

    @Test func incompleteOrMismatchedBlocksYieldNothing() {
        #expect(PEMBlock.scan(Array("-----BEGIN CERTIFICATE-----\nAAAA\n".utf8)).isEmpty)
        #expect(PEMBlock.scan(Array("-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8)).isEmpty)
        #expect(PEMBlock.scan(Array("-----BEGIN -----\n-----END -----\n".utf8)).isEmpty)
        #expect(PEMBlock.scan([]).isEmpty)
    }
}

struct EndpointPathTests {
    let posix = EndpointPath(platform: .posix)
    let windows = EndpointPath(platform: .windows)

    @Test func posixPaths() {
        #expect(posix.join("/etc/nginx", "sites/a.conf") == "/etc/nginx/sites/a.conf")
        #expect(posix.join("/etc/nginx/", "/abs.conf") == "/abs.conf")
        #expect(posix.join("/etc/nginx/", "a.conf") == "/etc/nginx/a.conf")
        #expect(posix.parent("/etc/nginx/nginx.conf") == "/etc/nginx")
        #expect(posix.parent("/nginx.conf") == "/")
        #expect(posix.parent("nginx.conf") == "")
        #expect(posix.lastComponent("/etc/nginx/nginx.conf") == "nginx.conf")
        #expect(!posix.isAbsolute("C:\\certs"))
        #expect(posix.lastComponent("C:\\certs\\a.p12") == "C:\\certs\\a.p12", "a backslash is a name character on POSIX")
    }

    @Test func windowsPaths() {
        #expect(windows.isAbsolute("C:\\certs\\a.p12"))
        #expect(windows.isAbsolute("c:/certs"))
        #expect(windows.isAbsolute("\\\\server\\share\\a.p12"))
        #expect(!windows.isAbsolute("certs\\a.p12"))
        #expect(windows.join("C:\\certs", "a.p12") == "C:\\certs\\a.p12")
        #expect(windows.join("C:\\certs", "D:\\other.p12") == "D:\\other.p12")
        #expect(windows.parent("C:\\certs\\a.p12") == "C:\\certs")
        #expect(windows.parent("C:\\a.p12") == "C:\\")
        #expect(windows.lastComponent("C:\\certs/a.p12") == "a.p12")
    }
}
