import Foundation

/// A CyberArk credential ID: `Safe=Linux;Object=web-root`, the query the CCP
/// matches accounts by, written as `key=value` pairs separated by `;`.
public struct CyberArkQuery: Equatable, Sendable {
    public var parameters: [(key: String, value: String)]

    public static func == (lhs: CyberArkQuery, rhs: CyberArkQuery) -> Bool {
        lhs.parameters.elementsEqual(rhs.parameters) { $0.key == $1.key && $0.value == $1.value }
    }

    public init(_ id: String) throws(ExternalStoreError.Failure) {
        var parameters: [(key: String, value: String)] = []
        for pair in id.split(separator: ";", omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw .configuration("'\(pair)' is not key=value; write the ID as Safe=S;Object=O")
            }
            let key = pair[..<equals].trimmingCharacters(in: .whitespaces)
            guard key.caseInsensitiveCompare("AppID") != .orderedSame else {
                throw .configuration("AppID comes from the store's field `appid`; leave it out of the ID")
            }
            parameters.append((key, String(pair[pair.index(after: equals)...])))
        }
        guard !parameters.isEmpty else { throw .configuration("the ID is empty; write it as Safe=S;Object=O") }
        self.parameters = parameters
    }

    /// `AppID=…&key=value&…`, percent-encoded.
    public func queryString(appID: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+;#")
        func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text }
        return ([("AppID", appID)] + parameters).map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }
}
