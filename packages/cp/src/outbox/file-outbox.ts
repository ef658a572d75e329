import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { type SessionEnd, SessionEndSchema, validateSchema } from '@evcharging/core';
import { Type } from '@sinclair/typebox';
import type { InflightSession, OutboxContents, TicketOutbox } from './ticket-outbox.js';

const InflightSchema = Type.Object(
  {
    cp_id: Type.String({ minLength: 1 }),
    session_id: Type.String({ minLength: 1 }),
    driver_id: Type.String({ minLength: 1 }),
    request_id: Type.Optional(Type.String()),
    start_ms: Type.Number(),
    updated_ms: Type.Number(),
    energy_kwh: Type.Number({ minimum: 0 }),
    price_eur_kwh: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: true },
);

const OutboxFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    tickets: Type.Array(SessionEndSchema),
    inflight: Type.Optional(Type.Union([InflightSchema, Type.Null()])),
  },
  { additionalProperties: true },
);

interface OutboxFile {
  version: 1;
  tickets: SessionEnd[];
  inflight?: InflightSession | null;
}

/** Thrown when an outbox file exists but cannot be used; names the file and what is wrong. */
export class OutboxFileError extends Error {
  override readonly name = 'OutboxFileError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`ticket outbox "${path}": ${reason}`);
  }
}

/**
 * A durable outbox: one JSON file, rewritten atomically on every change (write a temporary file,
 * fsync it, rename it over the old one, fsync the directory), so a crash leaves either the old or
 * the new contents, never half of one. Writes are synchronous on purpose: a ticket must be on disk
 * before it is published, and one engine writes one small file about once per telemetry interval.
 *
 * @example
 * chargingPointEngine({ cpId: 'CP-001', outbox: new FileOutbox('/var/lib/evcharging/CP-001.outbox.json') });
 */
export class FileOutbox implements TicketOutbox {
  private tickets: SessionEnd[] = [];
  private inflight: InflightSession | undefined;
  private loaded = false;

  constructor(readonly path: string) {}

  async load(): Promise<OutboxContents> {
    let text: string | undefined;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new OutboxFileError(this.path, `cannot read: ${(error as Error).message}`);
      }
    }
    if (text !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new OutboxFileError(this.path, `not valid JSON: ${(error as Error).message}`);
      }
      const result = validateSchema<OutboxFile>(OutboxFileSchema, parsed);
      if (!result.ok)
        throw new OutboxFileError(this.path, `unexpected contents: ${result.reasons.join('; ')}`);
      this.tickets = result.value.tickets;
      this.inflight = result.value.inflight ?? undefined;
    } else {
      mkdirSync(dirname(this.path), { recursive: true });
    }
    this.loaded = true;
    return {
      tickets: [...this.tickets],
      ...(this.inflight ? { inflight: { ...this.inflight } } : {}),
    };
  }

  async add(ticket: SessionEnd): Promise<void> {
    if (!this.tickets.some((t) => t.session_id === ticket.session_id)) this.tickets.push(ticket);
    this.inflight = undefined;
    this.write();
  }

  async remove(sessionId: string): Promise<void> {
    const i = this.tickets.findIndex((t) => t.session_id === sessionId);
    if (i < 0) return;
    this.tickets.splice(i, 1);
    this.write();
  }

  pending(): readonly SessionEnd[] {
    return this.tickets;
  }

  async saveInflight(session: InflightSession | undefined): Promise<void> {
    this.inflight = session ? { ...session } : undefined;
    this.write();
  }

  private write(): void {
    // Never overwrite a previous run's file before reading it: its tickets would be lost.
    if (!this.loaded) throw new OutboxFileError(this.path, 'load() must be called before writing');
    const contents: OutboxFile = { version: 1, tickets: this.tickets, inflight: this.inflight ?? null };
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(contents));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    syncDirectory(dirname(this.path));
  }
}

/** Makes a rename durable; some platforms cannot open a directory, which is then best effort. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // fsync on a directory is not supported everywhere (e.g. Windows); the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
