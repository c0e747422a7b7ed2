/**
 * The run directory of a training recipe (docs/design.md: runs/<name>/ holds the resolved config,
 * metrics.jsonl, checkpoints and traces) and the phases inside it.
 *
 * A pipeline is a sequence of named phases ("sft", "q", "iter2.policy", ...). Each phase keeps its
 * checkpoints in checkpoints/<phase>/: `<model>-step-N.safetensors` with an optimiser sidecar, and
 * `latest.json` naming the last complete set (written after the weights, atomically, so a kill
 * leaves either the old or the new pointer). A finished phase writes `done.json` with its result;
 * a resumed run skips finished phases, resumes the current one from its latest checkpoint and
 * drops the metrics it had logged past that checkpoint, so that it logs exactly what an
 * uninterrupted run logs. Everything random inside a step derives from (seed, phase, step).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Progress,
  RunDir,
  readJson,
  readJsonl,
  runFileError,
  runInteger,
  runObject,
  runPathInside,
  writeFileAtomic,
  writeJsonAtomic,
} from '../core/index.js';
import { type Checkpoint, type LlamaModel, type Tokenizer, type Trainer, loadCheckpoint, saveCheckpoint } from '../engine/index.js';
import type { Recipe } from './recipe.js';

export interface RunOptions {
  /** Run name (default: the recipe's run.name). */
  name?: string;
  /** Folder holding runs (default: the recipe's run.root). */
  root?: string;
  resume?: boolean;
  overwrite?: boolean;
  /** Progress display: bar on a terminal, log lines otherwise, or silent (tests). */
  progress?: 'bar' | 'log' | 'silent';
}

/** A model a phase trains, with its optimiser; `kind` is stored in the checkpoint. */
export interface TrainedModel {
  kind: 'policy' | 'value' | 'critic' | 'prm' | 'reward';
  model: LlamaModel;
  trainer: Trainer;
  tokenizer: Tokenizer;
  extra?: Record<string, unknown>;
}

interface LatestPointer {
  step: number;
  files: Record<string, string>;
  state: Record<string, unknown>;
}

/**
 * Reads and validates a phase's latest.json: a finite non-negative integer step, file names that
 * stay inside the phase's folder (returned resolved), an object of state.
 */
function readPointer(file: string): LatestPointer & { paths: Record<string, string> } {
  const p = runObject(readJson(file), file);
  const step = runInteger(p.step, file, 'step');
  const files = runObject(p.files, file, 'files') as Record<string, unknown>;
  const paths: Record<string, string> = {};
  for (const [name, f] of Object.entries(files)) paths[name] = runPathInside(path.dirname(file), f, file, `files.${name}`);
  const state = p.state === undefined ? {} : runObject(p.state, file, 'state');
  return { step, files: files as Record<string, string>, state, paths };
}

export class PhaseCheckpoints {
  readonly dir: string;
  constructor(
    readonly run: TrainingRun,
    readonly phase: string,
  ) {
    this.dir = path.join(run.dir.checkpointsDir, ...phase.split('/'));
  }

  private get pointerPath(): string {
    return path.join(this.dir, 'latest.json');
  }

  /** The last complete checkpoint of this phase, with optimiser state, or null. */
  latest(): { step: number; state: Record<string, unknown>; models: Record<string, Checkpoint> } | null {
    if (!fs.existsSync(this.pointerPath)) return null;
    const p = readPointer(this.pointerPath);
    const models: Record<string, Checkpoint> = {};
    for (const [name, file] of Object.entries(p.paths)) models[name] = loadCheckpoint(file, { withOptimizer: true });
    return { step: p.step, state: p.state, models };
  }

  /** Saves every model (+ optimiser), then moves the pointer; older step files are removed. */
  save(step: number, models: Record<string, TrainedModel>, state: Record<string, unknown> = {}): void {
    const files: Record<string, string> = {};
    for (const [name, m] of Object.entries(models)) {
      const file = `${name}-step-${step}.safetensors`;
      saveCheckpoint(
        path.join(this.dir, file),
        {
          kind: m.kind,
          config: m.model.config,
          tokenizer: m.tokenizer.spec(),
          step,
          extra: { bos: true, phase: this.phase, run: this.run.name, ...m.extra },
        },
        m.model.hostWeights(),
        { ...m.trainer.optimizerState(), extra: { phase: this.phase } },
      );
      files[name] = file;
    }
    const previous = fs.existsSync(this.pointerPath) ? readPointer(this.pointerPath) : null;
    writeJsonAtomic(this.pointerPath, { step, files, state } satisfies LatestPointer);
    if (previous) {
      // Only files inside this phase's folder are ever removed (readPointer checked every name).
      const kept = new Set(Object.values(files).map((f) => path.resolve(this.dir, f)));
      for (const f of Object.values(previous.paths)) {
        if (kept.has(f)) continue;
        for (const p of [f, f.replace(/\.safetensors$/, '.optim.safetensors')]) fs.rmSync(p, { force: true });
      }
    }
  }

  /** Path of the file the latest pointer names for `name`. */
  latestFile(name: string): string | null {
    if (!fs.existsSync(this.pointerPath)) return null;
    return readPointer(this.pointerPath).paths[name] ?? null;
  }
}

export class TrainingRun {
  readonly name: string;
  private constructor(
    readonly dir: RunDir,
    readonly recipe: Recipe,
    readonly progressMode: RunOptions['progress'],
  ) {
    this.name = path.basename(dir.dir);
  }

  static open(recipe: Recipe, o: RunOptions = {}): TrainingRun {
    const name = o.name ?? recipe.run.name;
    const dir = RunDir.open(name, {
      root: o.root ?? recipe.run.root,
      mode: o.resume ? 'resume' : o.overwrite ? 'overwrite' : 'new',
      config: recipe,
    });
    return new TrainingRun(dir, recipe, o.progress);
  }

  get resumed(): boolean {
    return this.dir.resumed;
  }

  checkpoints(phase: string): PhaseCheckpoints {
    return new PhaseCheckpoints(this, phase);
  }

  private donePath(phase: string): string {
    return path.join(this.dir.checkpointsDir, ...phase.split('/'), 'done.json');
  }

  /** The stored result of a finished phase, or null. */
  phaseResult<T>(phase: string): T | null {
    const p = this.donePath(phase);
    if (!fs.existsSync(p)) return null;
    const done = runObject(readJson(p), p);
    if (!('result' in done) || done.result === null || done.result === undefined) throw runFileError(p, 'result is missing');
    return done.result as T;
  }

  /**
   * Runs `body` for `phase` unless it already finished (then returns its stored result). Before the
   * body runs, metrics this phase logged past its latest checkpoint (all of them without one) are
   * dropped.
   */
  async phase<T>(phase: string, body: (ck: PhaseCheckpoints) => Promise<T>): Promise<T> {
    const done = this.phaseResult<T>(phase);
    if (done !== null) return done;
    const ck = this.checkpoints(phase);
    const pointer = path.join(ck.dir, 'latest.json');
    // Without a checkpoint the phase starts over, so none of its earlier records stand.
    const resumeStep = fs.existsSync(pointer) ? readPointer(pointer).step : -Infinity;
    this.truncatePhaseMetrics(phase, resumeStep);
    const result = await body(ck);
    writeJsonAtomic(this.donePath(phase), { phase, result });
    return result;
  }

  /** Appends one metrics record (with its phase and step). */
  log(phase: string, step: number, record: Record<string, unknown>): void {
    this.dir.appendMetrics({ phase, step, ...record });
  }

  metrics(): Record<string, unknown>[] {
    return fs.existsSync(this.dir.metricsPath) ? readJsonl<Record<string, unknown>>(this.dir.metricsPath) : [];
  }

  private truncatePhaseMetrics(phase: string, step: number): void {
    if (!fs.existsSync(this.dir.metricsPath)) return;
    const all = this.metrics();
    const kept = all.filter((r) => r.phase !== phase || (typeof r.step === 'number' && r.step <= step));
    if (kept.length !== all.length) writeFileAtomic(this.dir.metricsPath, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  }

  /** Records the final model files of the run (checkpoints/final.json), used by `model.init: <run dir>`. */
  writeFinal(files: Record<string, string>): void {
    const finalPath = path.join(this.dir.checkpointsDir, 'final.json');
    const current = fs.existsSync(finalPath) ? readFinals(finalPath) : {};
    const rel = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, path.relative(this.dir.checkpointsDir, f)]));
    writeJsonAtomic(finalPath, { ...current, ...rel });
  }

  progress(label: string, total: number): Progress {
    return new Progress({ label, total, unit: 'steps', mode: this.progressMode });
  }
}

/** checkpoints/final.json: model kind -> file name inside the checkpoints folder (validated). */
export function readFinals(file: string): Record<string, string> {
  const finals = runObject(readJson(file), file);
  for (const [kind, f] of Object.entries(finals)) runPathInside(path.dirname(file), f, file, kind);
  return finals as Record<string, string>;
}
