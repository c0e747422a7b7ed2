/**
 * Chat templates rendered by @huggingface/jinja give the text Python's Jinja2 gives with
 * transformers' settings (the reference every server copies), for common template families;
 * continuing a final assistant message cuts right after its content; templates load from
 * tokenizer_config.json (string, named list, or chat_template.jinja beside it) and from GGUF.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChatTemplate, loadChatTemplate, loadTokenizerConfigTemplate } from '../../src/models/chat-template.js';
import { PLAIN_CHAT_TEMPLATE, writeGguf } from '../../src/models/gguf-export.js';
import { readEmbeddedCheckpoint } from '../../src/models/embedded.js';
import type { ChatMessage } from '../../src/models/types.js';
import { writeTinyCheckpoint } from './embedded-fixture.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-chat-template-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const TEMPLATES: Record<string, { template: string; specials: Record<string, string> }> = {
  chatml: {
    template:
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    specials: {},
  },
  llama3: {
    template:
      "{{ bos_token }}{% for message in messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
    specials: { bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>' },
  },
  mistral: {
    template:
      "{{ bos_token }}{% for message in messages %}\n{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}\n{% endif %}\n{% if message['role'] == 'user' %}\n{{ '[INST] ' + message['content'] + ' [/INST]' }}\n{% elif message['role'] == 'assistant' %}\n{{ message['content'] + eos_token}}\n{% endif %}\n{% endfor %}",
    specials: { bos_token: '<s>', eos_token: '</s>' },
  },
  plain: { template: PLAIN_CHAT_TEMPLATE, specials: {} },
};

const CONVERSATIONS: ChatMessage[][] = [
  [{ role: 'user', content: 'What is 2+2?' }],
  [
    { role: 'user', content: 'Solve 4 4 6 8.' },
    { role: 'assistant', content: 'Step 1: 4+4=8\n' },
    { role: 'user', content: 'Go on.' },
  ],
  [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: '  spaces around  ' },
  ],
];

interface Case {
  template: string;
  messages: ChatMessage[];
  add_generation_prompt: boolean;
  specials: Record<string, string>;
}

/** Jinja2's renderings of all cases, in one Python run. */
function jinja2(cases: Case[]): { ok: boolean; text: string }[] {
  const r = spawnSync('python3', [path.resolve('test/models/py/hf_reference.py'), 'render'], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`the Jinja2 reference failed (run npm run setup if it is missing): ${r.stderr}`);
  return JSON.parse(r.stdout) as { ok: boolean; text: string }[];
}

describe('chat templates', () => {
  for (const [name, t] of Object.entries(TEMPLATES)) {
    it(`${name}: renders as Jinja2 does with transformers' settings`, () => {
      const ct = new ChatTemplate({ template: t.template, specialTokens: t.specials });
      const cases: Case[] = CONVERSATIONS.flatMap((messages) =>
        [true, false].map((g) => ({ template: t.template, messages, add_generation_prompt: g, specials: t.specials })),
      );
      const refs = jinja2(cases);
      cases.forEach((c, i) => {
        const ref = refs[i];
        if (ref.ok)
          expect(ct.render(c.messages, { addGenerationPrompt: c.add_generation_prompt }), `${name} ${JSON.stringify(c.messages)}`).toBe(
            ref.text,
          );
        else
          expect(() => ct.render(c.messages, { addGenerationPrompt: c.add_generation_prompt })).toThrow(
            /rendering the chat template failed: .*alternate/,
          );
      });
      // The Mistral template refuses the system-first conversation in both implementations.
      if (name === 'mistral') expect(refs.some((r) => !r.ok)).toBe(true);
      expect(ct.isPlain()).toBe(name === 'plain');
    });
  }

  it('continues a final assistant message instead of closing its turn', () => {
    const conv: ChatMessage[] = [
      { role: 'user', content: 'Solve 4 4 6 8.' },
      { role: 'assistant', content: '4+4=8 (6 8 8)\n' },
    ];
    const chatml = new ChatTemplate({ template: TEMPLATES.chatml.template });
    expect(chatml.render(conv, { continueFinalMessage: true })).toBe(
      '<|im_start|>user\nSolve 4 4 6 8.<|im_end|>\n<|im_start|>assistant\n4+4=8 (6 8 8)\n',
    );
    // A template that trims contents gets the trimmed content continued.
    const llama3 = new ChatTemplate({ template: TEMPLATES.llama3.template, specialTokens: TEMPLATES.llama3.specials });
    expect(llama3.render(conv, { continueFinalMessage: true })).toMatch(
      /<\|start_header_id\|>assistant<\|end_header_id\|>\n\n4\+4=8 \(6 8 8\)$/,
    );
    expect(() => chatml.render([{ role: 'user', content: 'x' }], { continueFinalMessage: true })).toThrow(/ends with an assistant message/);
    expect(() => new ChatTemplate({ template: '{% for m in messages %}' })).toThrow(/does not parse/);
  });

  it('loads templates from tokenizer_config.json (string, named list, .jinja beside it) and from GGUF', () => {
    const a = path.join(dir, 'a');
    fs.mkdirSync(a);
    fs.writeFileSync(
      path.join(a, 'tokenizer_config.json'),
      JSON.stringify({ chat_template: TEMPLATES.llama3.template, bos_token: { content: '<|begin_of_text|>' }, eos_token: '<|eot_id|>' }),
    );
    expect(loadTokenizerConfigTemplate(a).render([{ role: 'user', content: 'hi' }])).toBe(
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    const b = path.join(dir, 'b');
    fs.mkdirSync(b);
    fs.writeFileSync(
      path.join(b, 'tokenizer_config.json'),
      JSON.stringify({
        chat_template: [
          { name: 'tool_use', template: 'T' },
          { name: 'default', template: TEMPLATES.chatml.template },
        ],
      }),
    );
    expect(loadChatTemplate(path.join(b, 'tokenizer_config.json')).render([{ role: 'user', content: 'hi' }])).toBe(
      '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
    );
    const c = path.join(dir, 'c');
    fs.mkdirSync(c);
    fs.writeFileSync(path.join(c, 'tokenizer_config.json'), '{}');
    expect(() => loadChatTemplate(c)).toThrow(/has no chat template/);
    fs.writeFileSync(path.join(c, 'chat_template.jinja'), TEMPLATES.chatml.template);
    expect(loadChatTemplate(c).render([{ role: 'user', content: 'x' }], { addGenerationPrompt: false })).toBe(
      '<|im_start|>user\nx<|im_end|>\n',
    );
    const ck = writeTinyCheckpoint({ seed: 2, dir });
    const src = readEmbeddedCheckpoint(ck.file);
    const g = path.join(dir, 'm.gguf');
    writeGguf(g, src.config, src.weights, src.tokenizer, { chatTemplate: TEMPLATES.chatml.template });
    expect(loadChatTemplate(g).render([{ role: 'user', content: 'x' }])).toBe('<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n');
    expect(() => loadChatTemplate(path.join(dir, 'missing.json'))).toThrow(/does not exist/);
  });
});
