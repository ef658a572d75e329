import {
  type Clock,
  type Envelope,
  FifoQueue,
  isPending,
  microtask,
  type TopicName,
  VirtualClock,
} from '@evcharging/core';
import type { ConsumerGroup, GroupMember } from './consumer-group.js';
import type { StoredMessage } from './stored-message.js';

/**
 * Runs `callback` soon, at the current time, but never inside the caller. In virtual time a
 * microtask: the clock settles promise continuations after every timer, so a whole chain of
 * deliveries at one instant costs no extra timers. In real time `setImmediate`, which lets I/O and
 * timers in between (a publish/handle ping-pong cannot starve the process).
 */
function deferOn(clock: Clock, callback: () => void): void {
  if (clock instanceof VirtualClock) microtask(callback);
  else setImmediate(callback);
}

/**
 * What a handler receives beside the value: a new object per delivery, so no handler can change
 * another's (in the simulation lane the value inside is the one frozen message every group shares).
 */
function envelopeOf(message: StoredMessage, value: unknown, attempt: number): Envelope<TopicName> {
  return {
    topic: message.topic,
    key: message.key,
    value: value as Envelope<TopicName>['value'],
    ts: message.ts,
    headers: message.headers,
    partition: message.partition,
    offset: message.offset,
    attempt,
  };
}

/** Where the simulation lane queues lanes with messages due (see `InstantDispatcher`). */
export interface LaneDispatcher {
  add(lane: Lane): void;
}

/**
 * One pending lane: the messages of one partition (or of one key, for key-filtered groups) waiting
 * for a group. It delivers them one at a time, in order, and retries a failed one with backoff.
 *
 * Two ways to deliver, by the broker's mode. Standard: each wake-up is a microtask (virtual time)
 * or `setImmediate` (real time) running {@link run}, which parses the message for this delivery and
 * awaits an async handler. Simulation lane: the lane joins the broker's dispatcher, whose one loop
 * calls {@link dispatch}: the frozen message goes to the handler as it was published, and only an
 * async handler's promise suspends the lane (its settling resumes it).
 */
export class Lane {
  readonly queue = new FifoQueue<StoredMessage>();
  /** The message taken off the queue: in a handler, or waiting for its redelivery. Never trimmed. */
  private current: StoredMessage | undefined;
  private scheduled = false;
  private busy = false;
  private attempt = 0;
  /** Simulation lane: the member whose async handler holds `current`. */
  private handling: GroupMember | undefined;
  /**
   * Starts a scheduled delivery run: one closure per lane, not one per wake-up, made at the first
   * wake-up (a node of 10,000 CPs has a lane per engine, most of them never woken while idle).
   */
  private start: (() => void) | undefined;
  /** Simulation lane: an async handler's outcome, bound once per lane rather than per message. */
  private settled: [onHandled: () => void, onFailed: (error: unknown) => void] | undefined;

  constructor(
    private readonly group: ConsumerGroup,
    readonly partition: number,
  ) {}

  get idle(): boolean {
    return !this.busy && !this.scheduled && (this.waiting === 0 || !this.group.ownerOf(this.partition));
  }

  /** Messages not yet handled, including the one in hand. */
  get waiting(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  /** Schedules a delivery run on the owner's clock if one is needed and none is pending. */
  wake(delayMs = 0): void {
    if (this.scheduled || this.busy || this.waiting === 0) return;
    const owner = this.group.ownerOf(this.partition);
    if (!owner) return;
    this.scheduled = true;
    const dispatcher = this.group.host.dispatcher;
    this.start ??= this.starter(dispatcher);
    if (delayMs > 0) owner.clock.setTimeout(this.start, delayMs);
    else if (dispatcher) dispatcher.add(this);
    else deferOn(owner.clock, this.start);
  }

  private starter(dispatcher: LaneDispatcher | undefined): () => void {
    if (dispatcher) return () => dispatcher.add(this);
    return () => {
      this.scheduled = false;
      void this.run();
    };
  }

  /**
   * Simulation lane: delivers every message that is due, now, in one synchronous loop. Called by the
   * dispatcher (never inside `publish`), and again when an async handler's promise settles.
   */
  dispatch(): void {
    this.scheduled = false;
    this.busy = true;
    for (;;) {
      const message = this.current ?? this.queue.peek();
      const owner = this.group.ownerOf(this.partition);
      if (!message || !owner) break;
      const wait = message.deliverAt - owner.clock.now();
      if (wait > 0) {
        this.busy = false;
        this.wake(wait);
        break;
      }
      if (!this.current) this.current = this.queue.shift();
      this.attempt++;
      const envelope = envelopeOf(message, message.payload, this.attempt);
      let result: void | Promise<void>;
      try {
        result = owner.handler(envelope.value, envelope);
      } catch (error) {
        if (this.failed(owner, message, envelope.value, error)) continue;
        break;
      }
      if (isPending(result)) {
        // Only this lane waits for the promise; the dispatcher goes on with the others.
        this.handling = owner;
        this.settled ??= [() => this.resume(undefined, false), (error) => this.resume(error, true)];
        result.then(this.settled[0], this.settled[1]);
        return;
      }
      this.handled(owner, message);
    }
    this.busy = false;
    this.group.host.activityChanged();
  }

  /** Simulation lane: an async handler settled; record its outcome and deliver on. */
  private resume(error: unknown, failed: boolean): void {
    const owner = this.handling!;
    const message = this.current!;
    this.handling = undefined;
    if (!failed) this.handled(owner, message);
    else if (!this.failed(owner, message, message.payload, error)) {
      this.group.host.activityChanged();
      return;
    }
    this.dispatch();
  }

  /** Standard mode: one delivery run, parsing each message for this group and awaiting async handlers. */
  private async run(): Promise<void> {
    const host = this.group.host;
    this.busy = true;
    try {
      for (;;) {
        const message = this.current ?? this.queue.peek();
        const owner = this.group.ownerOf(this.partition);
        if (!message || !owner) return;
        const wait = message.deliverAt - owner.clock.now();
        if (wait > 0) {
          this.busy = false;
          this.wake(wait);
          return;
        }
        // Taken off the queue, so retention trimming the queue can never drop the message in hand.
        if (!this.current) this.current = this.queue.shift();
        this.attempt++;
        const value = host.decode(message);
        const envelope = envelopeOf(message, value, this.attempt);
        try {
          const result = owner.handler(envelope.value, envelope);
          if (isPending(result)) await result;
        } catch (error) {
          if (this.failed(owner, message, value, error)) continue;
          return;
        }
        this.handled(owner, message);
      }
    } finally {
      this.busy = false;
      host.activityChanged();
    }
  }

  private handled(owner: GroupMember, message: StoredMessage): void {
    this.current = undefined;
    this.attempt = 0;
    owner.onDelivered(message.topic);
  }

  /**
   * A handler threw or rejected: dead-letters the message after the last attempt (true: deliver on)
   * or schedules its redelivery with backoff (false: this run stops).
   */
  private failed(owner: GroupMember, message: StoredMessage, value: unknown, error: unknown): boolean {
    const host = this.group.host;
    if (this.attempt >= host.maxAttempts) {
      host.deadLetter(this.group.id, message, value, error, this.attempt);
      owner.onDeadLetter(message.topic);
      this.current = undefined;
      this.attempt = 0;
      return true;
    }
    this.busy = false;
    this.wake(host.redeliveryDelayMs * 2 ** (this.attempt - 1));
    return false;
  }
}
