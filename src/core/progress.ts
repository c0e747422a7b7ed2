/**
 * Progress for long work: a bar with rate and ETA on a TTY, periodic log lines otherwise (pipes,
 * files, CI=true). Callers only call `tick()`/`update()` and `stop()`.
 */
import cliProgress from 'cli-progress';
import { logger } from './log.js';

export interface ProgressOptions {
  label: string;
  total: number;
  unit?: string;
  /** Seconds between log lines when not on a TTY. */
  logEverySec?: number;
  /** Force a mode (tests); default picks the bar only on an interactive, non-CI terminal. */
  mode?: 'bar' | 'log' | 'silent';
}

export function interactiveTerminal(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env.CI;
}

export class Progress {
  private readonly bar?: cliProgress.SingleBar;
  private readonly start = Date.now();
  private lastLog = Date.now();
  private current = 0;
  private extra: Record<string, unknown> = {};
  private readonly mode: 'bar' | 'log' | 'silent';

  constructor(private readonly options: ProgressOptions) {
    this.mode = options.mode ?? (interactiveTerminal() ? 'bar' : 'log');
    if (this.mode === 'bar') {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${options.label} |{bar}| {percentage}% {value}/{total} ${options.unit ?? ''} | {rate}/s | ETA {eta_formatted} {info}`,
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(options.total, 0, { rate: '0', info: '' });
    }
  }

  get value(): number {
    return this.current;
  }

  tick(n = 1, extra?: Record<string, unknown>): void {
    this.update(this.current + n, extra);
  }

  update(value: number, extra?: Record<string, unknown>): void {
    this.current = value;
    if (extra) this.extra = { ...this.extra, ...extra };
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = elapsed > 0 ? value / elapsed : 0;
    if (this.bar) {
      const info = Object.entries(this.extra)
        .map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toPrecision(4) : v}`)
        .join(' ');
      this.bar.update(value, { rate: rate.toFixed(1), info });
    } else if (this.mode === 'log' && (Date.now() - this.lastLog) / 1000 >= (this.options.logEverySec ?? 10)) {
      this.lastLog = Date.now();
      const eta = rate > 0 ? (this.options.total - value) / rate : NaN;
      logger.info(`${this.options.label}: ${value}/${this.options.total}`, {
        rate: +rate.toFixed(2),
        eta_s: Number.isFinite(eta) ? Math.round(eta) : 'unknown',
        ...this.extra,
      });
    }
  }

  stop(): void {
    if (this.bar) this.bar.stop();
    else if (this.mode === 'log') {
      logger.info(`${this.options.label}: done ${this.current}/${this.options.total}`, {
        seconds: +((Date.now() - this.start) / 1000).toFixed(1),
      });
    }
  }
}
