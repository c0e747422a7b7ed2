/**
 * The problem behind a served request when the client names a task (`extra_body: {task: "game24"}`
 * with `<strategy>@<model>`): then the task's rule checks, answer extraction and verifier apply to
 * the search, as with `rlmkit solve`.
 *
 * Where the problem comes from, in order:
 * - `problem` in the request body: a problem id or an index in the task's test split (else its
 *   first split), or for the number games the numbers inline ("4 4 6 8"; Countdown "3 7 25 =100");
 * - else the request text, for the number games: the numbers the prompt gives, in the task's own
 *   plain format ("4 4 6 8|" is Game of 24's prompt for 4 4 6 8);
 * - else, for tasks whose problems are just a question (math, code), the request text itself.
 * Anything else is a usage error (400) that says what to send.
 */
import { usageError } from '../core/errors.js';
import type { NumberGameData } from '../tasks/games/number-game.js';
import { getTask, taskNames, unknownTaskMessage } from '../tasks/registry.js';
import type { Problem, Task } from '../tasks/types.js';

const NUMBER_GAMES = new Set(['game24', 'countdown', 'countdown-classic']);

export function servedTask(name: unknown): Task<Problem> {
  if (typeof name !== 'string' || name.length === 0 || name.length > 64)
    throw usageError('"task" must be a task name', `tasks: ${taskNames().join(', ')}`);
  if (!taskNames().includes(name)) throw usageError(unknownTaskMessage(name));
  return getTask(name);
}

/** Numbers (and a target) written in a text, for the number games; null when the text has none. */
function numbersIn(task: Task<Problem>, text: string): NumberGameData | null {
  if (task.name === 'game24') {
    const m = /(?:^|[^\d.])(\d{1,4})\s+(\d{1,4})\s+(\d{1,4})\s+(\d{1,4})(?![\d.])/.exec(text);
    return m ? { numbers: m.slice(1, 5).map(Number), target: 24 } : null;
  }
  const m = /((?:\d{1,6}[ ,]+){1,7}\d{1,6})\s*=\s*(\d{1,7})/.exec(text);
  if (!m) return null;
  const numbers = m[1].split(/[ ,]+/).filter(Boolean).map(Number);
  return numbers.length >= 2 ? { numbers, target: Number(m[2]) } : null;
}

function numberGameProblem(task: Task<Problem>, data: NumberGameData, id: string): Problem {
  const question =
    task.name === 'game24'
      ? `Use ${data.numbers.join(' ')} and + - * / to make 24, each number exactly once.`
      : `Using the numbers ${data.numbers.join(', ')}, create an equation that equals ${data.target} with + - * /.`;
  return { id, question, data };
}

/** A task problem for a request: see the file comment. `text` is the prompt or last user message. */
export async function servedProblem(task: Task<Problem>, text: string, problem: unknown, id: string): Promise<Problem> {
  if (problem !== undefined && problem !== null) {
    if (typeof problem !== 'string' && typeof problem !== 'number')
      throw usageError('"problem" must be a problem id, an index, or (number games) the numbers');
    const ref = String(problem);
    if (NUMBER_GAMES.has(task.name)) {
      const data = numbersIn(task, ref);
      if (data && (task.name !== 'game24' || /^\s*\d+(\s+\d+){3}\s*$/.test(ref)))
        return numberGameProblem(task, data, `${id}/${task.name}`);
    }
    const split = task.splits.includes('test') ? 'test' : task.splits[0];
    if (!split) throw usageError(`task ${task.name} has no splits to look "${ref}" up in`);
    const all = await task.problems({ split, seed: 0 });
    const hit =
      all.find((p) => p.id === ref || p.id.endsWith(`/${ref}`)) ??
      (/^\d+$/.test(ref) && Number(ref) < all.length ? all[Number(ref)] : undefined);
    if (!hit)
      throw usageError(
        `no problem "${ref}" in ${task.name}/${split} (${all.length} problems)`,
        all[0] ? `give an id such as ${all[0].id} or an index below ${all.length}` : undefined,
      );
    return hit;
  }
  if (NUMBER_GAMES.has(task.name)) {
    const data = numbersIn(task, text);
    if (!data)
      throw usageError(
        `task ${task.name}: the request gives no puzzle`,
        task.name === 'game24'
          ? 'send the four numbers in the prompt ("4 4 6 8|") or as "problem": "4 4 6 8"'
          : 'send the numbers and target ("3 7 25 50 =100") in the prompt or as "problem"',
      );
    return numberGameProblem(task, data, `${id}/${task.name}`);
  }
  const candidate: Problem = { id, question: text };
  try {
    task.renderPlain(candidate);
    task.renderChat(candidate);
  } catch {
    throw usageError(`task ${task.name} needs a problem of its own, not just a question`, 'name one with "problem": "<id or index>"');
  }
  return candidate;
}
