export {
  type CentralController,
  type CentralControllerOptions,
  type CentralHttpOptions,
  type CentralTcpOptions,
  centralController,
} from './central-controller.js';
export type { CpChangedEvent, SessionChangedEvent } from './central-events.js';
export {
  type Actor,
  CentralService,
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
export type { CpRegistryView, CpView } from './domain/cp-registry.js';
export { type DisplayInputs, displayState } from './domain/display-state.js';
export { type CentralHttpDeps, createCentralHttpServer } from './http/central-http-server.js';
export { renderCpListPage, STATE_COLOURS } from './http/cp-list-page.js';
export { CentralMetrics, type DenialKind, type MessageCounts } from './metrics/central-metrics.js';
export * from './store/central-store.js';
export { MemoryCentralStore } from './store/memory-central-store.js';
export { openCentralStore } from './store/open-central-store.js';
export {
  SqliteCentralStore,
  type SqliteCentralStoreOptions,
  StoreVersionError,
} from './store/sqlite-central-store.js';
export { MIGRATIONS, type Migration } from './store/sqlite-migrations.js';
export { BETTER_SQLITE3_RANGE, SqliteUnavailableError } from './store/sqlite-unavailable-error.js';
export {
  type ControlContext,
  type ControlReply,
  type ControlSession,
  runControlFrame,
} from './tcp/control-commands.js';
export { ControlPlaneClient, type ControlPlaneClientOptions } from './tcp/control-plane-client.js';
export { type ControlPlaneOptions, ControlPlaneServer } from './tcp/control-plane-server.js';
export {
  ACK,
  type DecodedItem,
  ETX,
  encodeFrame,
  FrameDecoder,
  type FrameDecoderOptions,
  type FrameProblem,
  lrc,
  NACK,
  STX,
} from './tcp/frame-codec.js';
export { CENTRAL_TOKENS } from './tokens.js';
