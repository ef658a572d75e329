export { centralRole } from './central-role.js';
export { cpEngineRole } from './cp-engine-role.js';
export { cpMonitorRole } from './cp-monitor-role.js';
export { driverRole } from './driver-role.js';

import { centralRole } from './central-role.js';
import { cpEngineRole } from './cp-engine-role.js';
import { cpMonitorRole } from './cp-monitor-role.js';
import { driverRole } from './driver-role.js';

/** Every role by its entry point's name (`dist/<name>.js`). */
export const ROLES = {
  central: centralRole,
  'cp-engine': cpEngineRole,
  'cp-monitor': cpMonitorRole,
  driver: driverRole,
} as const;
export type RoleName = keyof typeof ROLES;
