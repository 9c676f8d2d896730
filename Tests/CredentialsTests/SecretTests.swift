import Foundation
import OGCredentials
import Testing

@Suite struct SecretTests {
    @Test func everyTextualFormHidesTheValue() {
        let secret = Secret("hunter2-very-secret")
        var dumped = ""
        dump(secret, to: &dumped)
        let credential = Credential.password(username: "deploy", secret)
        var dumpedCredential = ""
        dump(credential, to: &dumpedCredential)
        let forms = [
            secret.description, secret.debugDescription, "\(secret)", String(reflecting: secret), dumped,
            "\(credential)", String(reflecting: credential), dumpedCredential, "\([secret])",
        ]
        for form in forms {
            #expect(!form.contains("hunter2"), "leaked in: \(form)")
        }
        #expect(secret.description == "••••••")
        #expect(dumped.contains("••••••"))
        #expect("\(credential)" == "deploy password ••••••")
    }

    @Test func bytesAreReachableOnlyOnPurpose() {
        let secret = Secret(bytes: [0, 1, 2, 255])
        #expect(secret.count == 4)
        #expect(secret.withUnsafeBytes { Array($0) } == [0, 1, 2, 255])
        #expect(Secret("pw").exposedString() == "pw")
    }

    @Test func equalityComparesContents() {
        #expect(Secret("same") == Secret("same"))
        #expect(Secret("same") != Secret("diff"))
        #expect(Secret("short") != Secret("longer"))
        #expect(Secret("") == Secret(bytes: []))
    }
}
