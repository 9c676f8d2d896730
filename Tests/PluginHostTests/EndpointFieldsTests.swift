import OGHost
import Testing

/// `tls add`/`tls update` reach the library as named field values (`EndpointFields`),
/// not as command-line words: the library keeps their order for messages and refuses
/// a field given twice, naming the field, never an option spelling.
@Suite struct EndpointFieldsTests {
    @Test func fieldsKeepTheOrderGiven() throws {
        let fields = try EndpointFields([("name", "web"), ("connection_type", "local"), ("path", "/srv/a.p12")])
        #expect(fields.order == ["name", "connection_type", "path"])
        #expect(fields["path"] == "/srv/a.p12" && fields["host"] == nil)
        #expect(!fields.isEmpty && EndpointFields().isEmpty)
    }

    @Test func aFieldGivenTwiceIsRefusedByName() {
        #expect {
            try EndpointFields([("name", "a"), ("port", "22"), ("name", "b")])
        } throws: { error in
            let failure = GatewayError.classify(error)
            return failure.field == "name" && failure.category == .badInput
                && failure.message == "name: is given more than once; give it once"
        }
        #expect(throws: GatewayError.self) { try EndpointFields([("", "x")]) }
    }
}
