/**
 * `rlmkit export gguf --model <ckpt> --out model.gguf`: writes an embedded model as a
 * llama-architecture GGUF for llama.cpp, Ollama and node-llama-cpp (see src/models/gguf-export.ts).
 */
import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { logger } from '../../core/log.js';
import { readEmbeddedCheckpoint } from '../../models/embedded.js';
import { writeGguf } from '../../models/gguf-export.js';
import { parseModelSpec } from '../../models/spec.js';
import type { CommandModule } from '../registry.js';

export const exportCommand: CommandModule = {
  name: 'export',
  summary: 'export an embedded model to other formats (gguf for llama.cpp / Ollama)',
  register(program: Command) {
    const exp = program.command('export').description('export an embedded model to other runtimes');
    exp
      .command('gguf')
      .description('write a checkpoint as a llama-architecture GGUF (F32) for llama.cpp, Ollama and node-llama-cpp')
      .requiredOption('-m, --model <ckpt>', 'embedded checkpoint (.safetensors or embedded:<path>)')
      .requiredOption('-o, --out <file>', 'output file, ending in .gguf')
      .option('--name <name>', 'general.name stored in the file')
      .option('--bos', "tell llama.cpp to prepend <bos> when it tokenizes text (default: the checkpoint's setting)")
      .action(async (f: { model: string; out: string; name?: string; bos?: boolean }) => {
        const spec = parseModelSpec(f.model);
        if (spec.kind !== 'embedded')
          throw usageError(`export gguf needs an embedded checkpoint, got a ${spec.kind} model`, 'pass --model <checkpoint>.safetensors');
        const src = readEmbeddedCheckpoint(spec.path);
        if (src.config.valueHead)
          logger.warn('the value head has no GGUF equivalent and is left out; the exported model is the policy trunk and LM head');
        const bytes = writeGguf(f.out, src.config, src.weights, src.tokenizer, {
          name: f.name ?? spec.path,
          addBos: f.bos ?? src.bos ?? false,
        });
        process.stdout.write(
          `${JSON.stringify({ event: 'exported', out: f.out, bytes, format: 'gguf', architecture: 'llama', tensorType: 'F32' })}\n`,
        );
      });
  },
};
