"""Size and install time of each role's environment (requirements/<role>.lock).

    .venv/bin/python tools/measure_envs.py [ROLE ...]

For each role: a new virtual environment in a temporary folder, `pip install -r` its lock and
the course package (not editable), timed; then its size on disk (the environment less an empty
one), its number of packages, and whether it has the packages the role must not carry. Writes
benchmarks/results/envs.md and envs.json. pip's download cache is left as it is: the times are
installs from the cache (run once before to fill it); downloads add to them on a new machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROLES = ["student", "book", "dev"]
GOALS_MB = {"student": 400}  # issue #19: the student image's Python environment
# What a role must not install (heavy tools of another role).
NOT_IN = {"student": ["playwright", "vl-convert-python", "sphinx", "ruff", "pytest",
                      "jupyter-book"],
          "book": ["playwright", "ruff", "pytest", "jupyterlab"]}


def size_mb(path: Path) -> float:
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            p = Path(dirpath) / f
            if not p.is_symlink():
                total += p.stat().st_size
    return total / 1e6


def measure(role: str, tmp: Path) -> dict:
    env = tmp / role
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    py = env / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip>=24"], check=True)
    base = size_mb(env)
    t0 = time.monotonic()
    subprocess.run([str(py), "-m", "pip", "install", "-q", "-r",
                    str(ROOT / "requirements" / f"{role}.lock")], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(ROOT)], check=True)
    seconds = time.monotonic() - t0
    listing = json.loads(subprocess.run([str(py), "-m", "pip", "list", "--format", "json"],
                                        check=True, capture_output=True, text=True).stdout)
    names = {p["name"].lower() for p in listing}
    check = subprocess.run([str(py), "-c", "import trustlab, pandas, altair; "
                            "print(trustlab.__version__)"], capture_output=True, text=True,
                           cwd=tmp)
    return {"role": role, "packages": len(names) - 1,  # less pip itself
            "size_mb": round(size_mb(env) - base, 1), "install_seconds": round(seconds, 1),
            "goal_mb": GOALS_MB.get(role), "imports": check.returncode == 0,
            "unwanted": sorted(n for n in NOT_IN.get(role, []) if n in names)}


def main(roles: list[str]) -> int:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for role in roles:
            r = measure(role, Path(tmp))
            print(json.dumps(r), flush=True)
            results.append(r)
    out = ROOT / "benchmarks" / "results"
    (out / "envs.json").write_text(json.dumps(results, indent=1) + "\n")
    lines = [f"# Environments per role ({time.strftime('%Y-%m-%d')}, Linux x86_64, Python "
             f"{sys.version.split()[0]})", "",
             "Made by `tools/measure_envs.py`: a new venv per role, `pip install -r "
             "requirements/<role>.lock` and the course package, from pip's cache.", "",
             "| role | packages | size on disk | install time | goal | unwanted packages |",
             "|---|---|---|---|---|---|"]
    for r in results:
        goal = f"≤ {r['goal_mb']} MB" if r["goal_mb"] else "–"
        unwanted = ", ".join(r["unwanted"]) or "none"
        lines.append(f"| {r['role']} | {r['packages']} | {r['size_mb']:.0f} MB | "
                     f"{r['install_seconds']:.0f} s | {goal} | {unwanted} |")
    (out / "envs.md").write_text("\n".join(lines) + "\n")
    bad = [r["role"] for r in results if not r["imports"] or r["unwanted"]
           or (r["goal_mb"] and r["size_mb"] > r["goal_mb"])]
    if bad:
        print(f"goals missed for: {', '.join(bad)}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ROLES))
