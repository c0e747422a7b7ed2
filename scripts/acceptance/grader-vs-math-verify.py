"""
Peer benchmark: rlmkit's math grader against Math-Verify (pip install math-verify==0.9.0) on
public pairs with labels known by construction:
  MATH-500  positives: (answer, the reference solution)             label 1
            negatives: (answer, the next problem's solution), when the answer texts differ  label 0
  GSM8K     positives: (the #### answer, the reference solution)   label 1
            negatives: (the answer, the next problem's solution), when the answers differ   label 0
Prints each grader's accuracy against the labels, their agreement, and rlmkit's unparseable count.
Run: python3 scripts/acceptance/grader-vs-math-verify.py [data_dir]
"""
import json, os, subprocess, sys, tempfile, time

data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'data')
from math_verify import parse, verify  # noqa: E402

def rows(rel):
    with open(os.path.join(data, rel)) as f:
        return [json.loads(l) for l in f if l.strip()]

pairs = []
m = rows('math500/test.jsonl')
for i, r in enumerate(m):
    pairs.append(('math500', r['answer'], r['solution'], 1))
    nxt = m[(i + 1) % len(m)]
    if nxt['answer'].strip() != r['answer'].strip():
        pairs.append(('math500', r['answer'], nxt['solution'], 0))
g = rows('gsm8k/test.jsonl')
ans = lambda s: s.split('####')[-1].strip().replace(',', '')
for i, r in enumerate(g):
    pairs.append(('gsm8k', ans(r['answer']), r['answer'], 1))
    nxt = g[(i + 1) % len(g)]
    if ans(nxt['answer']) != ans(r['answer']):
        pairs.append(('gsm8k', ans(r['answer']), nxt['answer'], 0))

t0 = time.time()
mv = []
for _, gold, pred, _ in pairs:
    try:
        mv.append(1 if verify(parse('$' + gold + '$'), parse(pred)) else 0)
    except Exception:
        mv.append(0)
t_mv = time.time() - t0

with tempfile.NamedTemporaryFile('w', suffix='.jsonl', delete=False) as f:
    for _, gold, pred, _ in pairs:
        f.write(json.dumps({'gold': gold, 'pred': pred}) + '\n')
    path = f.name
t0 = time.time()
out = subprocess.run(['npx', 'tsx', 'src/cli/main.ts', 'grade', '--jsonl', path, '--workers', '2'], capture_output=True, text=True, cwd=os.path.join(os.path.dirname(__file__), '..', '..'))
t_rk = time.time() - t0
res = [json.loads(l) for l in out.stdout.strip().split('\n')]
rk = [1 if r.get('correct') else 0 for r in res]
unp = sum(1 for r in res if r.get('verdict') == 'unparseable')

for name in ('math500', 'gsm8k', 'all'):
    idx = [i for i, p in enumerate(pairs) if name == 'all' or p[0] == name]
    lab = [pairs[i][3] for i in idx]
    acc = lambda pred: sum(1 for j, i in enumerate(idx) if pred[i] == lab[j]) / len(idx)
    agree = sum(1 for i in idx if mv[i] == rk[i]) / len(idx)
    print(f'{name:8s} pairs {len(idx):5d}  rlmkit {100*acc(rk):6.2f}%  Math-Verify {100*acc(mv):6.2f}%  agreement {100*agree:6.2f}%')
print(f'rlmkit unparseable: {unp}; time rlmkit {t_rk:.1f} s (one process, 2 workers), Math-Verify {t_mv:.1f} s')
for i, p in enumerate(pairs):
    if rk[i] != p[3]:
        print(f'  rlmkit miss [{p[0]} label {p[3]}]: gold {p[1]!r} -> {res[i].get("pred", {}).get("extracted")!r} ({res[i].get("reason")})')
