"""What the command-line checks share (tests/*/check_*.py): one line per check,
the failures kept for the exit status, running an app, the one-line error rule."""
import hashlib
import os
import subprocess

failures = []


def check(cond, what):
    print(f"{'ok  ' if cond else 'FAIL'} {what}")
    if not cond:
        failures.append(what)


def run(exe, *args):
    return subprocess.run([exe, *args], capture_output=True, text=True)


def bad(what, r, needle, code=1):
    """Runtime errors (exit 1): one line. Usage errors (exit 2): one line and the --help hint."""
    lines = r.stderr.strip().splitlines()
    hint = lines[1:] == [f"Try '{os.path.basename(r.args[0])} --help' for more information."]
    ok = r.returncode == code and lines and needle in lines[0] and (len(lines) == 1 or (code == 2 and hint))
    check(ok, f"{what}: exit {r.returncode}, stderr {r.stderr.strip()!r}")


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
