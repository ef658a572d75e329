import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { validateSchema } from '@evcharging/core';
import { type Static, Type } from '@sinclair/typebox';
import type { DriverResult } from './driver-result.js';

/** A request sent and not yet answered: kept durably so a restarted driver can match its outcome. */
export interface PendingRequest {
  request_id: string;
  cp_id: string;
  /** Position in the request list. */
  index: number;
  requested_at: string;
  target_kwh?: number;
  duration_s?: number;
}

const PendingSchema = Type.Object({
  request_id: Type.String({ minLength: 1 }),
  cp_id: Type.String({ minLength: 1 }),
  index: Type.Integer({ minimum: 0 }),
  requested_at: Type.String(),
});

const StateSchema = Type.Object({
  version: Type.Literal(1),
  driver_id: Type.String({ minLength: 1 }),
  cursor: Type.Integer({ minimum: 0 }),
  round: Type.Integer({ minimum: 0 }),
  runs: Type.Optional(Type.Integer({ minimum: 0 })),
  pending: Type.Array(PendingSchema),
  results: Type.Array(Type.Object({ request_id: Type.String(), status: Type.String() })),
});

/** What a driver keeps across restarts: where it is in its list, what is pending, what it got. */
export interface DriverState {
  version: 1;
  driver_id: string;
  /** Index of the next request to send. */
  cursor: number;
  /** How many times the list was gone through (loop mode). */
  round: number;
  /** How many times the driver started with this state (request ids differ per run). */
  runs?: number;
  pending: PendingRequest[];
  /** Outcomes so far (the most recent ones, bounded by the driver's `resultLimit`). */
  results: DriverResult[];
}

/** Where a driver keeps its {@link DriverState}. Saving must be atomic: a crash leaves the old or the new state. */
export interface DriverStateStore {
  load(): Promise<DriverState | undefined>;
  save(state: DriverState): Promise<void>;
}

/** A copy that shares the result objects: a driver never changes a result once recorded. */
function copy(state: DriverState): DriverState {
  return { ...state, pending: state.pending.map((p) => ({ ...p })), results: [...state.results] };
}

/**
 * Keeps the state in memory. Pass the same instance to a re-created driver to simulate a restart
 * in one process.
 */
export class MemoryDriverStateStore implements DriverStateStore {
  private state: DriverState | undefined;

  async load(): Promise<DriverState | undefined> {
    return this.state ? copy(this.state) : undefined;
  }

  async save(state: DriverState): Promise<void> {
    this.state = copy(state);
  }
}

/** A state file that exists but is not a driver state; names the file. */
export class DriverStateFileError extends Error {
  override readonly name = 'DriverStateFileError';
}

/**
 * Keeps the state in a JSON file, written atomically (temporary file, then rename) and one save at a
 * time, so a driver killed at any moment restarts from a whole state.
 *
 * @example
 * driverClient({ driverId: 'driver-alice', requests: 'requests.txt', store: new JsonFileDriverStateStore('alice.json') });
 */
export class JsonFileDriverStateStore implements DriverStateStore {
  private chain: Promise<void> = Promise.resolve();
  private seq = 0;

  constructor(readonly path: string) {}

  async load(): Promise<DriverState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new DriverStateFileError(`${this.path}: not JSON (${(error as Error).message})`);
    }
    const checked = validateSchema<Static<typeof StateSchema>>(StateSchema, parsed);
    if (!checked.ok)
      throw new DriverStateFileError(`${this.path}: not a driver state: ${checked.reasons.join('; ')}`);
    return parsed as DriverState;
  }

  save(state: DriverState): Promise<void> {
    const text = `${JSON.stringify(state)}\n`;
    const tmp = `${this.path}.${process.pid}.${++this.seq}.tmp`;
    const next = this.chain.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(tmp, text, 'utf8');
      await rename(tmp, this.path);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
