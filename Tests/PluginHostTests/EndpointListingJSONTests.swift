import Foundation
import OGHost
import OGInventory
import OGTestSupport
import Testing

/// `tls list --output json` is written by hand for speed (issue 15); it must
/// stay the document JSONEncoder made from `EndpointCatalog.Listing`.
@Suite struct EndpointListingJSONTests {
    @Test func theHandWrittenListingIsTheEncodedOne() throws {
        let directory = try TemporaryDirectory("og-listing-json")
        let gateway = try Gateway(dataDirectory: directory.file("data"), pluginDirectories: [],
                                  describer: { .failure(.openFailed(path: $0, reason: "no plugins in this test")) })
        let service = EndpointService(gateway: gateway)
        #expect(try JSONSerialization.jsonObject(with: Data(try service.listJSON().utf8)) as? [Any] != nil)
        let inventory = try gateway.inventory()
        try inventory.addEndpoint(EndpointRecord(name: "web", type: "nginx", pluginName: "nginx", connectionType: "ssh",
                                                 host: "web.example.test", port: 2222, user: "deploy",
                                                 options: #"{"nginx_config_path":"/etc/nginx/nginx.conf","quote":"a\"b\\c/d é\u0001"}"#))
        try inventory.addEndpoint(EndpointRecord(name: "a-store", type: "p12", pluginName: "keystore", connectionType: "local",
                                                 host: "localhost",
                                                 credential: CredentialReference(store: "default", id: "login-1"),
                                                 secretOptions: ["store_password": CredentialReference(store: "default", id: "p1"),
                                                                 "key_password": CredentialReference(store: "default", id: "p2")],
                                                 options: #"{"path":"/srv/store.p12"}"#))
        try inventory.addEndpoint(EndpointRecord(name: "odd", type: "p12", pluginName: "keystore", connectionType: "local",
                                                 host: "localhost", options: #"{"retries":3}"#))
        let encoded = try JSONOutput.render(try service.list())
        let written = try service.listJSON()
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(encoded.utf8)) as? NSArray)
        let actual = try #require(try JSONSerialization.jsonObject(with: Data(written.utf8)) as? NSArray, "\(written)")
        #expect(actual.count == 3)
        #expect(actual == expected, "hand-written:\n\(written)\nJSONEncoder:\n\(encoded)")
        #expect(written.contains(#""port" : 2222"#) && written.contains("\n    \"secret_options\" : {\n"), "JSONEncoder's layout")
        #expect(!written.contains("\"p1\"") && written.contains("\"credential\" : \"default:login-1\""),
                "secret references are masked, the login's reference shown")
    }
}
