export { CentralDashboardSource, type CentralDashboardSourceOptions } from './central-dashboard-source.js';
export { type CentralStoreTap, type StoreWrite, tapCentralStore } from './central-store-tap.js';
export {
  type DashboardCpDelta,
  type DashboardDeltaMessage,
  DashboardFeed,
  type DashboardFeedClient,
  type DashboardFeedOptions,
  type DashboardFeedSink,
  type DashboardFeedStats,
  type DashboardFeedTiming,
  type DashboardFeedTotals,
  type DashboardSnapshotMessage,
} from './dashboard-feed.js';
export * from './dashboard-source.js';
export {
  DASHBOARD_STREAM_PATH,
  type DashboardCommandPaths,
  type DashboardHandle,
  type DashboardOptions,
  type DashboardSettings,
  DEFAULT_COMMAND_PATHS,
  defaultDashboardAssetsDir,
  registerDashboard,
} from './register-dashboard.js';
