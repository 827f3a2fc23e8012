"""Checks a Helm chart without helm (no helm is installable on this machine): what a render would catch first.

- Chart.yaml and values.yaml parse, and Chart.yaml has apiVersion v2, name, version.
- Every template's {{ }} actions are closed, and every if/range/with/define has its end (else only inside one).
- Every include/template names a define of the chart.
- Every .Values.x.y a template reads exists in values.yaml (a typo would render as empty, silently).
Usage: check-chart.py CHART_DIR; exits 1 with one line per problem.
"""
import pathlib
import re
import sys

import yaml

chart = pathlib.Path(sys.argv[1])
problems = []

meta = yaml.safe_load((chart / "Chart.yaml").read_text())
for key in ("apiVersion", "name", "version"):
    if not meta.get(key):
        problems.append(f"Chart.yaml: {key} is missing")
if meta.get("apiVersion") != "v2":
    problems.append("Chart.yaml: apiVersion must be v2")
values = yaml.safe_load((chart / "values.yaml").read_text()) or {}

templates = sorted((chart / "templates").glob("*"))
sources = {t.name: t.read_text() for t in templates if t.is_file()}
defines = {name for text in sources.values() for name in re.findall(r'{{-?\s*define\s+"([^"]+)"', text)}

OPENERS = ("if", "range", "with", "define", "block")
for name, text in sources.items():
    if text.count("{{") != text.count("}}"):
        problems.append(f"{name}: {text.count('{{')} '{{{{' but {text.count('}}')} '}}}}'")
        continue
    stack = []
    for match in re.finditer(r"{{-?\s*(/\*.*?\*/|[^}]*?)\s*-?}}", text, re.S):
        action = match.group(1)
        line = text.count("\n", 0, match.start()) + 1
        word = action.split(None, 1)[0] if action.split() else ""
        if word.startswith("/*"):
            continue
        if word in OPENERS:
            stack.append((word, line))
        elif word == "end":
            if not stack:
                problems.append(f"{name}:{line}: end without an opening if/range/with/define")
            else:
                stack.pop()
        elif word == "else" and not stack:
            problems.append(f"{name}:{line}: else outside any if/range/with")
        for called in re.findall(r'\b(?:include|template)\s+"([^"]+)"', action):
            if called not in defines:
                problems.append(f"{name}:{line}: include \"{called}\" has no define")
        for path in re.findall(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", action):
            node = values
            for part in path.strip(".").split("."):
                if not isinstance(node, dict) or part not in node:
                    problems.append(f"{name}:{line}: .Values{path} is not in values.yaml")
                    break
                node = node[part]
    for word, line in stack:
        problems.append(f"{name}:{line}: {word} is never closed with end")

for problem in problems:
    print(problem)
print(f"chart {meta.get('name')}: {len(sources)} templates, {len(defines)} defines, {len(problems)} problems")
sys.exit(1 if problems else 0)
