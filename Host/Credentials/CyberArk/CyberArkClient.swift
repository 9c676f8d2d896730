import Foundation

/// Fetches accounts from a CyberArk Central Credential Provider:
/// `GET {ccp}/AIMWebService/api/Accounts?AppID=…&Safe=…&Object=…`. The CCP
/// authenticates the application by its address, or by the client certificate
/// the `send` function presents (see `CyberArkSettings.authCertPath`).
///
/// An account maps to a credential as `UserName` plus `Content` as the
/// password; an account with a `PrivateKeyPath` property is a key login, with
/// `Content`, if any, as the key's passphrase.
public struct CyberArkClient: Sendable {
    public let storeName: String
    public let settings: CyberArkSettings
    public let send: StoreHTTP.Send

    public init(storeName: String, settings: CyberArkSettings, send: @escaping StoreHTTP.Send) {
        self.storeName = storeName
        self.settings = settings
        self.send = send
    }

    public func credential(id: String) throws -> Credential {
        let query: CyberArkQuery
        do { query = try CyberArkQuery(id) } catch { throw ExternalStoreError(store: storeName, id: id, error) }
        let base = settings.ccpURL.hasSuffix("/") ? String(settings.ccpURL.dropLast()) : settings.ccpURL
        let url = "\(base)/AIMWebService/api/Accounts?\(query.queryString(appID: settings.appID))"
        let response: StoreHTTP.Response
        do {
            response = try send(StoreHTTP.Request(method: "GET", url: url, headers: [("Accept", Secret("application/json"))]))
        } catch let error as ExternalStoreError {
            throw error
        } catch {
            throw ExternalStoreError(store: storeName, id: id, .unreachable("\(error)"))
        }
        let object = response.body.withUnsafeBytes { (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any] }
        let problem = [object?["ErrorCode"] as? String, object?["ErrorMsg"] as? String].compactMap { $0 }.joined(separator: " ")
        let detail = problem.isEmpty ? "HTTP \(response.status)" : "HTTP \(response.status): \(problem)"
        switch response.status {
        case 200: break
        case 404:
            throw ExternalStoreError(store: storeName, id: id, .secretMissing("no account matches the query (\(detail)); check Safe, Object and the AppID's safe membership"))
        case 401, 403:
            throw ExternalStoreError(store: storeName, id: id, .authenticationRefused(
                "the CCP refused application '\(settings.appID)' (\(detail)); check its allowed machines or client certificate"))
        default:
            throw ExternalStoreError(store: storeName, id: id, .unexpectedAnswer(detail))
        }
        guard let account = object else {
            throw ExternalStoreError(store: storeName, id: id, .unexpectedAnswer("the answer is not a JSON object"))
        }
        let content = account["Content"] as? String
        if let content, content.hasPrefix("-----BEGIN"), account["PrivateKeyPath"] == nil {
            throw ExternalStoreError(store: storeName, id: id, .wrongShape(
                "Content holds a private key, but og-host logs in with key files; give the account a PrivateKeyPath property "
                + "naming the key file on the gateway (Content is then its passphrase)"))
        }
        do {
            if let path = account["PrivateKeyPath"] as? String {
                return try SecretShape.credential(username: account["UserName"] as? String, password: nil,
                                                  privateKeyPath: path, passphrase: content)
            }
            return try SecretShape.credential(username: account["UserName"] as? String, password: content,
                                              privateKeyPath: nil, passphrase: nil)
        } catch {
            let renamed: ExternalStoreError.Failure
            if case .wrongShape(let text) = error {
                renamed = .wrongShape(text.replacingOccurrences(of: "'username'", with: "'UserName'")
                    .replacingOccurrences(of: "'password'", with: "'Content'"))
            } else {
                renamed = error
            }
            throw ExternalStoreError(store: storeName, id: id, renamed)
        }
    }
}
