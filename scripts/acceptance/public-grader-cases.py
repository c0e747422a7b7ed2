"""
Collects public grader test cases into one JSONL file for scripts/acceptance/grader-public.ts.

Source: the test files of Math-Verify 0.9.0's source distribution on PyPI (`pip download
math-verify==0.9.0 --no-binary :all:`; Apache-2.0, huggingface/Math-Verify). The files are read,
not copied: each `@pytest.mark.parametrize` list of (gold, pred, expected[, ...]) is evaluated
with `ast`, and the keyword arguments of the test's `compare_strings(...)` call (precision, strict,
allow_set_relation_comp) are kept as options. Tests that check the parser's output rather than a
verdict (string extraction, configs, timeouts) are left out and counted.

Run:  python3 scripts/acceptance/public-grader-cases.py > /tmp/public-cases.jsonl
      npx tsx scripts/acceptance/grader-public.ts /tmp/public-cases.jsonl
"""
import ast
import json
import math
import os
import subprocess
import sys
import tarfile

CACHE = os.environ.get("RLMKIT_PEER_CACHE", "/tmp/rlmkit-peer-cache")
VERSION = "0.9.0"


def sdist_tests():
    root = os.path.join(CACHE, f"math_verify-{VERSION}")
    if not os.path.isdir(root):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"math-verify=={VERSION}", "--no-binary", ":all:", "--no-deps", "-d", CACHE, "-q"],
            check=True,
        )
        with tarfile.open(os.path.join(CACHE, f"math_verify-{VERSION}.tar.gz")) as t:
            t.extractall(CACHE, filter="data")
    return os.path.join(root, "tests")


def value(node):
    try:
        return ast.literal_eval(node)
    except ValueError:
        # f-strings such as f"{math.sqrt(17):.15f}": evaluated with only `math` in scope.
        return eval(compile(ast.Expression(node), "<case>", "eval"), {"__builtins__": {}, "math": math})


def call_options(fn):
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "compare_strings":
            out = {}
            for kw in node.keywords:
                if isinstance(kw.value, ast.Constant) or isinstance(kw.value, (ast.List, ast.Tuple)):
                    out[kw.arg] = ast.literal_eval(kw.value)
                elif isinstance(kw.value, ast.Name):
                    out[kw.arg] = {"param": kw.value.id}
            return "compare_strings", out
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "verify":
            return "verify", {}
    return None, {}


def main():
    tests = sdist_tests()
    skipped = []
    n = 0
    for name in sorted(os.listdir(tests)):
        if not name.endswith(".py"):
            continue
        tree = ast.parse(open(os.path.join(tests, name), encoding="utf-8").read())
        for fn in tree.body:
            if not isinstance(fn, ast.FunctionDef) or not fn.name.startswith("test_"):
                continue
            params = None
            for dec in fn.decorator_list:
                if isinstance(dec, ast.Call) and getattr(dec.func, "attr", None) == "parametrize":
                    params = ([a.strip() for a in ast.literal_eval(dec.args[0]).split(",")], dec.args[1])
            kind, opts = call_options(fn)
            if params is None or kind is None:
                skipped.append(f"{name}::{fn.name}")
                continue
            names, rows = params
            for i, row in enumerate(rows.elts):
                vals = dict(zip(names, [value(e) for e in row.elts]))
                o = {}
                for k, v in opts.items():
                    o[k] = vals[v["param"]] if isinstance(v, dict) else v
                expected = vals.get("expected", vals.get("result"))
                rec = {
                    "suite": f"math-verify/{name[:-3]}::{fn.name}",
                    "i": i,
                    "gold": vals["gold"],
                    "pred": vals["pred"],
                    "expected": bool(expected),
                    "options": o,
                }
                print(json.dumps(rec, ensure_ascii=False))
                n += 1
    print(f"{n} cases; not verdict tests (left out): {', '.join(skipped)}", file=sys.stderr)


main()
