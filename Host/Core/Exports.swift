// Front ends (the og-host CLI, a daemon) import OGHost alone: the value types
// they receive from its services and print are re-exported here, so they
// never reach past the core into the layers below.
@_exported import struct OGInventory.AuditRecord
@_exported import struct OGInventory.EndpointRecord
@_exported import struct OGInventory.EndpointSummary
@_exported import struct OGInventory.ManagedCertificateRecord
@_exported import struct OGInventory.TrustAnchorRecord
@_exported import struct OGCredentials.Credential
@_exported import struct OGCredentials.CredentialSummary
@_exported import class OGCredentials.Secret
@_exported import enum OGConformance.ConformanceSuite
@_exported import enum OGConformance.ConformanceRunner
@_exported import struct OGConformance.ConformanceReport
@_exported import struct OGInventory.ACMEIssuerRecord
@_exported import struct OGInventory.ACMEOrderRecord
@_exported import class OGConformance.FixtureEndpoint
@_exported import struct OGInventory.RenewalScheduleRecord
@_exported import struct OGInventory.RenewalDefaults
@_exported import struct OGInventory.GatewayEvent
@_exported import enum OGPlugins.PluginSlotWatch
@_exported import struct OGInventory.CommandIssuerRecord
@_exported import struct OGPlugins.OptionSpec
@_exported import struct OGInventory.BindingDeployState
@_exported import enum OGBasics.StandardStreams
@_exported import class OGConnections.SSHConnectionPool
@_exported import enum OGBasics.Table
@_exported import enum OGPlugins.PluginListing
