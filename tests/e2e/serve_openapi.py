#!/usr/bin/python3
"""serve_openapi.py ROOT -- docs/openapi.yaml is a well-formed OpenAPI 3.0
document (no validator of the specification is packaged for Debian 12, so
its structure is checked here: version, info, paths, operations with
responses whose codes are HTTP statuses, path parameters declared for
every {name}, every $ref resolving) and it describes exactly the routes of
src/serve/serve_api.c, each with the role the code gives it."""
import re, sys
import yaml

root = sys.argv[1]
doc = yaml.safe_load(open(f"{root}/docs/openapi.yaml"))
errors = []


def err(msg):
    errors.append(msg)


if not re.fullmatch(r"3\.0\.\d+", str(doc.get("openapi", ""))):
    err(f"openapi: {doc.get('openapi')!r}, expected 3.0.x")
for k in ("title", "version"):
    if not isinstance(doc.get("info", {}).get(k), str):
        err(f"info.{k} missing")


def resolve(ref):
    if not ref.startswith("#/"):
        return None
    node = doc
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def walk(node, where):
    if isinstance(node, dict):
        if "$ref" in node and resolve(node["$ref"]) is None:
            err(f"{where}: $ref {node['$ref']} does not resolve")
        for k, v in node.items():
            walk(v, f"{where}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, f"{where}/{i}")


walk(doc, "#")


def param(p):
    return resolve(p["$ref"]) if "$ref" in p else p


METHODS = {"get", "post", "put", "delete", "patch"}
described = {}
for path, item in doc.get("paths", {}).items():
    names = set(re.findall(r"\{(\w+)\}", path))
    common = [param(p) for p in item.get("parameters", [])]
    for method, op in item.items():
        if method == "parameters":
            continue
        if method not in METHODS:
            err(f"{path}: {method} is not an HTTP method")
            continue
        ps = common + [param(p) for p in op.get("parameters", [])]
        declared = {p["name"] for p in ps if p and p.get("in") == "path"}
        if declared != names:
            err(f"{method} {path}: path parameters {sorted(declared)} != {sorted(names)}")
        if not all(p and p.get("in") in ("query", "path", "header") for p in ps):
            err(f"{method} {path}: a parameter without 'in'")
        rs = op.get("responses") or {}
        if not rs or not all(re.fullmatch(r"[1-5]\d\d", str(c)) for c in rs):
            err(f"{method} {path}: responses {list(rs)}")
        for c, r in rs.items():
            r = resolve(r["$ref"]) if "$ref" in r else r
            if not r or "description" not in r:
                err(f"{method} {path} {c}: response without description")
        described[(method.upper(), re.sub(r"\{\w+\}", "{}", path))] = op.get("x-ward-role")

src = open(f"{root}/src/serve/serve_api.c").read()
table = src[src.index("const wd_route_t wd_routes[]"):]
routes = {(m, p): r.lower() for m, p, r in
          re.findall(r'\{"(\w+)", "([^"]+)", WD_ROLE_(\w+),', table)}
if not routes:
    err("no routes found in serve_api.c")
for k in routes.keys() - described.keys():
    err(f"route {k} is not in openapi.yaml")
for k in described.keys() - routes.keys():
    err(f"openapi.yaml describes {k}, which ward serve does not serve")
for k in routes.keys() & described.keys():
    if routes[k] != described[k]:
        err(f"{k}: role {routes[k]} in the code, {described[k]} in openapi.yaml")
if errors:
    sys.exit("openapi.yaml:\n  " + "\n  ".join(errors))
print(f"openapi.yaml: {len(routes)} routes, all described")
