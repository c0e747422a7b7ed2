/**
 * Code-execution tools: Python (bubblewrap + prlimit sandbox) and JavaScript (QuickJS in its own
 * WebAssembly memory), through the sandboxes of ../sandbox. The observation is what the program
 * printed, then its error or a note that it hit a limit; the sandbox's own limits (CPU, memory,
 * wall time, output bytes) apply, and the tool's time limit is passed down as the wall-clock limit.
 */
import { runJavaScript } from '../sandbox/javascript.js';
import type { ExecutionResult, SandboxLimits } from '../sandbox/limits.js';
import { runPython } from '../sandbox/python.js';
import type { Tool } from './types.js';

/** The observation an agent reads from a finished run. */
export function executionObservation(r: ExecutionResult): string {
  const parts: string[] = [];
  if (r.stdout) parts.push(r.stdout.replace(/\n$/, '') + (r.stdoutTruncated ? ' [output cut]' : ''));
  if (r.status === 'timeout') parts.push('error: the program ran past its time limit');
  else if (r.status === 'killed') parts.push(`error: the program was killed (${r.error ?? r.signal ?? 'a resource limit'})`);
  else if (r.status === 'crashed') parts.push(`error: the program crashed${r.error ? `: ${r.error}` : ''}`);
  else if (r.status === 'error') {
    const err = (r.stderr || r.error || '').trim().split('\n').slice(-3).join('\n');
    parts.push(`error: ${err || 'the program raised an error'}`);
  }
  return parts.length ? parts.join('\n') : '(no output)';
}

const codeParams = {
  type: 'object' as const,
  properties: { code: { type: 'string' as const, description: 'the program; print what you want to see' } },
  required: ['code'],
  additionalProperties: false,
};

export function pythonTool(limits: Partial<SandboxLimits> = {}): Tool {
  const timeoutMs = limits.timeoutMs ?? 5000;
  return {
    spec: {
      type: 'function',
      function: {
        name: 'python',
        description: 'Runs a Python 3 program in a sandbox (no network, no files kept) and returns what it printed.',
        parameters: codeParams,
      },
    },
    // the sandbox enforces the wall-clock limit itself; the tool's own limit leaves room for its start-up
    timeoutMs: timeoutMs + 3000,
    async run(args) {
      const r = await runPython(
        { program: String(args.code) },
        { limits: { cpuSeconds: Math.ceil(timeoutMs / 1000), memoryBytes: 256 * 1024 * 1024, maxOutputBytes: 4096, ...limits, timeoutMs } },
      );
      return executionObservation(r);
    },
  };
}

export function javascriptTool(limits: Partial<SandboxLimits> = {}): Tool {
  const timeoutMs = limits.timeoutMs ?? 2000;
  return {
    spec: {
      type: 'function',
      function: {
        name: 'javascript',
        description: 'Runs a JavaScript program (ECMAScript only, console.log prints) in a sandbox and returns what it printed.',
        parameters: codeParams,
      },
    },
    timeoutMs: timeoutMs + 3000,
    async run(args) {
      const r = await runJavaScript(
        { program: String(args.code) },
        { limits: { memoryBytes: 64 * 1024 * 1024, maxOutputBytes: 4096, ...limits, timeoutMs } },
      );
      return executionObservation(r);
    },
  };
}
