/**
 * A progress line for long work: on a terminal, one line redrawn in place at most ten times a second;
 * elsewhere (logs, CI), a plain line at every quarter so a log stays readable.
 */
export class ProgressBar {
  private lastDraw = 0;
  private lastQuarter = -1;
  private readonly startedAt = performance.now();
  private smoothedRate = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly width = 28,
  ) {}

  /**
   * `done` of `total` units; `label` leads the line and `detail` ends it. The ETA is for the units left of
   * the whole work, `left` (default: of these `total`), at the smoothed rate.
   */
  update(label: string, done: number, total: number, rate: number, detail: string, left = total - done): void {
    this.smoothedRate = this.smoothedRate === 0 ? rate : 0.8 * this.smoothedRate + 0.2 * rate;
    const fraction = total === 0 ? 1 : done / total;
    const eta = this.smoothedRate > 0 ? left / this.smoothedRate : 0;
    const text = `${label} ${bar(fraction, this.width)} ${done}/${total} ${Math.round(this.smoothedRate)} img/s ETA ${duration(eta)} ${detail}`;
    const now = performance.now();
    if (this.stream.isTTY) {
      if (now - this.lastDraw < 100 && done < total) return;
      this.lastDraw = now;
      this.stream.write(`\r${text.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
    } else {
      const quarter = Math.floor(fraction * 4);
      if (quarter === this.lastQuarter || quarter === 0) return;
      this.lastQuarter = quarter;
      this.stream.write(`${text}\n`);
    }
  }

  /** Clears the line so the next output starts clean. */
  finish(): void {
    if (this.stream.isTTY) this.stream.write('\r\x1b[K');
    this.lastQuarter = -1;
  }

  elapsedSeconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** Seconds as m:ss or h:mm:ss. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
