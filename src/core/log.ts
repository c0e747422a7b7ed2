/**
 * Logging: readable lines on a terminal, JSON lines with `--log-format json`. Logs go to stderr so
 * that stdout stays free for a command's result (JSON, answers, tables).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  write?: (line: string) => void;
  fields?: Record<string, unknown>;
}

export class Logger {
  level: LogLevel;
  format: LogFormat;
  private readonly write: (line: string) => void;
  private readonly fields: Record<string, unknown>;

  constructor(options: LoggerOptions = {}) {
    this.level = options.level ?? 'info';
    this.format = options.format ?? 'text';
    this.write = options.write ?? ((line) => process.stderr.write(line + '\n'));
    this.fields = options.fields ?? {};
  }

  /** A logger that adds `fields` to every record (e.g. the component name). */
  child(fields: Record<string, unknown>): Logger {
    return new Logger({ level: this.level, format: this.format, write: this.write, fields: { ...this.fields, ...fields } });
  }

  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= LEVELS[this.level];
  }

  log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    if (!this.enabled(level)) return;
    const all = { ...this.fields, ...fields };
    if (this.format === 'json') {
      this.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...all }));
      return;
    }
    const extras = Object.entries(all)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const tag = level === 'info' ? '' : `${level}: `;
    this.write(`${tag}${msg}${extras ? '  ' + extras : ''}`);
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : v.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
}

/** The process-wide logger; the CLI configures it from --log-format / --log-level. */
export const logger = new Logger();

export function configureLogger(options: { level?: LogLevel; format?: LogFormat }): void {
  if (options.level) logger.level = options.level;
  if (options.format) logger.format = options.format;
}
