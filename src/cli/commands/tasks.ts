/** `rlmkit tasks [name]`: every task with its kind, splits and sizes, data source and verifier. */
import type { Command } from 'commander';
import { describeTasks, getTask, type TaskInfo } from '../../tasks/registry.js';
import type { CommandModule } from '../registry.js';

function sourceText(s: TaskInfo['source']): string {
  const o = s as unknown as Record<string, unknown>;
  if (o.kind === 'generated') return 'generated';
  if (typeof o.file === 'string') return `${o.file}${typeof o.licence === 'string' ? ` (${o.licence})` : ''}`;
  return typeof o.what === 'string' ? o.what : String(o.kind ?? '');
}

function splitText(t: TaskInfo): string {
  return t.splits.map((s) => (s.size === null ? s.name : `${s.name} ${s.size}`)).join(', ');
}

export const tasksCommand: CommandModule = {
  name: 'tasks',
  summary: 'list the tasks: kind, splits and sizes, data source, verifier, and whether search may use a rule check',
  register(program: Command) {
    program
      .command('tasks [name]')
      .description('list the tasks (or one task) with kind, splits and sizes, data source, verifier and rule check')
      .option('--json', 'print JSON (an array, or one object with a name)')
      .action((name: string | undefined, o: { json?: boolean }) => {
        if (name) getTask(name); // an unknown name is a usage error naming the valid ones
        const rows = describeTasks().filter((t) => !name || t.name === name);
        if (o.json) {
          process.stdout.write(JSON.stringify(name ? rows[0] : rows, null, 2) + '\n');
          return;
        }
        const out: string[] = [];
        for (const t of rows) {
          out.push(`${t.name}  (${t.kind})  ${t.description}`);
          out.push(`  splits: ${splitText(t)}`);
          out.push(`  source: ${sourceText(t.source)}`);
          out.push(
            `  verifier: ${t.verifier}; rule check for search: ${t.ruleCheck ? 'yes (no answer key needed)' : 'no (needs the answer key)'}`,
          );
        }
        if (!name) out.push('\nuse a name with --task in solve, eval and recipes; `rlmkit tasks <name> --json` for one task as JSON.');
        process.stdout.write(out.join('\n') + '\n');
      });
  },
};
