/**
 * A calculator tool: exact arithmetic on integers and fractions (+ - * /, parentheses, unary
 * minus) over bigint rationals, so 123456789*987654321 is exact and 1/3*3 is 1. Results print as
 * integers or reduced fractions ("7/2"). Inputs are capped in length and result size so a call can
 * never run long.
 */
import { type Rational, add, div, mul, rat, sub } from '../games/rational.js';
import { type Tool, ToolError } from './types.js';

const MAX_EXPRESSION = 200;
const MAX_DIGITS = 400;

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): Rational {
    const v = this.expr();
    this.space();
    if (this.i < this.s.length) throw new ToolError(`error: unexpected "${this.s[this.i]}" at position ${this.i + 1}`);
    return v;
  }

  private space(): void {
    while (this.s[this.i] === ' ') this.i++;
  }

  private expr(): Rational {
    let v = this.term();
    for (;;) {
      this.space();
      const c = this.s[this.i];
      if (c !== '+' && c !== '-') return v;
      this.i++;
      const r = this.term();
      v = c === '+' ? add(v, r) : sub(v, r);
      check(v);
    }
  }

  private term(): Rational {
    let v = this.unary();
    for (;;) {
      this.space();
      const c = this.s[this.i];
      if (c !== '*' && c !== '/' && c !== '×' && c !== '÷') return v;
      this.i++;
      const r = this.unary();
      if (c === '*' || c === '×') v = mul(v, r);
      else {
        const q = div(v, r);
        if (!q) throw new ToolError('error: division by zero');
        v = q;
      }
      check(v);
    }
  }

  private unary(): Rational {
    this.space();
    if (this.s[this.i] === '-') {
      this.i++;
      const v = this.unary();
      return rat(-v.n, v.d);
    }
    if (this.s[this.i] === '+') {
      this.i++;
      return this.unary();
    }
    return this.atom();
  }

  private atom(): Rational {
    this.space();
    if (this.s[this.i] === '(') {
      this.i++;
      const v = this.expr();
      this.space();
      if (this.s[this.i] !== ')') throw new ToolError('error: missing ")"');
      this.i++;
      return v;
    }
    const m = /^\d+(\.\d+)?/.exec(this.s.slice(this.i));
    if (!m)
      throw new ToolError(
        this.i >= this.s.length
          ? 'error: the expression ends too early'
          : `error: unexpected "${this.s[this.i]}" at position ${this.i + 1}`,
      );
    this.i += m[0].length;
    const [whole, frac = ''] = m[0].split('.');
    return rat(BigInt(whole + frac), 10n ** BigInt(frac.length));
  }
}

function check(v: Rational): void {
  if (v.n.toString().length + v.d.toString().length > MAX_DIGITS)
    throw new ToolError(`error: the result has more than ${MAX_DIGITS} digits`);
}

/** Evaluates an arithmetic expression exactly; throws ToolError on bad input. */
export function calculate(expression: string): string {
  if (expression.length > MAX_EXPRESSION) throw new ToolError(`error: the expression is longer than ${MAX_EXPRESSION} characters`);
  if (expression.trim() === '') throw new ToolError('error: empty expression');
  const v = new Parser(expression).parse();
  return v.d === 1n ? v.n.toString() : `${v.n}/${v.d}`;
}

export function calculatorTool(): Tool {
  return {
    spec: {
      type: 'function',
      function: {
        name: 'calculator',
        description:
          'Evaluates an arithmetic expression exactly: integers and decimals, + - * /, parentheses. Returns an integer or a reduced fraction.',
        parameters: {
          type: 'object',
          properties: { expression: { type: 'string', description: 'e.g. "347*589+12"' } },
          required: ['expression'],
          additionalProperties: false,
        },
      },
    },
    timeoutMs: 1000,
    async run(args) {
      try {
        return calculate(String(args.expression));
      } catch (e) {
        if (e instanceof ToolError) throw new ToolError(e.message.replace(/^error: /, ''));
        throw e;
      }
    },
  };
}
