import OGPluginKit

/// Reads conf/server.xml of the endpoint's CATALINA_BASE through the host
/// and parses it; every failure names the file and what to correct.
struct ServerXMLReader {
    let target: TomcatEndpoint
    let host: HostServices

    func read() throws -> ServerConfiguration {
        let path = target.serverXML
        let bytes: [UInt8]
        do {
            bytes = try host.readFile(path)
        } catch let error as PluginError where error.status == .notFound {
            throw PluginError(status: .notFound, field: "tomcat_base",
                              message: "\(path) does not exist on the endpoint; give the instance directory holding "
                                  + "conf/server.xml with --tomcat_base (or --tomcat_dir)")
        }
        let document: XMLDocument
        do {
            document = try XMLDocument(path: path, bytes: bytes)
        } catch let problem as XMLProblem {
            throw PluginError(status: .parse, field: "tomcat_base",
                              message: problem.description + "; nothing was changed")
        }
        return try ServerConfiguration(document: document, catalinaBase: target.base, catalinaHome: target.home)
    }
}
