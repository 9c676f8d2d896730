/// The columns of an endpoint that a listing table shows, read without
/// decoding the options and secret references the table never prints:
/// `tls list` over 10,000 endpoints spent most of its time decoding those.
public struct EndpointSummary: Sendable, Equatable {
    public var id: String
    public var name: String
    public var type: String
    public var connectionType: String
    public var host: String
    public var port: Int?
}
