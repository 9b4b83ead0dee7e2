"""SymPy as the oracle of gradlab's symbolic derivatives (run by sympy.test.ts).

Reads JSON from stdin: a list of cases ``{"names": [...], "f": str, "derivs": {name: str}, "points": [[...]]}``,
f and each derivative in SymPy's syntax (gradlab's ``toSympy``). For each derivative, SymPy differentiates f
itself; the two agree when ``simplify(sympy - ours)`` is 0 (tried for up to 2 s), or else when they are
equal to 1e-9 (relative, 1e-12 absolute) at every given point. Writes one JSON result per derivative.
"""

from __future__ import annotations

import json
import signal
import sys

import sympy


class Timeout(Exception):
    pass


def _alarm(_signum, _frame):
    raise Timeout()


def simplifies_to_zero(expr: sympy.Expr, seconds: int = 2) -> bool:
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        return sympy.simplify(expr) == 0
    except Timeout:
        return False
    finally:
        signal.alarm(0)


def main() -> None:
    cases = json.load(sys.stdin)
    results = []
    for i, case in enumerate(cases):
        syms = {n: sympy.Symbol(n, real=True) for n in case["names"]}
        f = sympy.sympify(case["f"], locals=syms)
        for name, text in case["derivs"].items():
            ours = sympy.sympify(text, locals=syms)
            theirs = sympy.diff(f, syms[name])
            how, ok, worst = "simplify", simplifies_to_zero(theirs - ours), 0.0
            if not ok:
                how, ok = "points", True
                for p in case["points"]:
                    at = {syms[n]: sympy.Float(v, 30) for n, v in zip(case["names"], p)}
                    a = complex(theirs.subs(at).evalf(30))
                    b = complex(ours.subs(at).evalf(30))
                    err = abs(a - b) / max(abs(a), abs(b), 1e-300) if abs(a - b) > 1e-12 else 0.0
                    worst = max(worst, err)
                    ok = ok and err <= 1e-9
            results.append({"case": i, "name": name, "how": how, "ok": ok, "worst": worst, "sympy": str(theirs)[:300]})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
