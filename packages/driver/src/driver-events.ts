import type { DriverUpdate } from '@evcharging/core';
import type { DriverResult, DriverSummary } from './driver-result.js';

/** Progress a driver reports on its node's local bus (for a UI, a test, a health endpoint). */
declare module '@evcharging/core' {
  interface LocalBusEvents {
    /** A request was sent; `index` is its position in the list, `total` the list's length. */
    'driver.request_sent': {
      driverId: string;
      request_id: string;
      cp_id: string;
      index: number;
      total: number;
    };
    /** An update for one of the driver's requests arrived. */
    'driver.update': { driverId: string; update: DriverUpdate };
    /** A request reached its outcome; `finished` counts the outcomes so far. */
    'driver.result': { driverId: string; result: DriverResult; finished: number; total: number };
    /** The list is done (not emitted in loop mode). */
    'driver.finished': { driverId: string; summary: DriverSummary };
  }
}
