# Sourced by deploy.sh and verify.sh (from the repository root): load_dotenv reads the
# repository's .env as compose reads it; a variable the environment already has keeps its value.
load_dotenv() {
  [[ -f .env ]] || return 0
  local line name value
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    name="${BASH_REMATCH[1]}"
    value="${BASH_REMATCH[2]}"
    [[ -v "$name" ]] && continue
    if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then value="${BASH_REMATCH[1]}"; fi
    export "$name=$value"
  done <.env
}
