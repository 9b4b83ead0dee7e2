/**
 * Writing an expression out: as text, as LaTeX, and in SymPy's syntax (the
 * test oracle). Written out means as a tree: an expression whose DAG is small
 * can be exponentially long, so every printer stops at a character budget and
 * says how much it left out.
 *
 * The kinks are written as what the rules give: max's and relu's partials
 * are comparisons, written as Iverson brackets [a ≥ b] (1 when true, else 0);
 * abs′ is sign(x); `where(c, a, b)` is a case split.
 */
import { Expr } from './expr';

/** Default budget of a printed expression, in characters. */
export const PRINT_BUDGET = 20_000;

/** Binding strength: sums 1, products 2, unary minus 3, powers 4, atoms and calls 9. */
function prec(e: Expr): number {
  switch (e.op) {
    case 'add':
    case 'sub':
      return 1;
    case 'mul':
    case 'div':
      return 2;
    case 'neg':
      return 3;
    case 'pow':
      return 4;
    case 'const':
      return e.value < 0 || Object.is(e.value, -0) ? 3 : 9;
    default:
      return 9;
  }
}

const INFIX: Record<string, [text: string, latex: string, sympy: string]> = {
  add: [' + ', ' + ', ' + '],
  sub: [' - ', ' - ', ' - '],
  mul: ['*', ' \\cdot ', '*'],
  div: ['/', '', '/'],
  pow: ['^', '', '**'],
};

const COMPARE: Record<string, [text: string, latex: string, sympy: string]> = {
  gt: ['>', '>', 'StrictGreaterThan'],
  ge: ['>=', '\\ge', 'GreaterThan'],
  lt: ['<', '<', 'StrictLessThan'],
  le: ['<=', '\\le', 'LessThan'],
  eq: ['==', '=', 'Eq'],
  ne: ['!=', '\\ne', 'Ne'],
};

const CALL_TEXT: Record<string, string> = { sigmoid: 'σ', maximum: 'max', minimum: 'min' };
const CALL_LATEX: Record<string, string> = {
  exp: '\\exp',
  log: '\\log',
  sin: '\\sin',
  cos: '\\cos',
  tanh: '\\tanh',
  sigmoid: '\\sigma',
  relu: '\\operatorname{relu}',
  sign: '\\operatorname{sign}',
  maximum: '\\max',
  minimum: '\\min',
};
const CALL_SYMPY: Record<string, string> = {
  exp: 'exp',
  log: 'log',
  sin: 'sin',
  cos: 'cos',
  tanh: 'tanh',
  sqrt: 'sqrt',
  abs: 'Abs',
  sign: 'sign',
  maximum: 'Max',
  minimum: 'Min',
};

type Style = 'text' | 'latex' | 'sympy';

/** A writer that stops at its budget. */
class Out {
  readonly parts: string[] = [];
  length = 0;
  full = false;
  constructor(private readonly budget: number) {}
  put(s: string): void {
    if (this.full) return;
    this.parts.push(s);
    this.length += s.length;
    if (this.length > this.budget) this.full = true;
  }
}

/** A variable's name in LaTeX: x1 → x_{1}, a Greek name → its letter, longer names upright. */
export function latexName(name: string): string {
  const m = /^([A-Za-z]+)_?(\d+)$/.exec(name);
  const base = m ? m[1] : name;
  const greek = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'theta', 'lambda', 'mu', 'sigma', 'tau', 'phi', 'omega'];
  const head = greek.includes(base) ? `\\${base}` : base.length === 1 ? base : `\\mathrm{${base.replace(/_/g, '\\_')}}`;
  return m ? `${head}_{${m[2]}}` : head;
}

/** A number as the style writes it (shortest round-trip decimal; 1e-4 as 10⁻⁴ in LaTeX). */
function number(v: number, style: Style): string {
  if (Number.isNaN(v)) return style === 'latex' ? '\\mathrm{NaN}' : style === 'sympy' ? 'nan' : 'NaN';
  if (!Number.isFinite(v)) return (v < 0 ? '-' : '') + (style === 'latex' ? '\\infty' : style === 'sympy' ? 'oo' : 'Infinity');
  const s = String(v);
  if (style === 'latex' && s.includes('e')) {
    const [m, e] = s.split('e');
    return `${m === '1' ? '' : `${m} \\times `}10^{${Number(e)}}`;
  }
  if (style === 'sympy') return `Float('${s}', 30)`.replace(/^Float\('(-?\d+)', 30\)$/, 'Integer($1)');
  return s;
}

function write(e: Expr, style: Style, out: Out): void {
  if (out.full) return;
  const op = e.op;
  if (op === 'const') return out.put(number(e.value, style));
  if (op === 'var') return out.put(style === 'latex' ? latexName(e.symbol) : e.symbol);
  const a = e.args;
  const paren = (x: Expr, yes: boolean) => {
    if (!yes) return write(x, style, out);
    out.put(style === 'latex' ? '\\left(' : '(');
    write(x, style, out);
    out.put(style === 'latex' ? '\\right)' : ')');
  };
  if (op in INFIX) return infix(e, style, out, paren);
  if (op === 'neg') {
    out.put('-');
    return paren(a[0], prec(a[0]) <= 3);
  }
  if (op in COMPARE) return compare(e, style, out);
  if (op === 'where') return where(e, style, out);
  call(e, style, out);
}

function infix(e: Expr, style: Style, out: Out, paren: (x: Expr, yes: boolean) => void): void {
  const [a, b] = e.args;
  const p = prec(e);
  // a + (−b)·c, as sub's partial −1 makes it, reads a − b·c
  const minus = e.op === 'add' ? negated(b) : null;
  if (minus) return infix(new Expr('sub', [a, minus]), style, out, paren);
  // a·(1/b), as div's partial 1/b makes it, reads a/b
  if (e.op === 'mul' && b.op === 'div' && b.args[0].op === 'const' && b.args[0].value === 1) {
    return infix(new Expr('div', [a, b.args[1]]), style, out, paren);
  }
  if (style === 'latex' && e.op === 'div') {
    out.put('\\frac{');
    write(a, style, out);
    out.put('}{');
    write(b, style, out);
    return out.put('}');
  }
  if (style === 'latex' && e.op === 'pow') {
    out.put('{');
    paren(a, prec(a) < 9 || a.op !== 'var');
    out.put('}^{');
    write(b, style, out);
    return out.put('}');
  }
  // left operand: weaker binds in parentheses (powers group to the right, so a power on the left too)
  paren(a, prec(a) < p || (e.op === 'pow' && prec(a) <= p));
  out.put(INFIX[e.op][style === 'text' ? 0 : style === 'latex' ? 1 : 2]);
  // right operand: of − and / also an equal binding (a − (b + c)); of a power a weaker one
  paren(b, prec(b) < p || (prec(b) === p && e.op !== 'add' && e.op !== 'mul' && e.op !== 'pow') || (p === 2 && prec(b) === 3));
}

/** −x for an expression that is written with a leading minus (−x, (−x)·y), else null. */
function negated(e: Expr): Expr | null {
  if (e.op === 'neg') return e.args[0];
  if (e.op === 'const' && e.value < 0) return new Expr('const', [], -e.value);
  if (e.op === 'mul') {
    const m = negated(e.args[0]);
    return m ? new Expr('mul', [m, e.args[1]]) : null;
  }
  return null;
}

/** A comparison is a mask: 1 when it holds, else 0 — an Iverson bracket. */
function compare(e: Expr, style: Style, out: Out): void {
  const [a, b] = e.args;
  const [t, l, s] = COMPARE[e.op];
  if (style === 'sympy') {
    out.put(`Piecewise((1, ${s}(`);
    write(a, style, out);
    out.put(', ');
    write(b, style, out);
    return out.put(')), (0, True))');
  }
  out.put(style === 'latex' ? '\\left[' : '[');
  write(a, style, out);
  out.put(style === 'latex' ? ` ${l} ` : ` ${t} `);
  write(b, style, out);
  out.put(style === 'latex' ? '\\right]' : ']');
}

/** where(c, a, b): a where c ≠ 0, else b; a comparison as the condition is written as itself. */
function where(e: Expr, style: Style, out: Out): void {
  const [c, a, b] = e.args;
  const cond = () => {
    if (c.op in COMPARE && style !== 'sympy') {
      const [t, l] = COMPARE[c.op];
      write(c.args[0], style, out);
      out.put(style === 'latex' ? ` ${l} ` : ` ${t} `);
      write(c.args[1], style, out);
    } else {
      write(c, style, out);
      out.put(style === 'latex' ? ' \\ne 0' : style === 'sympy' ? ', 0' : ' != 0');
    }
  };
  if (style === 'latex') {
    out.put('\\begin{cases} ');
    write(a, style, out);
    out.put(' & \\text{if } ');
    cond();
    out.put(' \\\\ ');
    write(b, style, out);
    return out.put(' & \\text{otherwise} \\end{cases}');
  }
  if (style === 'sympy') {
    out.put('Piecewise((');
    write(a, style, out);
    out.put(', Ne(');
    cond();
    out.put(')), (');
    write(b, style, out);
    return out.put(', True))');
  }
  out.put('where(');
  cond();
  out.put(', ');
  write(a, style, out);
  out.put(', ');
  write(b, style, out);
  out.put(')');
}

function call(e: Expr, style: Style, out: Out): void {
  const op = e.op;
  const [a] = e.args;
  if (style === 'sympy') {
    if (op === 'sigmoid' || op === 'relu') {
      out.put(op === 'sigmoid' ? '1/(1 + exp(-(' : 'Max(0, ');
      write(a, style, out);
      return out.put(op === 'sigmoid' ? ')))' : ')');
    }
    out.put(`${CALL_SYMPY[op] ?? op}(`);
  } else if (style === 'latex') {
    if (op === 'sqrt' || op === 'abs') {
      out.put(op === 'sqrt' ? '\\sqrt{' : '\\left|');
      write(a, style, out);
      return out.put(op === 'sqrt' ? '}' : '\\right|');
    }
    out.put(`${CALL_LATEX[op] ?? `\\operatorname{${op}}`}\\left(`);
  } else {
    if (op === 'abs') {
      out.put('|');
      write(a, style, out);
      return out.put('|');
    }
    out.put(`${CALL_TEXT[op] ?? op}(`);
  }
  e.args.forEach((x, i) => {
    if (i > 0) out.put(', ');
    write(x, style, out);
  });
  out.put(style === 'latex' ? '\\right)' : ')');
}

/** e written out in `style`, cut at `budget` characters with a note of what was left out. */
export function print(e: Expr, style: Style, budget = PRINT_BUDGET): { text: string; cut: boolean } {
  const out = new Out(budget);
  write(e, style, out);
  if (!out.full) return { text: out.parts.join(''), cut: false };
  const nodes = e.size < 1e6 ? String(e.size) : e.size.toExponential(2);
  // LaTeX cut in the middle would not typeset: only the note
  if (style === 'latex') return { text: `\\text{(written out: ${nodes} nodes, longer than ${budget} characters of LaTeX; see toString())}`, cut: true };
  return { text: `${out.parts.join('').slice(0, budget)}… (cut at ${budget} characters: written out it has ${nodes} nodes)`, cut: true };
}
