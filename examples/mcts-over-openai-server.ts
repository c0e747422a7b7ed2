/**
 * x1-style MCTS over any OpenAI-compatible server: vLLM, SGLang, llama.cpp's server, Ollama, a
 * hosted API, or rlmkit's own `rlmkit serve`. The search sends step-level completion requests
 * (each step ends at a newline) with `n` candidates per expansion and reads their log-probs;
 * strategies never know which backend they talk to.
 *
 * Point it at your server with OPENAI_BASE_URL (e.g. http://127.0.0.1:8080/v1) and
 * RLMKIT_EXAMPLE_MODEL (the served model name). Without them, the example starts rlmkit's own
 * server over the Game of 24 checkpoint shipped in the package, so it runs anywhere.
 */
import { getTask, openPolicy, shippedCheckpoint, solveMany } from 'rlmkit';
import { buildRegistry, startServer, type RunningServer } from 'rlmkit/serve';

const toy = process.env.RLMKIT_EXAMPLE_SIZE === 'toy';

let server: RunningServer | null = null;
let baseURL = process.env.OPENAI_BASE_URL;
let model = process.env.RLMKIT_EXAMPLE_MODEL ?? 'g24';
if (!baseURL) {
  const { registry } = await buildRegistry([`g24=embedded:${shippedCheckpoint('game24-sft')}`]);
  server = await startServer({ registry, port: 0 });
  baseURL = `${server.url}/v1`;
  model = 'g24';
  console.log(`started rlmkit serve at ${baseURL}`);
}

// `http://host:port/v1#model` is the model spec of any OpenAI-compatible server.
const policy = await openPolicy(`${baseURL}#${model}`);
try {
  const task = getTask('game24');
  const puzzles = await task.problems({ split: 'test', limit: toy ? 2 : 10 });
  const { results } = await solveMany(puzzles, {
    task,
    strategy: 'mcts',
    settings: { simulations: toy ? 4 : 32, children: 4 },
    models: { policy },
    // Completion-style prompts: the model continues "4 4 6 8|" one step per line, as trained.
    style: 'plain',
    seed: 0,
  });
  for (const r of results) {
    console.log(
      `${r.problemId}: ${r.answer ?? '(no answer)'} ${r.correct ? 'correct' : ''} [${r.usage.calls} calls, ${r.usage.completionTokens} tokens]`,
    );
  }
  console.log(`solved ${results.filter((r) => r.correct).length}/${results.length}`);
} finally {
  await policy.close?.();
  await server?.close();
}
