/**
 * Serve a search strategy as a model: `rlmkit serve` answers `<strategy>@<model>` names (here
 * `mcts@g24`) by running that search with the named model as its policy. Any OpenAI client can
 * then call MCTS like a model; usage counts every token the search spent, and the response carries
 * the search's trace id.
 *
 * The same from the command line:
 *   rlmkit serve --model g24=embedded:checkpoints/game24-sft/policy.safetensors --port 8000
 *   curl 127.0.0.1:8000/v1/completions -d '{"model":"mcts@g24","prompt":"4 4 6 8","task":"game24","simulations":16}'
 */
import OpenAI from 'openai';
import { shippedCheckpoint } from 'rlmkit';
import { buildRegistry, startServer } from 'rlmkit/serve';

const toy = process.env.RLMKIT_EXAMPLE_SIZE === 'toy';

const { registry } = await buildRegistry([`g24=embedded:${shippedCheckpoint('game24-sft')}`]);
const server = await startServer({ registry, port: 0, apiKey: 'local-secret' });
try {
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'local-secret' });

  // A plain model call and the same model behind MCTS, side by side. `task` makes the search use
  // Game of 24's rule check (each step recomputed from the puzzle) and answer extraction.
  for (const model of ['g24', 'mcts@g24']) {
    const body = {
      model,
      prompt: model.includes('@') ? '4 4 6 8' : '4 4 6 8|',
      max_tokens: 64,
      temperature: 0,
      ...(model.includes('@') ? { task: 'game24', simulations: toy ? 4 : 24 } : {}),
    };
    const r = await client.completions.create(body as OpenAI.CompletionCreateParamsNonStreaming);
    console.log(`${model.padEnd(9)} -> ${JSON.stringify(r.choices[0].text)} (${r.usage?.total_tokens} tokens)`);
  }
} finally {
  await server.close();
}
