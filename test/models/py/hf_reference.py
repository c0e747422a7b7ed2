"""Reference answers from the Python implementations rlmkit's TypeScript must agree with.

  train-bpe OUT.json CORPUS.txt VOCAB   -> trains a byte-level BPE tokenizer (HF tokenizers) on the corpus
  encode TOKENIZER.json                  -> reads a JSON list of texts on stdin, prints their ids
  render                                 -> reads a JSON list of {template, messages, add_generation_prompt, specials}
                                            on stdin, prints [{ok, text}]: what Jinja2 renders as transformers does
"""
import json
import sys


def train_bpe(out, corpus, vocab):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=int(vocab), special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train([corpus], trainer)
    tok.save(out)


def encode(path):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(path)
    texts = json.load(sys.stdin)
    print(json.dumps([tok.encode(t, add_special_tokens=False).ids for t in texts]))


def render():
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(msg):
        raise Exception(msg)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    out = []
    for req in json.load(sys.stdin):
        try:
            t = env.from_string(req["template"])
            out.append({"ok": True, "text": t.render(messages=req["messages"], add_generation_prompt=req["add_generation_prompt"], **req.get("specials", {}))})
        except Exception as e:  # noqa: BLE001 - the template's own raise_exception
            out.append({"ok": False, "text": str(e)})
    print(json.dumps(out))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "train-bpe":
        train_bpe(*sys.argv[2:5])
    elif cmd == "encode":
        encode(sys.argv[2])
    elif cmd == "render":
        render()
