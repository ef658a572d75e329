export { CentralDashboardSource, type CentralDashboardSourceOptions } from './central-dashboard-source.js';
export type {
  DashboardCpDelta,
  DashboardDeltaMessage,
  DashboardFeedTiming,
  DashboardFeedTotals,
  DashboardSnapshotMessage,
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
export type { DashboardSiteDelta, DashboardSiteSeries, SiteSample } from './site-load-history.js';
