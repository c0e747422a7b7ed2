"""Calls `rlmkit reward-server` the way Python RL trainers do, and checks the rewards.

- OpenRLHF (--remote_rm_url): `requests.post(url, json={"query", "prompts", "labels"}, timeout=180)`
  as in openrlhf/utils/remote_rm_utils.py, then reads "rewards", "scores" and "extra_logs" as
  `update_samples_with_rewards` does (one list entry per sample).
- verl: a custom reward function file with `compute_score(data_source, solution_str, ground_truth,
  extra_info)` (NaiveRewardManager) and the batch form (BatchRewardManager) that forward to the
  server.

Usage: python3 reward_client.py BASE_URL. Prints one JSON line with what it checked; exits 1 on
the first wrong reward.
"""
import json
import sys

import requests

BASE = sys.argv[1].rstrip("/")
checked = []


def expect(name, got, want):
    if got != want:
        print(json.dumps({"failed": name, "got": got, "want": want}))
        sys.exit(1)
    checked.append(name)


# --- OpenRLHF: the prompt + response as `query`, the prompt, and the label column -------------
CODE_LABEL = json.dumps({
    "task": "code",
    "entry_point": "add",
    "prompt": "def add(a, b):\n",
    "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n",
})
samples = [
    # (prompt, response, label, expected reward)
    ("Q: What is 6 times 7? A:", " 6*7 = 42, so the answer is \\boxed{42}.", "42", 1.0),
    ("Q: What is 6 times 7? A:", " I think it is \\boxed{43}.", "42", 0.0),
    ("Q: half of one? A:", " It is \\boxed{0.5}", "\\frac{1}{2}", 1.0),
    ("4 4 6 8|", "4+8=12 (4 6 12)\n6-4=2 (12 2)\n12*2=24 (24)\n", json.dumps({"task": "game24", "numbers": [4, 4, 6, 8]}), 1.0),
    ("4 4 6 8|", "4+8=12 (4 6 12)\n6+4=10 (12 10)\n12+10=22 (22)\n", json.dumps({"task": "game24", "numbers": [4, 4, 6, 8]}), 0.0),
    ("Make 24 from 1 5 5 5.", " <answer>5*(5-1/5)</answer>", json.dumps({"task": "game24", "numbers": "1 5 5 5"}), 1.0),
    ("Write add.\n", "```python\ndef add(a, b):\n    return a + b\n```", CODE_LABEL, 1.0),
    ("Write add.\n", "```python\ndef add(a, b):\n    return a - b\n```", CODE_LABEL, 0.0),
]
payload = {
    "query": [p + r for p, r, _, _ in samples],
    "prompts": [p for p, _, _, _ in samples],
    "labels": [l for _, _, l, _ in samples],
}
resp = requests.post(url=BASE + "/get_reward", json=payload, headers={"Content-Type": "application/json"}, timeout=180)
resp.raise_for_status()
body = resp.json()
expect("openrlhf: rewards", body["rewards"], [want for _, _, _, want in samples])
expect("openrlhf: scores length", len(body["scores"]), len(samples))
for key, values in body["extra_logs"].items():
    expect(f"openrlhf: extra_logs.{key} length", len(values), len(samples))
expect("openrlhf: extra_logs.correct", body["extra_logs"]["correct"], [int(w) for *_, w in samples])

# --- verl: custom reward function forwarding to the server ------------------------------------


def compute_score(data_source, solution_str, ground_truth, extra_info=None):
    r = requests.post(BASE + "/compute_score", json={"data_source": data_source, "solution_str": solution_str,
                                                     "ground_truth": ground_truth, "extra_info": extra_info}, timeout=180)
    r.raise_for_status()
    return r.json()


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos):
    r = requests.post(BASE + "/compute_score/batch", json={"data_sources": data_sources, "solution_strs": solution_strs,
                                                           "ground_truths": ground_truths, "extra_infos": extra_infos}, timeout=180)
    r.raise_for_status()
    return r.json()["scores"]


res = compute_score("openai/gsm8k", "Natalia sold 48+24 = 72 clips. #### 72", "72", {"split": "test", "index": 0})
expect("verl: gsm8k score", res["score"], 1.0)
expect("verl: gsm8k acc", res["acc"], True)
# TinyZero's Countdown rows: data_source "countdown", ground_truth {"target", "numbers"}.
res = compute_score("countdown", "Let me think. <answer>(25-19)*7+3*1</answer>", {"target": 45, "numbers": [25, 19, 7, 3, 1]}, None)
expect("verl: countdown score", res["score"], 1.0)
res = compute_score("countdown", "<answer>25+19</answer>", {"target": 45, "numbers": [25, 19, 7, 3, 1]}, None)
expect("verl: countdown (numbers unused) score", res["score"], 0.0)
scores = compute_score_batch(
    ["lighteval/MATH", "game24", "humaneval"],
    ["so \\boxed{\\dfrac{3}{4}}", "(4+8)*(6-4) = 24", "def add(a, b):\n    return a + b\n"],
    ["\\frac34", "4 4 6 8", {"entry_point": "add", "test": "def check(candidate):\n    assert candidate(2, 2) == 4\n"}],
    [None, None, None],
)
expect("verl batch: scores", scores, [1.0, 1.0, 1.0])

# --- malformed batches: 4xx with an error message, as OpenRLHF would log and retry ------------
bad = [
    ("labels shorter than query", "/get_reward", {"query": ["a", "b"], "prompts": ["", ""], "labels": ["1"]}),
    ("query not a list", "/get_reward", {"query": "a", "labels": ["1"]}),
    ("no labels", "/get_reward", {"query": ["a"]}),
    ("game24 label with 3 numbers", "/get_reward", {"query": ["x"], "labels": [json.dumps({"task": "game24", "numbers": [1, 2, 3]})]}),
    ("unknown data_source", "/compute_score", {"data_source": "no-such-task", "solution_str": "x", "ground_truth": "1"}),
    ("batch lengths differ", "/compute_score/batch", {"data_sources": ["gsm8k"], "solution_strs": [], "ground_truths": ["1"]}),
]
for name, path, data in bad:
    r = requests.post(BASE + path, json=data, timeout=60)
    expect(f"malformed: {name}: 4xx", 400 <= r.status_code < 500, True)
    expect(f"malformed: {name}: error message", isinstance(r.json().get("error", {}).get("message"), str), True)
r = requests.post(BASE + "/get_reward", data="{not json", headers={"Content-Type": "application/json"}, timeout=60)
expect("malformed: bad JSON: 400", r.status_code, 400)

print(json.dumps({"ok": True, "checked": len(checked)}))
