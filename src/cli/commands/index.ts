/**
 * Every command the CLI offers, in the order `rlmkit --help` lists them. Each entry names its
 * module lazily: the CLI imports only the module of the command being run, so `rlmkit --help` and
 * light commands never load the engine, onnxruntime, node-llama-cpp or the math engine.
 *
 * A new capability adds one entry here: its name, its one-line summary (the same text as the
 * module's `summary`; a test checks they agree) and a `load` that imports its module.
 */
import type { CommandModule } from '../registry.js';

export interface LazyCommand {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
}

export const commands: LazyCommand[] = [
  {
    name: 'demo',
    summary: 'the main job: RL, a value model and search on Game of 24 from a committed tiny policy',
    load: async () => (await import('./demo.js')).demoCommand,
  },
  {
    name: 'config',
    summary: 'print and check YAML configs (with --set overrides)',
    load: async () => (await import('./config.js')).configCommand,
  },
  {
    name: 'bench',
    summary: 'speed and memory benchmarks, one JSON object each with --json',
    load: async () => (await import('./bench.js')).benchCommand,
  },
  {
    name: 'data',
    summary: 'export search traces as training datasets (SFT, pairs, PBS, TBS, verl Parquet)',
    load: async () => (await import('./data.js')).dataCommand,
  },
  {
    name: 'train',
    summary: 'train models from a recipe: SFT, GRPO/PPO, DPO, ReST, value/PRM and reward models, RLMT, the x1 two-phase recipe',
    load: async () => (await import('./train.js')).trainCommand,
  },
  { name: 'lm', summary: "train and sample rlmkit's own small language models", load: async () => (await import('./lm.js')).lmCommand },
  {
    name: 'serve',
    summary: 'OpenAI-compatible HTTP server (/v1/completions, /v1/chat/completions) for embedded, GGUF and remote models',
    load: async () => (await import('./serve.js')).serveCommand,
  },
  {
    name: 'export',
    summary: 'export an embedded model to other formats (gguf for llama.cpp / Ollama)',
    load: async () => (await import('./export.js')).exportCommand,
  },
  {
    name: 'solve',
    summary: 'solve a problem with a reasoning strategy (CoT, best-of-N, beam, MCTS, ToT, GoT, ...) and show the search',
    load: async () => (await import('./solve.js')).solveCommand,
  },
  {
    name: 'strategies',
    summary: 'list the reasoning strategies and their settings (use with rlmkit solve --strategy/--set)',
    load: async () => (await import('./strategies.js')).strategiesCommand,
  },
  {
    name: 'tasks',
    summary: 'list the tasks: kind, splits and sizes, data source, verifier, and whether search may use a rule check',
    load: async () => (await import('./tasks.js')).tasksCommand,
  },
  {
    name: 'grade',
    summary: 'grade math answers (verdict correct / wrong / unparseable, one pair or a JSONL file) and vote over samples (--vote)',
    load: async () => (await import('./grade.js')).gradeCommand,
  },
  {
    name: 'eval',
    summary: 'evaluate a strategy and model on a task: pass@k, maj@k, weighted@k, best-of-k with confidence intervals',
    load: async () => (await import('./eval.js')).evalCommand,
  },
  {
    name: 'doctor',
    summary: 'check Node, native parts and system tools, with the command that fixes each',
    load: async () => (await import('./doctor.js')).doctorCommand,
  },
  {
    name: 'reward-server',
    summary: "rlmkit's verifiers and rewards over HTTP for Python trainers (OpenRLHF --remote_rm_url, verl compute_score)",
    load: async () => (await import('./reward-server.js')).rewardServerCommand,
  },
  {
    name: 'ui',
    summary: 'the explorer: a web UI for runs (live curves), search traces, a playground and evaluations',
    load: async () => (await import('./ui.js')).uiCommand,
  },
  {
    name: 'worker',
    summary: 'process rollout, search and evaluation jobs from a Redis queue (BullMQ); rlmkit eval --queue sends them',
    load: async () => (await import('./worker.js')).workerCommand,
  },
];

/** Loads every command module (for tests and docs that need the full option lists). */
export async function loadAllCommands(): Promise<CommandModule[]> {
  return Promise.all(commands.map((c) => c.load()));
}
