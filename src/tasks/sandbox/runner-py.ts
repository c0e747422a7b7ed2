/**
 * The trusted Python program that runs inside the sandbox. It reads a one-line nonce from stdin,
 * runs the solution, then the tests one by one, and prints a single result line tagged with the
 * nonce (so a solution that prints look-alike lines or exits early cannot fake a pass: without the
 * tagged line the host counts the run as failed).
 *
 * Tests are either a list of Python snippets, or HumanEval's `check(candidate)` function whose
 * top-level statements run one at a time: each statement containing an `assert` is one test;
 * other statements (assignments, imports) are set-up.
 */
export const PY_RUNNER = String.raw`
import ast, json, sys, time, resource, traceback
nonce = sys.stdin.readline().strip()
spec = json.load(open('/code/spec.json'))
results = []
stage = 'program'
def short(e):
    s = ''.join(traceback.format_exception_only(type(e), e)).strip()
    return s[-300:]
def report(extra):
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out = {'stage': stage, 'tests': results, 'cpu_s': ru.ru_utime + ru.ru_stime, 'max_rss_kb': ru.ru_maxrss}
    out.update(extra)
    sys.stdout.flush(); sys.stderr.flush()
    sys.__stdout__.write('\n\x00RLMKIT:' + nonce + ':' + json.dumps(out) + '\n')
    sys.__stdout__.flush()
g = {'__name__': '__main__', '__builtins__': __builtins__}
try:
    exec(compile(spec['program'], 'solution.py', 'exec'), g)
except BaseException as e:
    report({'error': short(e)})
    sys.exit(0)
stage = 'tests'
try:
    if spec.get('check'):
        exec(compile(spec['check']['source'], 'tests.py', 'exec'), g)
        tree = ast.parse(spec['check']['source'])
        fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == 'check'), None)
        if fn is None:
            raise RuntimeError('the tests define no check(candidate) function')
        # One namespace for the check body (globals == locals), so comprehensions see its names.
        local = dict(g)
        local[fn.args.args[0].arg if fn.args.args else 'candidate'] = g[spec['check']['entry']]
        setup_failed = None
        for i, stmt in enumerate(fn.body):
            is_test = any(isinstance(n, ast.Assert) for n in ast.walk(stmt))
            name = ast.get_source_segment(spec['check']['source'], stmt) or ('statement %d' % i)
            name = name.strip().splitlines()[0][:120]
            if setup_failed is not None:
                if is_test: results.append({'name': name, 'passed': False, 'error': 'set-up failed: ' + setup_failed})
                continue
            try:
                exec(compile(ast.Module(body=[stmt], type_ignores=[]), 'tests.py', 'exec'), local)
                if is_test: results.append({'name': name, 'passed': True})
            except BaseException as e:
                if isinstance(e, (KeyboardInterrupt,)): raise
                if is_test: results.append({'name': name, 'passed': False, 'error': short(e)})
                else: setup_failed = short(e)
        if not any(isinstance(n, ast.Assert) for n in ast.walk(fn)):
            results.append({'name': 'check', 'passed': setup_failed is None, 'error': setup_failed})
    for i, t in enumerate(spec.get('tests') or []):
        try:
            exec(compile(t, 'test_%d.py' % i, 'exec'), g)
            results.append({'name': t.strip().splitlines()[0][:120] if t.strip() else 'test %d' % i, 'passed': True})
        except BaseException as e:
            results.append({'name': t.strip().splitlines()[0][:120] if t.strip() else 'test %d' % i, 'passed': False, 'error': short(e)})
except BaseException as e:
    report({'error': short(e)})
    sys.exit(0)
stage = 'done'
report({})
`;
