import { token } from '@evcharging/core';
import type { CentralService, CentralSettings } from './central-service.js';
import type { CentralMetrics } from './metrics/central-metrics.js';
import type { CentralStore } from './store/central-store.js';

/** DI tokens of the central package. */
export const CENTRAL_TOKENS = {
  /** The running Central, exposed to every plugin of its node (dashboards, reports). */
  Central: token<CentralService>('@evcharging/central/Central'),
  Store: token<CentralStore>('@evcharging/central/CentralStore'),
  Settings: token<CentralSettings>('@evcharging/central/CentralSettings'),
  Metrics: token<CentralMetrics>('@evcharging/central/CentralMetrics'),
} as const;
