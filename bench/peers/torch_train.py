"""PyTorch peer of `rlmkit bench engine`: trains exactly the `reference` model on the same batch.

Model (src/engine/README.md, "The model, exactly"): vocab 64, d_model 128, 4 layers, 4 heads,
SwiGLU 352, context 64, RMSNorm eps 1e-5, RoPE on adjacent pairs (theta 10000), untied LM head,
no biases. Step: batch 32 x 64 random tokens in [4, 63], mean next-token cross-entropy, global-norm
clipping at 1, AdamW (lr 3e-3, betas 0.9/0.95, eps 1e-8, weight decay 0.1 on matrices only),
linear warmup 2 steps then cosine to 0.1 x lr. Prints one JSON line.

Usage: python3 torch_train.py [--steps 10] [--threads 1] [--compile]
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

V, D, L, H, FF, T, B = 64, 128, 4, 4, 352, 64, 32
HD = D // H


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.attention_norm = torch.nn.Parameter(torch.ones(D))
        self.wqkv = torch.nn.Linear(D, 3 * D, bias=False)
        self.wo = torch.nn.Linear(D, D, bias=False)
        self.ffn_norm = torch.nn.Parameter(torch.ones(D))
        self.w13 = torch.nn.Linear(D, 2 * FF, bias=False)
        self.w2 = torch.nn.Linear(FF, D, bias=False)


def rmsnorm(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w


def rope(x, cos, sin):
    # x [B, H, T, HD]: rotate pairs (x[2j], x[2j+1]) by pos * theta_j
    x = x.reshape(*x.shape[:-1], HD // 2, 2)
    x0, x1 = x[..., 0], x[..., 1]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), -1).flatten(-2)


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_embeddings = torch.nn.Embedding(V, D)
        self.layers = torch.nn.ModuleList(Block() for _ in range(L))
        self.norm = torch.nn.Parameter(torch.ones(D))
        self.output = torch.nn.Linear(D, V, bias=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * L) if name.endswith(("wo.weight", "w2.weight")) else 0.02
                torch.nn.init.normal_(p, 0.0, std)
        theta = torch.arange(T, dtype=torch.float64)[:, None] * 10000.0 ** (-2 * torch.arange(HD // 2, dtype=torch.float64) / HD)
        self.register_buffer("cos", theta.cos().float())
        self.register_buffer("sin", theta.sin().float())

    def forward(self, tokens):
        x = self.tok_embeddings(tokens)
        for blk in self.layers:
            h = rmsnorm(x, blk.attention_norm)
            q, k, v = blk.wqkv(h).view(B, T, 3, H, HD).permute(2, 0, 3, 1, 4)
            a = F.scaled_dot_product_attention(rope(q, self.cos, self.sin), rope(k, self.cos, self.sin), v, is_causal=True)
            x = x + blk.wo(a.transpose(1, 2).reshape(B, T, D))
            g, u = blk.w13(rmsnorm(x, blk.ffn_norm)).chunk(2, -1)
            x = x + blk.w2(F.silu(g) * u)
        return self.output(rmsnorm(x, self.norm))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--compile", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = Model()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}], lr=3e-3, betas=(0.9, 0.95), eps=1e-8)
    warmup, total = 2, a.steps + 2

    def lr_at(step):
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return 0.1 + 0.5 * 0.9 * (1 + math.cos(math.pi * progress))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    fwd = torch.compile(model) if a.compile else model
    gen = torch.Generator().manual_seed(a.seed)

    def step():
        seq = torch.randint(4, V, (B, T + 1), generator=gen)
        logits = fwd(seq[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, V), seq[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        return loss.item()

    for _ in range(2):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    losses = [step() for _ in range(a.steps)]
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    tokens = a.steps * B * T
    print(json.dumps({
        "peer": "pytorch-compile" if a.compile else "pytorch-eager", "version": torch.__version__, "threads": a.threads,
        "steps": a.steps, "tokens_per_s": round(tokens / wall), "tokens_per_cpu_s": round(tokens / cpu), "last_loss": losses[-1],
    }))


if __name__ == "__main__":
    main()
