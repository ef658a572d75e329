/**
 * Messages counted per topic, for stats. A node mostly sends (and receives) one topic after another
 * of the same kind, a CP its telemetry, and a simulation's log alternates two (a reading, then the
 * driver's update). So the runs of the last two topics are counted in fields, costing a comparison
 * or two per message, and added to the per-topic record when a third topic comes (or the counts are
 * read); a store by topic name per message cost some 20 ns, on every message of a simulation.
 *
 * @example
 * const published = new TopicCounts();
 * published.add('cp.telemetry');
 * published.add('cp.telemetry');
 * published.snapshot(); // { 'cp.telemetry': 2 }
 */
export class TopicCounts {
  /** Every topic counted, in the order they first came; the runs below are not in it yet. */
  private readonly counted: Record<string, number> = {};
  /** The latest topic's run and the one before (`undefined`: none). */
  private latest: string | undefined;
  private latestRun = 0;
  private previous: string | undefined;
  private previousRun = 0;

  /** Counts one message of `topic`. */
  add(topic: string): void {
    if (topic === this.latest) {
      this.latestRun++;
    } else if (topic === this.previous) {
      this.previousRun++;
    } else {
      this.settle(this.previous, this.previousRun);
      this.previous = this.latest;
      this.previousRun = this.latestRun;
      this.latest = topic;
      this.latestRun = 1;
      // A topic takes its place in the record when it first comes.
      if (!Object.hasOwn(this.counted, topic)) this.counted[topic] = 0;
    }
  }

  /** The counts so far, by topic, in the order the topics first came. */
  snapshot(): Record<string, number> {
    const out = { ...this.counted };
    if (this.latest !== undefined) out[this.latest]! += this.latestRun;
    if (this.previous !== undefined) out[this.previous]! += this.previousRun;
    return out;
  }

  private settle(topic: string | undefined, run: number): void {
    if (topic !== undefined) this.counted[topic]! += run;
  }
}
