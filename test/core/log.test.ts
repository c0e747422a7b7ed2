import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/core/index.js';

describe('logger', () => {
  it('writes readable lines and JSON lines', () => {
    const lines: string[] = [];
    const text = new Logger({ write: (l) => lines.push(l) });
    text.info('step done', { step: 3, loss: 0.123456 });
    text.debug('hidden');
    text.warn('careful');
    expect(lines).toEqual(['step done  step=3 loss=0.1235', 'warn: careful']);

    const json: string[] = [];
    const j = new Logger({ format: 'json', write: (l) => json.push(l) }).child({ component: 'trainer' });
    j.info('step done', { step: 3 });
    const rec = JSON.parse(json[0]);
    expect(rec).toMatchObject({ level: 'info', msg: 'step done', component: 'trainer', step: 3 });
    expect(Date.parse(rec.time)).not.toBeNaN();
  });
});
