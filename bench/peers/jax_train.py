"""JAX peer of `rlmkit bench engine`: trains exactly the `reference` model on the same batch.

Same model, data, loss, clipping, AdamW and schedule as torch_train.py (see its docstring and
src/engine/README.md), written in plain JAX (no Flax/Optax) with the whole step under jax.jit.
Threads: XLA's CPU client is pinned with XLA_FLAGS before jax is imported. Prints one JSON line.

Usage: python3 jax_train.py [--steps 10] [--threads 1]
"""
import argparse
import json
import math
import os
import time

V, D, L, H, FF, T, B = 64, 128, 4, 4, 352, 64, 32
HD = D // H


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.threads == 1:
        os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.numpy as jnp

    key = jax.random.PRNGKey(a.seed)
    keys = iter(jax.random.split(key, 64))

    def normal(shape, std):
        return std * jax.random.normal(next(keys), shape, jnp.float32)

    res = 0.02 / math.sqrt(2 * L)
    params = {"tok": normal((V, D), 0.02), "norm": jnp.ones(D), "out": normal((V, D), 0.02), "layers": [
        {"an": jnp.ones(D), "wqkv": normal((3 * D, D), 0.02), "wo": normal((D, D), res),
         "fn": jnp.ones(D), "w13": normal((2 * FF, D), 0.02), "w2": normal((D, FF), res)} for _ in range(L)]}
    theta = jnp.arange(T)[:, None] * 10000.0 ** (-2 * jnp.arange(HD // 2) / HD)
    cos, sin = jnp.cos(theta), jnp.sin(theta)
    causal = jnp.tril(jnp.ones((T, T), bool))

    def rmsnorm(x, w):
        return x * jax.lax.rsqrt(jnp.mean(x * x, -1, keepdims=True) + 1e-5) * w

    def rope(x):  # [B, H, T, HD], adjacent pairs
        x = x.reshape(*x.shape[:-1], HD // 2, 2)
        x0, x1 = x[..., 0], x[..., 1]
        return jnp.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), -1).reshape(*x.shape[:-2], HD)

    def loss_fn(p, seq):
        tokens, targets = seq[:, :-1], seq[:, 1:]
        x = p["tok"][tokens]
        for l in p["layers"]:
            q, k, v = (rmsnorm(x, l["an"]) @ l["wqkv"].T).reshape(B, T, 3, H, HD).transpose(2, 0, 3, 1, 4)
            s = jnp.where(causal, rope(q) @ rope(k).transpose(0, 1, 3, 2) / math.sqrt(HD), -1e9)
            x = x + (jax.nn.softmax(s, -1) @ v).transpose(0, 2, 1, 3).reshape(B, T, D) @ l["wo"].T
            g, u = jnp.split(rmsnorm(x, l["fn"]) @ l["w13"].T, 2, -1)
            x = x + (jax.nn.silu(g) * u) @ l["w2"].T
        logp = jax.nn.log_softmax(rmsnorm(x, p["norm"]) @ p["out"].T, -1)
        return -jnp.mean(jnp.take_along_axis(logp, targets[..., None], -1))

    def step(p, m, v, seq, lr, t):
        loss, g = jax.value_and_grad(loss_fn)(p, seq)
        norm = jnp.sqrt(sum(jnp.sum(x * x) for x in jax.tree_util.tree_leaves(g)))
        clip = jnp.minimum(1.0, 1.0 / (norm + 1e-6))
        g = jax.tree_util.tree_map(lambda x: x * clip, g)
        m = jax.tree_util.tree_map(lambda a, b: 0.9 * a + 0.1 * b, m, g)
        v = jax.tree_util.tree_map(lambda a, b: 0.95 * a + 0.05 * b * b, v, g)
        bc1, bc2 = 1 - 0.9 ** t, 1 - 0.95 ** t

        def upd(w, mi, vi):
            u = (mi / bc1) / (jnp.sqrt(vi / bc2) + 1e-8)
            return w - lr * (u + (0.1 * w if w.ndim >= 2 else 0.0))

        return jax.tree_util.tree_map(upd, p, m, v), m, v, loss

    step = jax.jit(step)
    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    warmup, total = 2, a.steps + 2

    def lr_at(s):
        if s < warmup:
            return 3e-3 * (s + 1) / warmup
        progress = min(1.0, (s - warmup) / max(1, total - warmup))
        return 3e-4 + 0.5 * 2.7e-3 * (1 + math.cos(math.pi * progress))

    data_key = jax.random.PRNGKey(a.seed + 1)
    n = 0

    def one():
        nonlocal params, m, v, n, data_key
        data_key, sub = jax.random.split(data_key)
        seq = jax.random.randint(sub, (B, T + 1), 4, V)
        params, m, v, loss = step(params, m, v, seq, lr_at(n), n + 1.0)
        n += 1
        return float(loss)

    for _ in range(2):
        one()
    t0, c0 = time.perf_counter(), time.process_time()
    losses = [one() for _ in range(a.steps)]
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    tokens = a.steps * B * T
    print(json.dumps({"peer": "jax-jit", "version": jax.__version__, "threads": a.threads, "steps": a.steps,
                      "tokens_per_s": round(tokens / wall), "tokens_per_cpu_s": round(tokens / cpu), "last_loss": losses[-1]}))


if __name__ == "__main__":
    main()
