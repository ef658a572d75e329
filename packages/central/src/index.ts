export {
  type CentralController,
  type CentralControllerOptions,
  type CentralHttpOptions,
  type CentralTcpOptions,
  centralController,
} from './central-controller.js';
export type {
  CentralEventStream,
  CentralEvents,
  CpChangedEvent,
  CpReadingEvent,
  SessionChangedEvent,
} from './central-events.js';
export {
  type Actor,
  type CentralService,
  type CentralSettings,
  IN_PROCESS,
  type MonitorOutcome,
  type OperatorCommand,
  type OperatorResult,
  type SessionView,
} from './central-service.js';
export { type CentralConfig, CentralConfigSchema } from './config/central-config.js';
export {
  type CpDefinition,
  CpDefinitionError,
  CpDefinitionSchema,
  checkCpDefinitions,
  loadCpDefinitions,
  parseCpCsv,
} from './config/cp-definitions.js';
export * from './dashboard/index.js';
export type { CentralReport, CpReport } from './domain/central-report.js';
export type { CpDefaults, CpRegistryView, CpView } from './domain/cp-registry.js';
export type { CentralFigures, CentralMetrics } from './metrics/central-metrics.js';
export {
  ALLOCATION_POLICIES,
  type Allocation,
  AllocationError,
  type AllocationInput,
  type AllocationPolicy,
  allocationPolicy,
  checkAllocation,
  earliestDeadlineFirst,
  equalShare,
  leastLaxityFirst,
  type SessionDemand,
  uncontrolled,
} from './smart-charging/allocation-policy.js';
export {
  checkSites,
  type Site,
  type SiteDefinition,
  SiteDefinitionError,
  SiteDefinitionSchema,
} from './smart-charging/site.js';
export type { SiteReport } from './smart-charging/site-figures.js';
export type {
  SiteLoad,
  SmartCharging,
  SmartChargingSettings,
  StartGrant,
} from './smart-charging/smart-charging.js';
export type { CentralStats, CpFigures, DenialKind, FaultOrigin } from './stats/central-stats.js';
export * from './store/central-store.js';
export { MemoryCentralStore } from './store/memory-central-store.js';
export { openCentralStore } from './store/open-central-store.js';
export {
  SqliteCentralStore,
  type SqliteCentralStoreOptions,
  StoreVersionError,
} from './store/sqlite-central-store.js';
export type { Migration } from './store/sqlite-migrations.js';
export { BETTER_SQLITE3_RANGE, SqliteUnavailableError } from './store/sqlite-unavailable-error.js';
// The type of a public member (ControlPlaneClient.expect), named for users and the API reference.
export type { ControlReply } from './tcp/control-commands.js';
export { ControlPlaneClient, type ControlPlaneClientOptions } from './tcp/control-plane-client.js';
export { CENTRAL_TOKENS } from './tokens.js';
